#include "recommend/bandit.h"

#include <Eigen/Cholesky>
#include <algorithm>
#include <boost/json.hpp>
#include <charconv>
#include <cmath>
#include <numbers>
#include <optional>
#include <stdexcept>
#include <unordered_set>

namespace segue::recommend {
namespace {

constexpr const char* kFormat = "segue.bandit/1";

// A double in [0, 1) from the top 53 bits: the same on every platform for the same seed
// (std::uniform_real_distribution leaves its algorithm to the library).
double uniform01(BanditRng& rng) { return static_cast<double>(rng() >> 11) * 0x1.0p-53; }

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Doubles of the state as strings in the shortest form that reads back to the same bits:
// Boost.JSON 1.81 parses numbers to within an ulp only, and a restored policy must score (and
// so log propensities) exactly as the one that was saved.
std::string exact_text(double v) {
  char buf[32];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

bool exact_number(const boost::json::value& v, double& out) {
  const auto* s = v.if_string();
  if (!s) return false;
  const auto r = std::from_chars(s->data(), s->data() + s->size(), out);
  return r.ec == std::errc() && r.ptr == s->data() + s->size() && std::isfinite(out);
}

double clamp01(double v) { return std::isfinite(v) ? std::clamp(v, 0.0, 1.0) : 0.0; }

void check(const BanditOptions& o) {
  if (!(o.epsilon >= 0 && o.epsilon <= 1))
    throw std::invalid_argument("bandit: epsilon must be in [0, 1]");
  if (!(o.alpha >= 0) || !std::isfinite(o.alpha))
    throw std::invalid_argument("bandit: alpha must be >= 0");
  if (!(o.lambda > 0) || !std::isfinite(o.lambda))
    throw std::invalid_argument("bandit: lambda must be > 0");
}

}  // namespace

Device parse_device(std::string_view type) {
  const std::string t = lower(type);
  if (t == "computer" || t == "desktop" || t == "laptop" || t == "web") return Device::kComputer;
  if (t == "smartphone" || t == "phone" || t == "mobile") return Device::kSmartphone;
  if (t == "tablet") return Device::kTablet;
  if (t == "speaker" || t == "castaudio" || t == "avr" || t == "audiodongle")
    return Device::kSpeaker;
  if (t == "tv" || t == "stb" || t == "castvideo" || t == "gameconsole") return Device::kTv;
  if (t == "automobile" || t == "car") return Device::kAutomobile;
  return Device::kOther;
}

const char* device_name(Device d) {
  switch (d) {
    case Device::kComputer:
      return "computer";
    case Device::kSmartphone:
      return "smartphone";
    case Device::kTablet:
      return "tablet";
    case Device::kSpeaker:
      return "speaker";
    case Device::kTv:
      return "tv";
    case Device::kAutomobile:
      return "automobile";
    case Device::kOther:
      return "other";
  }
  return "other";
}

std::string context_to_json(const BanditContext& c) {
  boost::json::object o;
  o["hour"] = c.hour;
  o["weekday"] = c.weekday;
  o["device"] = device_name(c.device);
  o["discovery_share"] = c.discovery_share;
  o["skip_share"] = c.skip_share;
  o["home_share"] = c.home_share;
  return boost::json::serialize(o);
}

Result<BanditContext> context_from_json(std::string_view text) {
  boost::system::error_code ec;
  const boost::json::value v = boost::json::parse(text, ec);
  if (ec || !v.is_object()) return Error::invalid("context: not a JSON object");
  const auto& o = v.as_object();
  BanditContext c;
  auto number = [&](const char* name, double& out, double lo, double hi,
                    bool hi_open) -> std::optional<Error> {
    const auto* f = o.if_contains(name);
    if (!f || f->is_null()) return std::nullopt;
    if (!f->is_number())
      return Error::invalid(std::string("context: ") + name + ": expected a number");
    const double x = f->to_number<double>();
    if (!(x >= lo && (hi_open ? x < hi : x <= hi)))
      return Error::invalid(std::string("context: ") + name + ": out of range");
    out = x;
    return std::nullopt;
  };
  double weekday = 0;
  if (auto e = number("hour", c.hour, 0, 24, true)) return *e;
  if (auto e = number("weekday", weekday, 0, 6, false)) return *e;
  if (weekday != std::floor(weekday))
    return Error::invalid("context: weekday: expected an integer");
  c.weekday = static_cast<int>(weekday);
  if (auto e = number("discovery_share", c.discovery_share, 0, 1, false)) return *e;
  if (auto e = number("skip_share", c.skip_share, 0, 1, false)) return *e;
  if (auto e = number("home_share", c.home_share, 0, 1, false)) return *e;
  if (const auto* d = o.if_contains("device"); d && !d->is_null()) {
    if (!d->is_string()) return Error::invalid("context: device: expected a string");
    c.device = parse_device(d->get_string());
  }
  return c;
}

Eigen::VectorXd bandit_features(const BanditContext& c) {
  Eigen::VectorXd x = Eigen::VectorXd::Zero(kBanditFeatures);
  const double hour = std::isfinite(c.hour) ? std::fmod(std::fmod(c.hour, 24.0) + 24.0, 24.0) : 0.0;
  const double day_angle = 2 * std::numbers::pi * hour / 24.0;
  const int weekday = ((c.weekday % 7) + 7) % 7;
  const double week_angle = 2 * std::numbers::pi * weekday / 7.0;
  int i = 0;
  x[i++] = 1.0;
  x[i++] = std::sin(day_angle);
  x[i++] = std::cos(day_angle);
  x[i++] = std::sin(2 * day_angle);
  x[i++] = std::cos(2 * day_angle);
  x[i++] = std::sin(week_angle);
  x[i++] = std::cos(week_angle);
  x[i++] = weekday >= 5 ? 1.0 : 0.0;
  x[i + static_cast<int>(c.device)] = 1.0;
  i += kDeviceCount;
  x[i++] = clamp01(c.discovery_share);
  x[i++] = clamp01(c.skip_share);
  x[i++] = clamp01(c.home_share);
  return x;
}

void Bandit::Model::refresh() {
  // A is symmetric positive definite (lambda I plus outer products): Cholesky.
  Eigen::LLT<Eigen::MatrixXd> llt(a);
  a_inv = llt.solve(Eigen::MatrixXd::Identity(a.rows(), a.cols()));
  theta = a_inv * b;
}

Bandit::Bandit(BanditOptions options, std::string version)
    : options_(options), version_(std::move(version)) {
  check(options_);
}

std::string_view Bandit::family(std::string_view arm) { return arm.substr(0, arm.find(':')); }

const Bandit::Model* Bandit::model_of(std::string_view arm) const {
  auto it = models_.find(std::string(family(arm)));
  return it == models_.end() ? nullptr : &it->second;
}

double Bandit::score(const Eigen::VectorXd& x, std::string_view arm) const {
  const Model* m = model_of(arm);
  if (!m)
    return options_.alpha *
           std::sqrt(x.squaredNorm() / options_.lambda);  // A = lambda I, theta = 0
  const double mean = m->theta.dot(x);
  const double var = std::max(0.0, x.dot(m->a_inv * x));
  return mean + options_.alpha * std::sqrt(var);
}

std::size_t Bandit::best_of(std::span<const double> s) {
  std::size_t best = 0;
  for (std::size_t i = 1; i < s.size(); ++i)
    if (s[i] > s[best]) best = i;
  return best;
}

std::vector<double> Bandit::scores(const BanditContext& context,
                                   std::span<const std::string> arms) const {
  const Eigen::VectorXd x = bandit_features(context);
  std::vector<double> out;
  out.reserve(arms.size());
  for (const auto& a : arms) out.push_back(score(x, a));
  return out;
}

std::vector<std::size_t> Bandit::greedy_order(const BanditContext& context,
                                              std::span<const std::string> arms) const {
  const auto s = scores(context, arms);
  std::vector<std::size_t> order(arms.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t l, std::size_t r) { return s[l] > s[r]; });
  return order;
}

double Bandit::expected_reward(const BanditContext& context, std::string_view arm) const {
  const Model* m = model_of(arm);
  return m ? m->theta.dot(bandit_features(context)) : 0.0;
}

std::vector<double> Bandit::probabilities(const BanditContext& context,
                                          std::span<const std::string> remaining) const {
  std::vector<double> p(remaining.size(), 0.0);
  if (remaining.empty()) return p;
  const double m = static_cast<double>(remaining.size());
  for (auto& v : p) v = options_.epsilon / m;
  const auto s = scores(context, remaining);
  p[best_of(s)] += 1.0 - options_.epsilon;
  return p;
}

Result<std::vector<Placement>> Bandit::rank(const BanditContext& context,
                                            std::span<const std::string> arms, BanditRng& rng,
                                            std::size_t slots) const {
  std::unordered_set<std::string_view> seen;
  for (const auto& a : arms) {
    if (a.empty()) return Error::invalid("bandit: an arm id is empty");
    if (!seen.insert(a).second) return Error::invalid("bandit: arm \"" + a + "\" is listed twice");
  }
  const std::size_t n = slots == 0 ? arms.size() : std::min(slots, arms.size());
  // The greedy choice among the remaining arms is the first remaining one in the greedy order
  // (scores do not depend on what is above), so one sort serves every position.
  const auto order = greedy_order(context, arms);
  std::vector<bool> placed(arms.size(), false);
  std::vector<Placement> out;
  out.reserve(n);
  for (std::size_t pos = 0; pos < n; ++pos) {
    const std::size_t remaining = arms.size() - pos;
    std::size_t greedy = 0;
    for (std::size_t i : order)
      if (!placed[i]) {
        greedy = i;
        break;
      }
    std::size_t pick = greedy;
    bool explored = false;
    if (options_.epsilon > 0 && uniform01(rng) < options_.epsilon) {
      explored = true;
      auto k = static_cast<std::size_t>(uniform01(rng) * static_cast<double>(remaining));
      k = std::min(k, remaining - 1);
      for (std::size_t i = 0; i < arms.size(); ++i)
        if (!placed[i] && k-- == 0) {
          pick = i;
          break;
        }
    }
    placed[pick] = true;
    const double uniform = options_.epsilon / static_cast<double>(remaining);
    out.push_back({arms[pick], static_cast<int>(pos),
                   pick == greedy ? 1.0 - options_.epsilon + uniform : uniform, explored});
  }
  return out;
}

bool Bandit::update(const BanditContext& context, std::string_view arm, double reward) {
  if (!std::isfinite(reward) || arm.empty()) return false;
  const Eigen::VectorXd x = bandit_features(context);
  auto [it, fresh] = models_.try_emplace(std::string(family(arm)));
  Model& m = it->second;
  if (fresh) {
    m.a = options_.lambda * Eigen::MatrixXd::Identity(kBanditFeatures, kBanditFeatures);
    m.b = Eigen::VectorXd::Zero(kBanditFeatures);
  }
  m.a.noalias() += x * x.transpose();
  m.b += reward * x;
  ++m.n;
  // A full Cholesky solve each time (d = 18: microseconds) rather than a Sherman-Morrison
  // rank-one step: no drift, and a state read back from JSON scores to the same bits.
  m.refresh();
  return true;
}

uint64_t Bandit::observations(std::string_view arm) const {
  const Model* m = model_of(arm);
  return m ? m->n : 0;
}

std::string Bandit::to_json() const {
  namespace json = boost::json;
  json::object root;
  root["format"] = kFormat;
  root["algorithm"] = kAlgorithm;
  root["version"] = version_;
  root["options"] = {
      {"epsilon", options_.epsilon}, {"alpha", options_.alpha}, {"lambda", options_.lambda}};
  root["features"] = kBanditFeatures;
  // Families in name order, so the same state always serialises to the same bytes.
  std::vector<const std::string*> names;
  for (const auto& [name, m] : models_) names.push_back(&name);
  std::sort(names.begin(), names.end(), [](auto* l, auto* r) { return *l < *r; });
  json::object fams;
  for (const auto* name : names) {
    const Model& m = models_.at(*name);
    json::array a, b;
    for (int r = 0; r < m.a.rows(); ++r)
      for (int c = 0; c < m.a.cols(); ++c) a.push_back(json::string(exact_text(m.a(r, c))));
    for (int r = 0; r < m.b.size(); ++r) b.push_back(json::string(exact_text(m.b[r])));
    fams[*name] = {{"n", m.n}, {"a", std::move(a)}, {"b", std::move(b)}};
  }
  root["families"] = std::move(fams);
  return json::serialize(root);
}

Result<Bandit> Bandit::from_json(std::string_view text) {
  namespace json = boost::json;
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec) return Error::corruption("bandit state: not JSON (" + ec.message() + ")");
  const auto* root = v.if_object();
  if (!root) return Error::corruption("bandit state: not an object");
  auto str = [&](const char* key) -> std::string {
    const auto* f = root->if_contains(key);
    return f && f->is_string() ? std::string(f->get_string()) : std::string();
  };
  if (str("format") != kFormat)
    return Error::corruption("bandit state: format is not " + std::string(kFormat));
  if (str("algorithm") != kAlgorithm)
    return Error::corruption("bandit state: algorithm \"" + str("algorithm") + "\" is not " +
                             kAlgorithm);
  const auto* features = root->if_contains("features");
  if (!features || !features->is_int64() || features->get_int64() != kBanditFeatures)
    return Error::corruption("bandit state: feature count differs from this build's");
  auto number = [](const json::value* f, double& out) {
    if (!f || !f->is_number()) return false;
    out = f->to_number<double>();
    return std::isfinite(out);
  };
  const auto* opts = root->if_contains("options");
  BanditOptions o;
  if (!opts || !opts->is_object() || !number(opts->as_object().if_contains("epsilon"), o.epsilon) ||
      !number(opts->as_object().if_contains("alpha"), o.alpha) ||
      !number(opts->as_object().if_contains("lambda"), o.lambda) ||
      !(o.epsilon >= 0 && o.epsilon <= 1) || !(o.alpha >= 0) || !(o.lambda > 0))
    return Error::corruption("bandit state: options missing or out of range");
  Bandit bandit(o, str("version"));
  const auto* fams = root->if_contains("families");
  if (!fams || !fams->is_object()) return Error::corruption("bandit state: no families");
  constexpr std::size_t d = kBanditFeatures;
  for (const auto& [name, f] : fams->as_object()) {
    const std::string where = "bandit state: family \"" + std::string(name) + "\": ";
    const auto* fo = f.if_object();
    const auto* a = fo ? fo->if_contains("a") : nullptr;
    const auto* b = fo ? fo->if_contains("b") : nullptr;
    const auto* n = fo ? fo->if_contains("n") : nullptr;
    if (!a || !b || !n || !a->is_array() || !b->is_array() || a->as_array().size() != d * d ||
        b->as_array().size() != d || !(n->is_uint64() || (n->is_int64() && n->get_int64() >= 0)))
      return Error::corruption(where + "malformed");
    Model m;
    m.a.resize(d, d);
    m.b.resize(d);
    for (std::size_t i = 0; i < d * d; ++i)
      if (!exact_number(a->as_array()[i], m.a(static_cast<int>(i / d), static_cast<int>(i % d))))
        return Error::corruption(where + "a non-number in A");
    for (std::size_t i = 0; i < d; ++i)
      if (!exact_number(b->as_array()[i], m.b[static_cast<int>(i)]))
        return Error::corruption(where + "a non-number in b");
    if (!m.a.isApprox(m.a.transpose())) return Error::corruption(where + "A is not symmetric");
    Eigen::LLT<Eigen::MatrixXd> llt(m.a);
    if (llt.info() != Eigen::Success)
      return Error::corruption(where + "A is not positive definite");
    m.n = n->to_number<uint64_t>();
    m.refresh();
    bandit.models_.emplace(std::string(name), std::move(m));
  }
  return bandit;
}

}  // namespace segue::recommend
