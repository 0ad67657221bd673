# bench/search: search-as-you-type at 1M tracks, Segue (segue_search, Xapian) next to SQLite FTS5
# in the same run (bench/search/run.sh; docs/benchmarks.md, "Search").
find_package(ZLIB REQUIRED)
set(SEGUE_SEARCH_BENCH_SOURCES
    ${CMAKE_CURRENT_LIST_DIR}/search_bench.cc ${CMAKE_CURRENT_LIST_DIR}/catalog.cc ${CMAKE_CURRENT_LIST_DIR}/fts5.cc)
if(TARGET segue_search)
  add_executable(segue_search_bench ${SEGUE_SEARCH_BENCH_SOURCES} ${CMAKE_CURRENT_LIST_DIR}/segue_engine.cc)
  target_compile_definitions(segue_search_bench PRIVATE SEARCH_BENCH_WITH_SEGUE)
  target_link_libraries(segue_search_bench PRIVATE segue_search PkgConfig::SQLITE3 ZLIB::ZLIB Threads::Threads)
else()
  # src/search not built (yet): the generator and the FTS5 side only.
  add_executable(segue_search_bench ${SEGUE_SEARCH_BENCH_SOURCES})
  target_include_directories(segue_search_bench PRIVATE ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(segue_search_bench PRIVATE PkgConfig::SQLITE3 ZLIB::ZLIB Threads::Threads)
endif()
