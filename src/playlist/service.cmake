# The playlist service: playlists as CRDT op logs in the database, history, sharing; its SQL
# and migrations are in playlist_store.cc.
add_library(segue_playlist service.cc playlist_store.cc)
target_link_libraries(segue_playlist PUBLIC segue_playlist_crdt segue_store segue_common segue_bus)
segue_add_test(playlist_service_test tests/service_test.cc LIBS segue_playlist)

# Playlist import as one call (detect, parse, match, create, add): the service and io together.
add_library(segue_playlist_import ${CMAKE_CURRENT_SOURCE_DIR}/import_service.cc)
target_link_libraries(segue_playlist_import PUBLIC segue_playlist segue_playlist_io segue_catalog)
segue_add_test(playlist_import_test ${CMAKE_CURRENT_SOURCE_DIR}/tests/import_service_test.cc
  LIBS segue_playlist_import segue_catalog)
