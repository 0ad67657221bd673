// Accounts: who may log in, what they may do (admin) and which product tier they get.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "common/ids.h"

namespace segue::auth {

// The product tier, as Spotify's `product` field ("free" / "premium"). Playback rules differ.
enum class Tier { kFree, kPremium };

const char* tier_name(Tier tier);                        // "free" / "premium"
std::optional<Tier> tier_from_name(std::string_view name);  // inverse of tier_name

struct User {
  UserId id;                 // 22-character base62, random, never changes
  std::string name;          // login name: 1-64 of [A-Za-z0-9._-], unique ignoring case
  std::string display_name;  // shown to people; the name unless changed
  bool admin = false;
  Tier tier = Tier::kFree;
  std::chrono::system_clock::time_point created_at;
};

}  // namespace segue::auth
