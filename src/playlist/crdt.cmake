# The sequence CRDT (docs/formats/playlist-crdt.md): no HTTP, no SQL.
add_library(segue_playlist_crdt ${CMAKE_CURRENT_SOURCE_DIR}/crdt.cc ${CMAKE_CURRENT_SOURCE_DIR}/crdt_codec.cc)
target_link_libraries(segue_playlist_crdt PUBLIC segue_common)

segue_add_test(playlist_crdt_test
  ${CMAKE_CURRENT_SOURCE_DIR}/tests/crdt_test.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/tests/crdt_property_test.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/tests/crdt_codec_test.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/tests/crdt_run_test.cc
  LIBS segue_playlist_crdt)
