// The home page's contextual bandit (BaRT: McInerney et al., "Explore, Exploit, and Explain",
// RecSys 2018): it orders a variable set of shelves ("arms": "discover_weekly", "daily_mix_1",
// "jump_back_in", "because_you_listened:<id>", ...) for a context (time of day, day of week,
// device, recent listening), learning from the rewards (clicks, plays of 30 s or more) of what
// it showed, and says for every position the probability with which it chose what it placed
// there, so that impressions can be logged with exact propensities and any other policy
// evaluated off-line from those logs (counterfactual.h).
//
// Policy: per-position epsilon-greedy over a LinUCB ranking.
// - Model: one Bayesian linear regression (ridge) per arm family, reward ~ theta . x(context);
//   sufficient statistics A = lambda I + sum x x^T, b = sum r x. An arm's score is the upper
//   confidence bound theta . x + alpha sqrt(x^T A^-1 x) (Li et al., WWW 2010), so a family
//   with little data in this kind of context is tried before one known to be poor.
// - The family of an arm is its id up to the first ':' ("because_you_listened:42" and
//   "because_you_listened:7" share a model: per-seed arms would never gather data). Arms of
//   equal score keep the order the caller gave them in (its own relevance order).
// - Slate: positions are filled top-down. At each position, with probability 1 - epsilon the
//   best-scoring remaining arm, otherwise one of the remaining arms uniformly. The probability
//   of the arm placed at position k given the context and the arms above it is therefore exact:
//   (1 - epsilon) [arm is the greedy one] + epsilon / remaining. The product over positions
//   0..k is the exact probability of the top-(k+1) prefix of the slate.
// Why not Thompson sampling: its propensities have no closed form (an integral over the
// posterior, estimated by resampling), and the logs are worth more with exact ones. The UCB
// bonus keeps the directed exploration Thompson sampling would give; epsilon keeps every
// arm's propensity at least epsilon / arms, which bounds importance weights.
//
// Not thread-safe for writers: rank() and the other const members may run concurrently with
// each other, update() and from_json() need exclusive access (the server swaps in a new
// Bandit rather than updating the one it serves from).
#pragma once

#include <Eigen/Core>
#include <cstdint>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/result.h"

namespace segue::recommend {

// Spotify's device types folded to the ones whose listening differs.
enum class Device { kComputer, kSmartphone, kTablet, kSpeaker, kTv, kAutomobile, kOther };
inline constexpr int kDeviceCount = 7;
// "Computer", "smartphone", "CastAudio", ... (case-insensitive); anything unknown is kOther.
Device parse_device(std::string_view type);
const char* device_name(Device d);  // "computer", "smartphone", ...

struct BanditContext {
  double hour = 0;  // local time of day, hours in [0, 24) (fractions allowed)
  int weekday = 0;  // 0 Monday .. 6 Sunday, in the user's time zone
  Device device = Device::kOther;
  // Recent listening (the user's last plays, each a share in [0, 1]; clamped).
  double discovery_share = 0;  // plays of tracks new to the user
  double skip_share = 0;       // plays skipped early
  double home_share = 0;       // plays started from home
};

// The context as logged with an impression and read back by the evaluator:
// {"hour":8.5,"weekday":2,"device":"speaker","discovery_share":0.3,"skip_share":0.1,"home_share":0.2}.
std::string context_to_json(const BanditContext& c);
// Errors (invalid argument, naming the field) on malformed JSON, an hour outside [0, 24), a
// weekday outside 0..6 or a share outside [0, 1]; absent fields keep their defaults; an
// unknown device is "other".
Result<BanditContext> context_from_json(std::string_view text);

// The feature vector x(context): bias; sin/cos of the hour at one and two cycles a day (so an
// arm's expected reward can peak at any time and have a second peak); sin/cos of the weekday
// and a weekend flag; the device one-hot; the three shares.
inline constexpr int kBanditFeatures = 1 + 4 + 3 + kDeviceCount + 3;
Eigen::VectorXd bandit_features(const BanditContext& c);

using BanditRng = std::mt19937_64;

struct Placement {
  std::string arm;
  int position = 0;       // 0 = top
  double propensity = 0;  // P(this arm at this position | context, the arms above it)
  bool explored = false;  // placed by the uniform draw rather than the greedy choice
};

struct BanditOptions {
  double epsilon = 0.1;  // per-position exploration probability, in [0, 1]
  double alpha = 0.5;    // weight of the confidence bonus, >= 0
  double lambda = 1.0;   // ridge prior precision, > 0
};

class Bandit {
 public:
  // "linucb-egreedy/1": the algorithm and the meaning of the state; logged with each
  // impression together with version().
  static constexpr const char* kAlgorithm = "linucb-egreedy/1";

