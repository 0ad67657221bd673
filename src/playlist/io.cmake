# Playlist import and export (M3U8, XSPF, JSON) and matching entries to catalog tracks.
find_package(EXPAT REQUIRED)  # Debian: libexpat1-dev

add_library(segue_playlist_io io_parse.cc io_match.cc io_export.cc)
target_link_libraries(segue_playlist_io
  PUBLIC segue_catalog segue_common
  PRIVATE EXPAT::EXPAT Boost::json)

segue_add_test(playlist_io_test
  tests/io_parse_test.cc tests/io_match_test.cc
  ${PROJECT_SOURCE_DIR}/src/catalog/tests/test_util.cc
  LIBS segue_playlist_io segue_catalog segue_audio segue_store PkgConfig::TAGLIB PkgConfig::FFMPEG)
