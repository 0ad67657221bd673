// Micro-benchmarks of the per-request work on the streaming and API hot paths:
// Range header decisions, stream-token verification, query-string parsing, the rate limiter.
// Built only when Google Benchmark is found (see bench/CMakeLists.txt); run by bench/run.sh.
#include <benchmark/benchmark.h>

#include <chrono>
#include <string>

#include "common/ids.h"
#include "net/rate_limiter.h"
#include "net/router.h"
#include "playback/byte_range.h"
#include "playback/stream_token.h"

namespace {
using namespace segue;

void BM_DecideRange(benchmark::State& state) {
  const std::string header = "bytes=1048576-1064959";
  for (auto _ : state) {
    auto d = playback::decide_range(header, 10'000'000);
    benchmark::DoNotOptimize(d);
  }
}
BENCHMARK(BM_DecideRange);

void BM_StreamTokenVerify(benchmark::State& state) {
  playback::StreamTokenSigner signer(std::string(32, 'k'));
  FileId file(random_base62_id());
  UserId user(random_base62_id());
  auto now = std::chrono::system_clock::now();
  std::string token = signer.issue(file, user, now + std::chrono::hours(1));
  for (auto _ : state) {
    auto claims = signer.verify(token, file, now);
    benchmark::DoNotOptimize(claims);
  }
}
BENCHMARK(BM_StreamTokenVerify);

void BM_StreamTokenIssue(benchmark::State& state) {
  playback::StreamTokenSigner signer(std::string(32, 'k'));
  FileId file(random_base62_id());
  UserId user(random_base62_id());
  auto exp = std::chrono::system_clock::now() + std::chrono::hours(1);
  for (auto _ : state) benchmark::DoNotOptimize(signer.issue(file, user, exp));
}
BENCHMARK(BM_StreamTokenIssue);

void BM_ParseQueryToken(benchmark::State& state) {
  playback::StreamTokenSigner signer(std::string(32, 'k'));
  std::string q = "token=" + signer.issue(FileId(random_base62_id()), UserId(random_base62_id()),
                                          std::chrono::system_clock::now());
  for (auto _ : state) benchmark::DoNotOptimize(net::parse_query(q));
}
BENCHMARK(BM_ParseQueryToken);

void BM_RateLimiterAcquire(benchmark::State& state) {
  net::RateLimiter limiter(100'000'000, std::chrono::seconds(30));
  const std::string key = "u:" + random_base62_id();
  for (auto _ : state) benchmark::DoNotOptimize(limiter.acquire(key));
}
BENCHMARK(BM_RateLimiterAcquire);

}  // namespace

BENCHMARK_MAIN();
