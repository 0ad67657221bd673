# bench/events: durable event ingest (batched and single) and end-to-end lag to history, next to
# plain SQLite inserts in the same run (bench/events/run.sh; docs/benchmarks.md, "Event pipeline").
add_executable(segue_events_bench ${CMAKE_CURRENT_LIST_DIR}/events_bench.cc)
target_link_libraries(segue_events_bench PRIVATE segue_events PkgConfig::SQLITE3 Threads::Threads)
