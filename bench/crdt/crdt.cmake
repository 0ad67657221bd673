# bench/crdt: the playlist sequence CRDT on real editing traces (bench/crdt/run.sh).
find_package(ZLIB REQUIRED)
add_executable(segue_crdt_bench ${CMAKE_CURRENT_LIST_DIR}/crdt_bench.cc)
target_link_libraries(segue_crdt_bench PRIVATE segue_playlist_crdt Boost::json ZLIB::ZLIB)
