#include "auth/scopes.h"

#include <gtest/gtest.h>

namespace segue::auth {
namespace {

TEST(Scopes, EverySpotifyScopeParses) {
  const char* names[] = {
      "ugc-image-upload",          "user-read-playback-state",   "user-modify-playback-state",
      "user-read-currently-playing", "app-remote-control",       "streaming",
      "playlist-read-private",     "playlist-read-collaborative", "playlist-modify-private",
      "playlist-modify-public",    "user-follow-modify",         "user-follow-read",
      "user-read-playback-position", "user-top-read",            "user-read-recently-played",
      "user-library-modify",       "user-library-read",          "user-read-email",
      "user-read-private",         "user-personalized"};
  for (const char* n : names) {
    auto s = ScopeSet::parse(n);
    ASSERT_TRUE(s.ok()) << n;
    EXPECT_EQ(s->size(), 1u) << n;
    EXPECT_EQ(s->to_string(), n);
  }
  EXPECT_EQ(ScopeSet::all().size(), std::size(names));
}

TEST(Scopes, UnknownScopeIsInvalidScope) {
  auto s = ScopeSet::parse("user-read-private user-read-everything");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::kInvalidArgument);
  EXPECT_TRUE(s.error().message.starts_with("invalid_scope")) << s.error().message;
}

TEST(Scopes, NamesAreCaseSensitive) {
  EXPECT_FALSE(ScopeSet::parse("User-Read-Private").ok());
}

TEST(Scopes, CommaIsNotASeparator) {
  EXPECT_FALSE(ScopeSet::parse("streaming,user-read-email").ok());
}

TEST(Scopes, EmptyAndRepeatedSpacesAndDuplicates) {
  auto e = ScopeSet::parse("");
  ASSERT_TRUE(e.ok());
  EXPECT_TRUE(e->empty());
  EXPECT_EQ(e->to_string(), "");
  auto s = ScopeSet::parse("  streaming   user-read-email streaming ");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->size(), 2u);
}

TEST(Scopes, ToStringIsCanonicalAndRoundTrips) {
  auto a = ScopeSet::parse("user-read-email streaming");
  auto b = ScopeSet::parse("streaming user-read-email");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->to_string(), b->to_string());
  EXPECT_EQ(*a, *b);
  auto c = ScopeSet::parse(a->to_string());
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(*c, *a);
}

TEST(Scopes, ContainsAndContainsAll) {
  ScopeSet s{Scope::kStreaming, Scope::kUserReadEmail};
  EXPECT_TRUE(s.contains(Scope::kStreaming));
  EXPECT_FALSE(s.contains(Scope::kUserLibraryRead));
  EXPECT_TRUE(s.contains_all(ScopeSet{Scope::kStreaming}));
  EXPECT_TRUE(s.contains_all(ScopeSet{}));
  EXPECT_FALSE(s.contains_all(ScopeSet{Scope::kStreaming, Scope::kUserLibraryRead}));
}

}  // namespace
}  // namespace segue::auth
