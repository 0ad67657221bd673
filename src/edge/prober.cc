#include "edge/prober.h"

#include <curl/curl.h>

#include <vector>

#include "common/log.h"

namespace segue::edge {
namespace {

size_t discard(char*, size_t size, size_t n, void*) { return size * n; }

// libcurl's global state, set up once per process before any thread uses it.
void curl_init_once() {
  static const bool done = [] { return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK; }();
  (void)done;
}

}  // namespace

EdgeProber::EdgeProber(EdgeSet& edges, ProberOptions options) : edges_(edges), options_(options) { curl_init_once(); }

EdgeProber::~EdgeProber() { stop(); }

void EdgeProber::start() {
  if (thread_.joinable() || edges_.specs().empty()) return;
  thread_ = std::thread([this] { run(); });
}

void EdgeProber::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void EdgeProber::run() {
  auto next = std::chrono::steady_clock::now();
  std::unique_lock lock(mu_);
  while (!stopping_) {
    lock.unlock();
    probe_once();
    lock.lock();
    next += options_.interval;
    const auto now = std::chrono::steady_clock::now();
    if (next < now) next = now;  // a slow round does not make the next ones bunch up
    cv_.wait_until(lock, next, [this] { return stopping_; });
  }
}

void EdgeProber::probe_once() {
  const auto& specs = edges_.specs();
  CURLM* multi = curl_multi_init();
  if (!multi) return;
  std::vector<CURL*> handles(specs.size(), nullptr);
  std::vector<std::string> urls(specs.size());
  for (std::size_t i = 0; i < specs.size(); ++i) {
    CURL* h = curl_easy_init();
    if (!h) continue;
    urls[i] = specs[i].base_url + "/edge-health";
    curl_easy_setopt(h, CURLOPT_URL, urls[i].c_str());
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.timeout.count()));
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options_.timeout.count()));
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(h, CURLOPT_PRIVATE, reinterpret_cast<void*>(i));
    curl_easy_setopt(h, CURLOPT_USERAGENT, "segue-edge-prober");
    curl_multi_add_handle(multi, h);
    handles[i] = h;
  }
  int running = 0;
  do {
    if (curl_multi_perform(multi, &running) != CURLM_OK) break;
    if (running > 0) curl_multi_poll(multi, nullptr, 0, 100, nullptr);
  } while (running > 0);
  std::vector<bool> seen(specs.size(), false);
  int queued = 0;
  while (CURLMsg* msg = curl_multi_info_read(multi, &queued)) {
    if (msg->msg != CURLMSG_DONE) continue;
    void* priv = nullptr;
    curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &priv);
    const auto i = reinterpret_cast<std::size_t>(priv);
    if (i >= specs.size()) continue;
    seen[i] = true;
    long status = 0;
    curl_off_t total_us = 0;
    curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_getinfo(msg->easy_handle, CURLINFO_TOTAL_TIME_T, &total_us);
    if (msg->data.result == CURLE_OK && status == 200)
      edges_.record(i, std::chrono::duration<double>(static_cast<double>(total_us) / 1e6));
    else
      edges_.record(i, std::nullopt);
  }
  for (std::size_t i = 0; i < specs.size(); ++i) {
    if (!seen[i]) edges_.record(i, std::nullopt);
    if (handles[i]) {
      curl_multi_remove_handle(multi, handles[i]);
      curl_easy_cleanup(handles[i]);
    }
  }
  curl_multi_cleanup(multi);
}

}  // namespace segue::edge
