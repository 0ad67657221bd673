#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#include "bus/local_bus.h"

namespace segue::bus {
namespace {
using namespace std::chrono_literals;

PlaylistDetailsChanged details(int i) { return PlaylistDetailsChanged{PlaylistId("p" + std::to_string(i))}; }
std::string id_of(const DomainEvent& e) { return std::get<PlaylistDetailsChanged>(e).playlist_id.str(); }

// Waits (bounded) until pred holds.
template <class Pred>
bool eventually(Pred pred) {
  for (int i = 0; i < 500; ++i) {
    if (pred()) return true;
    std::this_thread::sleep_for(10ms);
  }
  return pred();
}

TEST(LocalBus, InlineSubscribersGetEveryEventInOrderBeforePublishReturns) {
  LocalBus bus;
  std::vector<std::string> a, b;
  auto sa = bus.subscribe("a", [&](const DomainEvent& e) { a.push_back("a" + id_of(e)); });
  auto sb = bus.subscribe("b", [&](const DomainEvent& e) { b.push_back("b" + id_of(e)); });
  for (int i = 0; i < 5; ++i) {
    bus.publish(details(i));
    ASSERT_EQ(a.size(), static_cast<std::size_t>(i + 1));  // delivered before publish returned
    ASSERT_EQ(b.size(), static_cast<std::size_t>(i + 1));
  }
  EXPECT_EQ(a, (std::vector<std::string>{"ap0", "ap1", "ap2", "ap3", "ap4"}));
  EXPECT_EQ(b, (std::vector<std::string>{"bp0", "bp1", "bp2", "bp3", "bp4"}));
}

TEST(LocalBus, UnsubscribedHandlersHearNothingMore) {
  LocalBus bus;
  int heard = 0, other = 0;
  auto s = bus.subscribe("x", [&](const DomainEvent&) { ++heard; });
  auto keep = bus.subscribe("y", [&](const DomainEvent&) { ++other; });
  bus.publish(details(1));
  s.reset();
  EXPECT_FALSE(s.active());
  bus.publish(details(2));
  {
    auto scoped = bus.subscribe("z", [&](const DomainEvent&) { ++heard; });
  }  // destroyed: unsubscribed
  bus.publish(details(3));
  EXPECT_EQ(heard, 1);
  EXPECT_EQ(other, 3);
}

TEST(LocalBus, AHandlerMayEndItsOwnSubscription) {
  LocalBus bus;
  int heard = 0;
  Subscription s;
  s = bus.subscribe("once", [&](const DomainEvent&) {
    ++heard;
    s.reset();
  });
  bus.publish(details(1));
  bus.publish(details(2));
  EXPECT_EQ(heard, 1);
}

TEST(LocalBus, ThrowingSubscriberIsCountedAndOthersStillHear) {
  MetricsRegistry metrics;
  LocalBus bus(&metrics);
  std::vector<std::string> heard;
  auto before = bus.subscribe("before", [&](const DomainEvent& e) { heard.push_back("before " + id_of(e)); });
  auto thrower = bus.subscribe("thrower", [](const DomainEvent&) { throw std::runtime_error("boom"); });
  auto odd = bus.subscribe("odd", [](const DomainEvent&) { throw 42; });
  auto after = bus.subscribe("after", [&](const DomainEvent& e) { heard.push_back("after " + id_of(e)); });
  EXPECT_NO_THROW(bus.publish(details(1)));
  EXPECT_NO_THROW(bus.publish(details(2)));
  EXPECT_EQ(heard, (std::vector<std::string>{"before p1", "after p1", "before p2", "after p2"}));
  EXPECT_EQ(bus.subscriber_errors(), 4u);
  const std::string text = metrics.render();
  EXPECT_NE(text.find("segue_domain_event_subscriber_errors_total 4"), std::string::npos) << text;
  EXPECT_NE(text.find("segue_domain_events_published_total{kind=\"playlist_details_changed\"} 2"), std::string::npos)
      << text;
}

TEST(LocalBus, SlowQueuedSubscriberDelaysNeitherPublisherNorOthers) {
  LocalBus bus;
  std::mutex mu;
  std::condition_variable cv;
  bool release = false;
  std::vector<std::string> slow_heard;
  std::atomic<int> quick{0};
  auto slow = bus.subscribe(
      "slow",
      [&](const DomainEvent& e) {
        std::unique_lock l(mu);
        cv.wait(l, [&] { return release; });  // blocked until the test lets it go
        slow_heard.push_back(id_of(e));
      },
      Delivery::kQueued);
  auto fast = bus.subscribe("fast", [&](const DomainEvent&) { ++quick; });
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 100; ++i) bus.publish(details(i));
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);  // nobody waited for the slow one
  EXPECT_EQ(quick.load(), 100);
  {
    std::lock_guard l(mu);
    EXPECT_TRUE(slow_heard.empty());
    release = true;
  }
  cv.notify_all();
  ASSERT_TRUE(eventually([&] {
    std::lock_guard l(mu);
    return slow_heard.size() == 100;
  }));
  std::lock_guard l(mu);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(slow_heard[static_cast<std::size_t>(i)], "p" + std::to_string(i));
}