  explicit Bandit(BanditOptions options = {}, std::string version = "0");

  const BanditOptions& options() const { return options_; }
  // The policy version logged with impressions (e.g. the model's training time); set by whoever
  // builds or swaps in the policy.
  const std::string& version() const { return version_; }
  void set_version(std::string v) { version_ = std::move(v); }

  // Orders `arms` (distinct, non-empty ids) for the context, filling min(slots, arms) positions
  // (slots = 0: all). Errors (invalid argument) on an empty or duplicate arm id.
  Result<std::vector<Placement>> rank(const BanditContext& context,
                                      std::span<const std::string> arms, BanditRng& rng,
                                      std::size_t slots = 0) const;

  // The distribution of the next position's arm over `remaining` (the arms not yet placed, in
  // the caller's order): what rank() draws from, summing to 1. For the counterfactual
  // evaluator and for tests.
  std::vector<double> probabilities(const BanditContext& context,
                                    std::span<const std::string> remaining) const;

  // The model's scores (upper confidence bounds) and its greedy ranking (indices into `arms`,
  // ties in the caller's order).
  std::vector<double> scores(const BanditContext& context, std::span<const std::string> arms) const;
  std::vector<std::size_t> greedy_order(const BanditContext& context,
                                        std::span<const std::string> arms) const;
  // The model's expected reward (no bonus) of an arm in a context; 0 for an unseen family.
  double expected_reward(const BanditContext& context, std::string_view arm) const;

  // Learns from one observed reward (e.g. 1 for a click or a 30 s play, 0 for an impression
  // without either). Rewards should be in [0, 1]; non-finite ones are ignored (false).
  bool update(const BanditContext& context, std::string_view arm, double reward);

  std::size_t families() const { return models_.size(); }
  uint64_t observations(std::string_view arm) const;  // updates of the arm's family

  // The whole state as JSON: {"format":"segue.bandit/1","algorithm":..., "version":...,
  // "options":{...}, "features":N, "families":{name:{"n":..,"a":[d*d],"b":[d]}}}; the
  // entries of A (row-major) and b are decimal strings ("0.25") in the shortest form that reads
  // back to the same double, so a restored policy scores and logs propensities bit for bit
  // like the saved one. The same state always gives the same bytes.
  std::string to_json() const;
  // Errors (corruption) on malformed JSON, another format or algorithm, wrong sizes.
  static Result<Bandit> from_json(std::string_view text);

  // The family (model key) of an arm id: up to the first ':'.
  static std::string_view family(std::string_view arm);

 private:
  struct Model {
    Eigen::MatrixXd a;      // lambda I + sum x x^T
    Eigen::VectorXd b;      // sum r x
    Eigen::MatrixXd a_inv;  // kept in step with a
    Eigen::VectorXd theta;  // a_inv b
    uint64_t n = 0;
    void refresh();
  };
  const Model* model_of(std::string_view arm) const;
  double score(const Eigen::VectorXd& x, std::string_view arm) const;
  // Index of the best score, the first of equals.
  static std::size_t best_of(std::span<const double> s);

  BanditOptions options_;
  std::string version_;
  std::unordered_map<std::string, Model> models_;
};

}  // namespace segue::recommend
