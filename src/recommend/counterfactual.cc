#include "recommend/counterfactual.h"

#include <algorithm>
#include <cmath>
#include <unordered_set>

namespace segue::recommend {
namespace {

// Mean and standard error of the mean (sample variance, n - 1) of `v`.
Estimate mean_of(const std::vector<double>& v, double z) {
  Estimate e;
  const double n = static_cast<double>(v.size());
  double sum = 0;
  for (double x : v) sum += x;
  e.value = sum / n;
  double ss = 0;
  for (double x : v) ss += (x - e.value) * (x - e.value);
  e.std_error = v.size() > 1 ? std::sqrt(ss / (n - 1) / n) : 0.0;
  e.low = e.value - z * e.std_error;
  e.high = e.value + z * e.std_error;
  return e;
}

}  // namespace

SlatePolicy bandit_policy(const Bandit& b) {
  return [&b](const BanditContext& c, std::span<const std::string> remaining) {
    return b.probabilities(c, remaining);
  };
}

Result<OffPolicyReport> evaluate_off_policy(std::span<const LoggedSlate> logs,
                                            const SlatePolicy& candidate,
                                            const OffPolicyOptions& options) {
  if (logs.empty()) return Error::invalid("off-policy evaluation: no logged slates");
  if (options.positions == 0)
    return Error::invalid("off-policy evaluation: positions must be at least 1");
  if (!(options.max_weight >= 0))
    return Error::invalid("off-policy evaluation: max_weight must be >= 0");
  const std::size_t depth = options.positions;
  const std::size_t n = logs.size();
  // Per slate and position: the (clipped) cumulative weight and the reward.
  std::vector<double> w(n * depth), r(n * depth);
  OffPolicyReport report;
  report.slates = n;
  std::vector<std::string> remaining;
  for (std::size_t i = 0; i < n; ++i) {
    const LoggedSlate& s = logs[i];
    const std::string where = "off-policy evaluation: slate " + std::to_string(i) + ": ";
    if (s.shown.size() < depth)
      return Error::invalid(where + "shows " + std::to_string(s.shown.size()) +
                            " arms, fewer than " + std::to_string(depth) + " positions");
    remaining = s.arms;
    double weight = 1.0;
    for (std::size_t k = 0; k < depth; ++k) {
      const LoggedImpression& imp = s.shown[k];
      if (!(imp.propensity > 0 && imp.propensity <= 1))
        return Error::invalid(where + "propensity " + std::to_string(imp.propensity) +
                              " at position " + std::to_string(k) + " is not in (0, 1]");
      if (!std::isfinite(imp.reward)) return Error::invalid(where + "a non-finite reward");
      auto at = std::find(remaining.begin(), remaining.end(), imp.arm);
      if (at == remaining.end())
        return Error::invalid(where + "arm \"" + imp.arm + "\" at position " + std::to_string(k) +
                              " is not a remaining candidate");
      const auto p = candidate(s.context, remaining);
      if (p.size() != remaining.size())
        return Error::invalid(where + "the candidate policy gave a distribution of the wrong size");
      double total = 0;
      for (double q : p) {
        if (!(q >= 0) || !std::isfinite(q))
          return Error::invalid(where + "the candidate policy gave a negative probability");
        total += q;
      }
      if (std::abs(total - 1.0) > 1e-6)
        return Error::invalid(where + "the candidate policy's probabilities do not sum to 1");
      weight *= p[static_cast<std::size_t>(at - remaining.begin())] / imp.propensity;
      remaining.erase(at);
      double used = weight;
      report.max_weight = std::max(report.max_weight, weight);
      if (options.max_weight > 0 && used > options.max_weight) {
        used = options.max_weight;
        ++report.clipped;
      }
      w[i * depth + k] = used;
      r[i * depth + k] = imp.reward;
    }
  }

  std::vector<double> logged(n), ips(n), psi(n, 0.0);
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t k = 0; k < depth; ++k) {
      logged[i] += r[i * depth + k];
      ips[i] += w[i * depth + k] * r[i * depth + k];
    }
  report.logged = mean_of(logged, options.z);
  report.ips = mean_of(ips, options.z);

  double snips = 0;
  for (std::size_t k = 0; k < depth; ++k) {
    double sw = 0, swr = 0;
    for (std::size_t i = 0; i < n; ++i) {
      sw += w[i * depth + k];
      swr += w[i * depth + k] * r[i * depth + k];
    }
    if (sw <= 0)
      continue;  // the candidate never agrees with the logs here: nothing to say, counted as 0
    const double s_k = swr / sw;
    const double mean_w = sw / static_cast<double>(n);
    snips += s_k;
    for (std::size_t i = 0; i < n; ++i)
      psi[i] += w[i * depth + k] * (r[i * depth + k] - s_k) / mean_w;
  }
  const Estimate spread = mean_of(psi, options.z);  // psi has mean 0; its standard error is SNIPS's
  report.snips.value = snips;
  report.snips.std_error = spread.std_error;
  report.snips.low = snips - options.z * spread.std_error;
  report.snips.high = snips + options.z * spread.std_error;

  double sw = 0, sw2 = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const double x = w[i * depth + depth - 1];
    sw += x;
    sw2 += x * x;
  }
  report.effective_sample_size = sw2 > 0 ? sw * sw / sw2 : 0.0;
  report.mean_weight = sw / static_cast<double>(n);
  return report;
}

}  // namespace segue::recommend
