#include "recommend/experiments.h"

#include <algorithm>
#include <cmath>
#include <unordered_set>

#include "common/crypto.h"

namespace segue::recommend {

Result<Experiment> Experiment::make(std::string name, std::vector<ExperimentArm> arms,
                                    std::string salt) {
  if (name.empty()) return Error::invalid("experiment: the name is empty");
  if (arms.empty()) return Error::invalid("experiment \"" + name + "\": no arms");
  std::unordered_set<std::string> seen;
  double total = 0;
  for (const auto& a : arms) {
    if (a.name.empty()) return Error::invalid("experiment \"" + name + "\": an arm name is empty");
    if (!seen.insert(a.name).second)
      return Error::invalid("experiment \"" + name + "\": arm \"" + a.name + "\" twice");
    if (!(a.weight >= 0) || !std::isfinite(a.weight))
      return Error::invalid("experiment \"" + name + "\": arm \"" + a.name +
                            "\" has a negative or non-finite weight");
    total += a.weight;
  }
  if (!(total > 0)) return Error::invalid("experiment \"" + name + "\": the weights sum to 0");
  Experiment e;
  e.name_ = std::move(name);
  e.salt_ = std::move(salt);
  e.arms_ = std::move(arms);
  double acc = 0;
  for (const auto& a : e.arms_) {
    acc += a.weight;
    e.cumulative_.push_back(acc / total);
  }
  e.cumulative_.back() = 1.0;  // no gap at the top from rounding
  return e;
}

double Experiment::unit(std::string_view user_id) const {
  std::string input;
  input.reserve(salt_.size() + name_.size() + user_id.size() + 2);
  input.append(salt_).push_back('\x1f');
  input.append(name_).push_back('\x1f');
  input.append(user_id);
  const std::string h = crypto::sha256(input);
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i)
    v = (v << 8) | static_cast<unsigned char>(h[static_cast<std::size_t>(i)]);
  return static_cast<double>(v >> 11) * 0x1.0p-53;
}

std::size_t Experiment::assign_index(std::string_view user_id) const {
  const double u = unit(user_id);
  // The first arm whose upper bound exceeds u (an arm of weight 0 has an empty share).
  const auto it = std::upper_bound(cumulative_.begin(), cumulative_.end(), u);
  return std::min(static_cast<std::size_t>(it - cumulative_.begin()), arms_.size() - 1);
}

std::size_t Experiment::index_of(std::string_view arm) const {
  for (std::size_t i = 0; i < arms_.size(); ++i)
    if (arms_[i].name == arm) return i;
  return arms_.size();
}

Proportion wilson(uint64_t successes, uint64_t trials, double z) {
  Proportion p;
  p.trials = trials;
  p.successes = std::min(successes, trials);
  if (trials == 0) {
    p.high = 1;
    return p;
  }
  const double n = static_cast<double>(trials);
  const double phat = static_cast<double>(p.successes) / n;
  const double z2 = z * z;
  const double denom = 1 + z2 / n;
  const double centre = (phat + z2 / (2 * n)) / denom;
  const double half = z * std::sqrt(phat * (1 - phat) / n + z2 / (4 * n * n)) / denom;
  p.rate = phat;
  p.low = std::max(0.0, centre - half);
  p.high = std::min(1.0, centre + half);
  return p;
}

ExperimentCounters::ExperimentCounters(std::size_t arms)
    : arms_(std::make_unique<Arm[]>(arms)), size_(arms) {}

bool ExperimentCounters::add(std::size_t arm, Kind kind, uint64_t count) {
  if (arm >= size_) return false;
  Arm& a = arms_[arm];
  auto& c = kind == Kind::kImpression ? a.impressions : kind == Kind::kClick ? a.clicks : a.plays;
  c.fetch_add(count, std::memory_order_relaxed);
  return true;
}

std::vector<ArmSummary> ExperimentCounters::summary(const Experiment& experiment, double z) const {
  std::vector<ArmSummary> out;
  const std::size_t n = std::min(size_, experiment.arms().size());
  for (std::size_t i = 0; i < n; ++i) {
    ArmSummary s;
    s.arm = experiment.arms()[i].name;
    s.impressions = arms_[i].impressions.load(std::memory_order_relaxed);
    s.clicks = arms_[i].clicks.load(std::memory_order_relaxed);
    s.plays = arms_[i].plays.load(std::memory_order_relaxed);
    s.ctr = wilson(s.clicks, s.impressions, z);
    s.play_rate = wilson(s.plays, s.impressions, z);
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace segue::recommend
