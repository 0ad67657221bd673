// Micro-benchmarks of the per-request work on the streaming and API hot paths:
// Range header decisions, stream-token verification, query-string parsing, the rate limiter.
// Built only when Google Benchmark is found (see bench/CMakeLists.txt); run by bench/run.sh.
#include <benchmark/benchmark.h>

#include <chrono>
#include <string>

#include "bus/local_bus.h"
#include "common/ids.h"
#include "net/rate_limiter.h"
#include "net/router.h"
#include "playback/byte_range.h"
#include "playback/stream_token.h"
#include "playlist/crdt.h"

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


// The domain-event bus (issue 16): what a service's publish costs with the server's three
// inline subscribers of a kind (an indexer-like recorder and two hub forwarders).
void BM_BusPublishInline(benchmark::State& state) {
  bus::LocalBus events;
  std::size_t seen = 0;
  auto a = events.subscribe("a", [&](const bus::DomainEvent& e) { seen += e.index(); });
  auto b = events.subscribe("b", bus::only<bus::PlaylistDetailsChanged>([&](const auto& e) { seen += e.playlist_id.str().size(); }));
  auto c = events.subscribe("c", bus::only<bus::LibraryChanged>([&](const auto& e) { seen += e.ids.size(); }));
  const bus::DomainEvent e = bus::PlaylistDetailsChanged{PlaylistId(random_base62_id())};
  for (auto _ : state) events.publish(e);
  benchmark::DoNotOptimize(seen);
}
BENCHMARK(BM_BusPublishInline);

// A playlist edit of N added tracks as the service now announces it: its ops encoded once into
// the event, and decoded again by the real-time forwarder (what passing the ops by value saved).
void BM_PlaylistChangeEncodeDecode(benchmark::State& state) {
  playlist::Sequence seq(1);
  std::vector<playlist::Op> ops;
  for (int i = 0; i < state.range(0); ++i)
    ops.push_back(seq.insert(static_cast<std::size_t>(i), "segue:track:" + random_base62_id()).value());
  for (auto _ : state) {
    bus::PlaylistItemsChanged e{PlaylistId("p"), "s2", "s1", playlist::encode_ops(ops), true};
    auto back = playlist::decode_ops(e.ops);
    benchmark::DoNotOptimize(back);
  }
}
BENCHMARK(BM_PlaylistChangeEncodeDecode)->Arg(1)->Arg(100);

// The serialised form a bus between processes would carry.
void BM_DomainEventEncodeDecode(benchmark::State& state) {
  const bus::DomainEvent e = bus::LibraryChanged{UserId(random_base62_id()), bus::LibraryChanged::Kind::kTracks,
                                                 {random_base62_id(), random_base62_id()}, true};
  for (auto _ : state) {
    auto back = bus::decode(bus::encode(e));
    benchmark::DoNotOptimize(back);
  }
}
BENCHMARK(BM_DomainEventEncodeDecode);

}  // namespace

BENCHMARK_MAIN();