TEST(LocalBus, SlowInlineSubscriberDelaysOnlyItsPublisher) {
  // Inline delivery runs on the publisher's thread: documented, and what lets a service's
  // listeners see the change before the request that made it returns.
  LocalBus bus;
  auto slow = bus.subscribe("slow", [](const DomainEvent&) { std::this_thread::sleep_for(200ms); });
  const auto start = std::chrono::steady_clock::now();
  bus.publish(details(1));
  EXPECT_GE(std::chrono::steady_clock::now() - start, 200ms);
}

TEST(LocalBus, UnsubscribeWaitsForACallInProgress) {
  LocalBus bus;
  std::atomic<bool> entered{false}, finished{false};
  auto s = bus.subscribe("busy", [&](const DomainEvent&) {
    entered = true;
    std::this_thread::sleep_for(200ms);
    finished = true;
  });
  std::thread publisher([&] { bus.publish(details(1)); });
  ASSERT_TRUE(eventually([&] { return entered.load(); }));
  s.reset();
  EXPECT_TRUE(finished.load());  // reset() returned only after the handler did
  publisher.join();
}

TEST(LocalBus, QueuedSubscriberEndsWithItsSubscription) {
  LocalBus bus;
  std::atomic<int> heard{0};
  auto s = bus.subscribe("q", [&](const DomainEvent&) { ++heard; }, Delivery::kQueued);
  bus.publish(details(1));
  ASSERT_TRUE(eventually([&] { return heard.load() == 1; }));
  s.reset();
  bus.publish(details(2));
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(heard.load(), 1);
}

TEST(LocalBus, OnlyFiltersByKind) {
  LocalBus bus;
  std::vector<std::string> users;
  auto s = bus.subscribe("lib", only<LibraryChanged>([&](const LibraryChanged& e) { users.push_back(e.user.str()); }));
  bus.publish(details(1));
  bus.publish(LibraryChanged{UserId("u1"), LibraryChanged::Kind::kAlbums, {"a"}, true});
  bus.publish(CatalogSnapshotPublished{3, 10});
  EXPECT_EQ(users, std::vector<std::string>{"u1"});
}

TEST(DomainEvents, EveryKindRoundTripsThroughItsSerialisedForm) {
  std::vector<DomainEvent> all = {
      PlaylistItemsChanged{PlaylistId("pl1"), "snapB", "snapA", std::string("\x00\x01\xff ops", 7), true},
      PlaylistDetailsChanged{PlaylistId("pl2")},
      LibraryChanged{UserId("alice"), LibraryChanged::Kind::kTracks, {"t1", "t2"}, false},
      CatalogSnapshotPublished{12345678901ULL, 28335},
      UsersRevoked{{UserId("a"), UserId("b")}},
  };
  for (const auto& e : all) {
    std::string text = encode(e);
    auto back = decode(text);
    ASSERT_TRUE(back.ok()) << text << ": " << back.error().message;
    EXPECT_EQ(*back, e) << text;
    EXPECT_NE(text.find(std::string(kind_name(e))), std::string::npos);
  }
}

TEST(DomainEvents, PlaylistEventsKeepTheirSerialisedForm) {
  // The playlist id is a plain string on the wire, whatever its type in the process.
  EXPECT_EQ(encode(PlaylistDetailsChanged{PlaylistId("pl2")}),
            R"({"kind":"playlist_details_changed","playlist_id":"pl2"})");
  EXPECT_EQ(encode(PlaylistItemsChanged{PlaylistId("pl1"), "snapB", "snapA", "abc", true}),
            R"({"kind":"playlist_items_changed","playlist_id":"pl1","snapshot_id":"snapB",)"
            R"("previous_snapshot_id":"snapA","ops":"YWJj","is_public":true})");
}

TEST(DomainEvents, DecodeRefusesWhatEncodeDidNotMake) {
  for (const char* bad : {"", "[]", "{}", R"({"kind":"nope"})", R"({"kind":"playlist_details_changed"})",
                          R"({"kind":"library_changed","user":"u","item_kind":"songs","ids":[],"saved":true})",
                          R"({"kind":"catalog_snapshot_published","generation":-1,"tracks":0})",
                          R"({"kind":"playlist_items_changed","playlist_id":"p","snapshot_id":"s",)"
                          R"("previous_snapshot_id":"r","ops":"***","is_public":true})"}) {
    auto r = decode(bad);
    EXPECT_FALSE(r.ok()) << bad;
    if (!r.ok()) {
      EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument) << bad;
    }
  }
}

}  // namespace
}  // namespace segue::bus
