# bench/recommend: model accuracy on real listening data next to popularity and item-kNN
# (bench/recommend/run.sh; docs/benchmarks.md, "Recommendations").
add_executable(segue_recommend_quality ${CMAKE_CURRENT_LIST_DIR}/quality.cc)
target_link_libraries(segue_recommend_quality PRIVATE segue_recommend)
add_executable(segue_recommend_speed ${CMAKE_CURRENT_LIST_DIR}/speed.cc)
target_link_libraries(segue_recommend_speed PRIVATE segue_recommend)
add_executable(segue_recommend_content ${CMAKE_CURRENT_LIST_DIR}/content.cc)
target_link_libraries(segue_recommend_content PRIVATE segue_recommend)
# Playlist continuation on the TidyTuesday Spotify playlists (bench/recommend/continuation.sh).
find_package(ZLIB REQUIRED)
add_executable(segue_recommend_continuation ${CMAKE_CURRENT_LIST_DIR}/continuation.cc)
target_link_libraries(segue_recommend_continuation PRIVATE segue_recommend ZLIB::ZLIB)
# A synthetic catalog of any size in a data dir, for the serving bench (bench/recommend/serve.sh).
add_executable(segue_recommend_fill ${CMAKE_CURRENT_LIST_DIR}/fill.cc)
target_link_libraries(segue_recommend_fill PRIVATE segue_catalog segue_analysis)
