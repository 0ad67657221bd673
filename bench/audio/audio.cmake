# bench/audio: tempo accuracy and analysis speed of audio::analyze_pcm on generated clips, next to
# aubio's command-line tool in the same run (bench/audio/run.sh; docs/benchmarks.md, "Audio analysis").
add_executable(segue_audio_bench ${CMAKE_CURRENT_LIST_DIR}/audio_bench.cc
               ${PROJECT_SOURCE_DIR}/src/audio/tests/test_signals.cc)
target_link_libraries(segue_audio_bench PRIVATE segue_audio)
