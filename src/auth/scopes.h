// OAuth scopes: Spotify's scope names, so that apps written for the Spotify Web API request
// the same strings from Segue. A ScopeSet is a small value type (a bitset) that any thread may
// copy and read.
#pragma once

#include <bitset>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"

namespace segue::auth {

// The closed list of scopes Segue understands. The enumerator order is not persisted (the
// database stores scope names), so new scopes may be inserted anywhere.
enum class Scope {
  kUgcImageUpload,
  kUserReadPlaybackState,
  kUserModifyPlaybackState,
  kUserReadCurrentlyPlaying,
  kAppRemoteControl,
  kStreaming,
  kPlaylistReadPrivate,
  kPlaylistReadCollaborative,
  kPlaylistModifyPrivate,
  kPlaylistModifyPublic,
  kUserFollowModify,
  kUserFollowRead,
  kUserReadPlaybackPosition,
  kUserTopRead,
  kUserReadRecentlyPlayed,
  kUserLibraryModify,
  kUserLibraryRead,
  kUserReadEmail,
  kUserReadPrivate,
  kUserPersonalized,
  kCount,  // not a scope
};

inline constexpr std::size_t kScopeCount = static_cast<std::size_t>(Scope::kCount);

// The wire name of `scope` ("user-library-read").
std::string_view scope_name(Scope scope);
// The scope called `name`, or nullopt for a name Segue does not know. Case-sensitive, as the
// names are defined.
std::optional<Scope> scope_from_name(std::string_view name);

class ScopeSet {
 public:
  ScopeSet() = default;
  ScopeSet(std::initializer_list<Scope> scopes) {
    for (Scope s : scopes) add(s);
  }

  // Parses an OAuth scope parameter: names separated by one or more spaces (RFC 6749 §3.3);
  // the empty string is the empty set and duplicates are allowed. An unknown name gives
  // Error::invalid whose message starts with "invalid_scope" (the OAuth error code).
  static Result<ScopeSet> parse(std::string_view text);
  // Every scope Segue knows.
  static ScopeSet all();

  // Space-separated names in the canonical order of `Scope`; "" for the empty set.
  std::string to_string() const;

  bool contains(Scope s) const { return bits_.test(static_cast<std::size_t>(s)); }
  bool contains_all(const ScopeSet& other) const { return (other.bits_ & ~bits_).none(); }
  bool empty() const { return bits_.none(); }
  std::size_t size() const { return bits_.count(); }
  void add(Scope s) { bits_.set(static_cast<std::size_t>(s)); }
  void remove(Scope s) { bits_.reset(static_cast<std::size_t>(s)); }
  bool operator==(const ScopeSet&) const = default;

 private:
  std::bitset<kScopeCount> bits_;
};

}  // namespace segue::auth
