// Experiments on home (issue 18): users bucketed deterministically into weighted arms, and
// per-arm counters of what the arms earned, summarised with Wilson intervals.
//
// Bucketing: u = the first 8 bytes of SHA-256(salt 0x1f experiment 0x1f user id), read big
// endian, top 53 bits scaled to [0, 1); the arm is the first whose cumulative weight share
// exceeds u. The same user in the same experiment (and salt) lands in the same arm on every
// node and forever; a different experiment name or salt gives an independent draw (SHA-256
// outputs for different inputs behave as independent uniforms). Changing the weights moves
// only the users whose u crosses a boundary that moved.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace segue::recommend {

struct ExperimentArm {
  std::string name;
  double weight = 1;
};

class Experiment {
 public:
  // Errors (invalid argument) on an empty name, no arms, an empty or repeated arm name, a
  // negative or non-finite weight, or weights summing to 0. `salt` empty: none.
  static Result<Experiment> make(std::string name, std::vector<ExperimentArm> arms,
                                 std::string salt = {});

  const std::string& name() const { return name_; }
  const std::vector<ExperimentArm>& arms() const { return arms_; }
  // The user's draw in [0, 1) and the arm it falls in.
  double unit(std::string_view user_id) const;
  std::size_t assign_index(std::string_view user_id) const;
  const std::string& assign(std::string_view user_id) const {
    return arms_[assign_index(user_id)].name;
  }
  // The arm's index by name, or arms().size() when there is none.
  std::size_t index_of(std::string_view arm) const;

 private:
  Experiment() = default;
  std::string name_, salt_;
  std::vector<ExperimentArm> arms_;
  std::vector<double> cumulative_;  // upper bounds of each arm's share of [0, 1)
};

// A proportion with its Wilson score interval (Wilson 1927): unlike p +- z sqrt(p(1-p)/n) it
// stays inside [0, 1] and does not collapse to a point at 0 or n successes.
struct Proportion {
  uint64_t successes = 0;
  uint64_t trials = 0;
  double rate = 0;  // successes / trials (0 without trials)
  double low = 0;
  double high = 0;  // [0, 1] without trials
};
// Successes above trials are counted as trials (an event with no impression logged).
Proportion wilson(uint64_t successes, uint64_t trials, double z = 1.959963984540054);

struct ArmSummary {
  std::string arm;
  uint64_t impressions = 0;
  uint64_t clicks = 0;
  uint64_t plays = 0;    // plays of 30 s or more started from what the arm showed
  Proportion ctr;        // clicks / impressions
  Proportion play_rate;  // plays / impressions
};

// Per-arm counters of an experiment, safe to bump from any thread (relaxed atomics: each
// counter is exact, a summary taken while others count may mix moments).
class ExperimentCounters {
 public:
  explicit ExperimentCounters(std::size_t arms);
  enum class Kind { kImpression, kClick, kPlay };
  // False (nothing counted) for an arm index out of range.
  bool add(std::size_t arm, Kind kind, uint64_t count = 1);
  std::vector<ArmSummary> summary(const Experiment& experiment, double z = 1.959963984540054) const;

 private:
  struct Arm {
    std::atomic<uint64_t> impressions{0}, clicks{0}, plays{0};
  };
  std::unique_ptr<Arm[]> arms_;
  std::size_t size_;
};

}  // namespace segue::recommend
