#include "common/metrics.h"

#include <cmath>
#include <cstdio>

namespace segue {
namespace {

std::string escape_label(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string label_key(const Labels& labels) {
  std::string out;
  for (const auto& [k, v] : labels) {
    if (!out.empty()) out += ',';
    out += k + "=\"" + escape_label(v) + "\"";
  }
  return out;
}

std::string num(double v) {
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.15g", v);
  return buf;
}

std::string with_labels(const std::string& name, const std::string& key, const std::string& extra = {}) {
  std::string l = key;
  if (!extra.empty()) l += (l.empty() ? "" : ",") + extra;
  return l.empty() ? name : name + "{" + l + "}";
}

}  // namespace

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)), counts_(new std::atomic<uint64_t>[bounds_.size() + 1]) {
  for (std::size_t i = 0; i <= bounds_.size(); ++i) counts_[i].store(0);
}

void Histogram::observe(double v) {
  std::size_t i = 0;
  while (i < bounds_.size() && v > bounds_[i]) ++i;
  counts_[i].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  sum_micros_.fetch_add(static_cast<uint64_t>(std::max(0.0, v) * 1e6), std::memory_order_relaxed);
}

double Histogram::sum() const { return static_cast<double>(sum_micros_.load()) / 1e6; }

MetricsRegistry::Family& MetricsRegistry::family(const std::string& name, const char* type,
                                                 const std::string& help) {
  auto& f = families_[name];
  if (f.type.empty()) {
    f.type = type;
    f.help = help;
  }
  return f;
}

Counter& MetricsRegistry::counter(const std::string& name, const std::string& help,
                                  const Labels& labels) {
  std::lock_guard lock(mu_);
  auto& slot = family(name, "counter", help).counters[label_key(labels)];
  if (!slot) slot = std::make_unique<Counter>();
  return *slot;
}

Gauge& MetricsRegistry::gauge(const std::string& name, const std::string& help,
                              const Labels& labels) {
  std::lock_guard lock(mu_);
  auto& slot = family(name, "gauge", help).gauges[label_key(labels)];
  if (!slot) slot = std::make_unique<Gauge>();
  return *slot;
}

Histogram& MetricsRegistry::histogram(const std::string& name, const std::string& help,
                                      const Labels& labels, const std::vector<double>& bounds) {
  std::lock_guard lock(mu_);
  auto& slot = family(name, "histogram", help).histograms[label_key(labels)];
  if (!slot) slot = std::make_unique<Histogram>(bounds);
  return *slot;
}

void MetricsRegistry::gauge_fn(const std::string& name, const std::string& help,
                               std::function<double()> fn) {
  std::lock_guard lock(mu_);
  family(name, "gauge", help).fn = std::move(fn);
}

void MetricsRegistry::gauge_fn(const std::string& name, const std::string& help, const Labels& labels,
                               std::function<double()> fn) {
  std::lock_guard lock(mu_);
  family(name, "gauge", help).labelled_fns[label_key(labels)] = std::move(fn);
}

const std::vector<double>& MetricsRegistry::latency_bounds_seconds() {
  static const std::vector<double> kBounds = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                              0.05,   0.1,   0.25,   0.5,   1,    2.5, 10};
  return kBounds;
}

std::string MetricsRegistry::render() const {
  std::lock_guard lock(mu_);
  std::string out;
  for (const auto& [name, f] : families_) {
    out += "# HELP " + name + " " + f.help + "\n# TYPE " + name + " " + f.type + "\n";
    if (f.fn) out += name + " " + num(f.fn()) + "\n";
    for (const auto& [key, fn] : f.labelled_fns) out += with_labels(name, key) + " " + num(fn()) + "\n";
    for (const auto& [key, c] : f.counters) out += with_labels(name, key) + " " + std::to_string(c->value()) + "\n";
    for (const auto& [key, g] : f.gauges) out += with_labels(name, key) + " " + std::to_string(g->value()) + "\n";
    for (const auto& [key, h] : f.histograms) {
      uint64_t cumulative = 0;
      for (std::size_t i = 0; i < h->bounds().size(); ++i) {
        cumulative += h->bucket(i);
        out += with_labels(name + "_bucket", key, "le=\"" + num(h->bounds()[i]) + "\"") + " " +
               std::to_string(cumulative) + "\n";
      }
      cumulative += h->bucket(h->bounds().size());
      out += with_labels(name + "_bucket", key, "le=\"+Inf\"") + " " + std::to_string(cumulative) + "\n";
      out += with_labels(name + "_sum", key) + " " + num(h->sum()) + "\n";
      out += with_labels(name + "_count", key) + " " + std::to_string(h->count()) + "\n";
    }
  }
  return out;
}

}  // namespace segue
