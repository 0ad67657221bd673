# The playlist service: playlists as CRDT op logs in the database, history, sharing.
add_library(segue_playlist service.cc)
target_link_libraries(segue_playlist PUBLIC segue_playlist_crdt segue_store segue_common segue_bus)
segue_add_test(playlist_service_test tests/service_test.cc LIBS segue_playlist)
