#include "auth/scopes.h"

#include <array>

namespace segue::auth {
namespace {

constexpr std::array<std::string_view, kScopeCount> kNames = {
    "ugc-image-upload",
    "user-read-playback-state",
    "user-modify-playback-state",
    "user-read-currently-playing",
    "app-remote-control",
    "streaming",
    "playlist-read-private",
    "playlist-read-collaborative",
    "playlist-modify-private",
    "playlist-modify-public",
    "user-follow-modify",
    "user-follow-read",
    "user-read-playback-position",
    "user-top-read",
    "user-read-recently-played",
    "user-library-modify",
    "user-library-read",
    "user-read-email",
    "user-read-private",
    "user-personalized",
};

}  // namespace

std::string_view scope_name(Scope scope) {
  auto i = static_cast<std::size_t>(scope);
  return i < kNames.size() ? kNames[i] : std::string_view();
}

std::optional<Scope> scope_from_name(std::string_view name) {
  for (std::size_t i = 0; i < kNames.size(); ++i)
    if (kNames[i] == name) return static_cast<Scope>(i);
  return std::nullopt;
}

Result<ScopeSet> ScopeSet::parse(std::string_view text) {
  ScopeSet out;
  std::size_t i = 0;
  while (i < text.size()) {
    if (text[i] == ' ') {
      ++i;
      continue;
    }
    std::size_t end = text.find(' ', i);
    if (end == std::string_view::npos) end = text.size();
    std::string_view name = text.substr(i, end - i);
    auto scope = scope_from_name(name);
    if (!scope) {
      // Keep the echoed name short: it is attacker-controlled and ends up in responses/logs.
      std::string shown(name.substr(0, 64));
      return Error::invalid("invalid_scope: unknown scope '" + shown + "'");
    }
    out.add(*scope);
    i = end;
  }
  return out;
}

ScopeSet ScopeSet::all() {
  ScopeSet out;
  out.bits_.set();
  return out;
}

std::string ScopeSet::to_string() const {
  std::string out;
  for (std::size_t i = 0; i < kScopeCount; ++i) {
    if (!bits_.test(i)) continue;
    if (!out.empty()) out += ' ';
    out += kNames[i];
  }
  return out;
}

}  // namespace segue::auth
