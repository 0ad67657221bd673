#include "auth/user.h"

namespace segue::auth {

const char* tier_name(Tier tier) { return tier == Tier::kPremium ? "premium" : "free"; }

std::optional<Tier> tier_from_name(std::string_view name) {
  if (name == "free") return Tier::kFree;
  if (name == "premium") return Tier::kPremium;
  return std::nullopt;
}

}  // namespace segue::auth
