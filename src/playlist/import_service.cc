#include "playlist/import_service.h"

namespace segue::playlist {

PlaylistImporter::PlaylistImporter(PlaylistService& playlists, const catalog::Catalog& catalog,
                                   std::vector<std::string> library_roots)
    : playlists_(playlists), catalog_(catalog), library_roots_(std::move(library_roots)) {}

Result<ImportResult> PlaylistImporter::import(const ImportRequest& request) const {
  ImportResult r;
  auto fmt = detect_format(request.filename, request.content_type, request.bytes);
  if (!fmt) return Error::invalid("format: could not tell the playlist format; pass ?format=m3u8, xspf or json");
  r.format = *fmt;
  SEGUE_ASSIGN_OR_RETURN(r.parsed, parse_playlist(*fmt, request.bytes));
  r.matched = match_entries(*catalog_.snapshot(), library_roots_, "", r.parsed.entries);
  std::string name = request.name.value_or(r.parsed.name);
  if (name.empty()) name = "Imported playlist";
  SEGUE_ASSIGN_OR_RETURN(auto created, playlists_.create(request.owner, name, r.parsed.description, request.is_public, false));
  if (!r.matched.matched_in_order.empty()) {
    std::vector<std::string> uris;
    uris.reserve(r.matched.matched_in_order.size());
    for (const auto& t : r.matched.matched_in_order) uris.push_back("segue:track:" + t.str());
    SEGUE_TRY(playlists_.add(created.id, request.owner, uris, std::nullopt, std::nullopt));
  }
  SEGUE_ASSIGN_OR_RETURN(r.playlist, playlists_.get(created.id, request.owner));
  return r;
}

}  // namespace segue::playlist
