# bench/recommend: model accuracy on real listening data next to popularity and item-kNN
# (bench/recommend/run.sh; docs/benchmarks.md, "Recommendations").
add_executable(segue_recommend_quality ${CMAKE_CURRENT_LIST_DIR}/quality.cc)
target_link_libraries(segue_recommend_quality PRIVATE segue_recommend)
