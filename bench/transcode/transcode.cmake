# bench/transcode: transcoding speed of audio::transcode per tier, next to the ffmpeg CLI doing the
# same encodes in the same run (bench/transcode/run.sh; docs/benchmarks.md, "Transcoding").
add_executable(segue_transcode_bench ${CMAKE_CURRENT_LIST_DIR}/transcode_bench.cc)
target_link_libraries(segue_transcode_bench PRIVATE segue_audio)
