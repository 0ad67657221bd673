// The event schema: every type parses, round-trips through to_json, and each bad field is
// named in the error.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "events/event.h"

namespace segue::events {
namespace {
using namespace std::chrono;
namespace json = boost::json;

const UserId kUser("uuuuuuuuuuuuuuuuuuuuuu");
const std::string kTrack = "AAAAAAAAAAAAAAAAAAAAAA";
const std::string kUri = "segue:track:" + kTrack;
const system_clock::time_point kNow = system_clock::time_point(milliseconds(1'760'000'000'000LL));

Playback pb(int64_t position_ms, bool skip) {
  Playback p;
  p.track = TrackId(kTrack);
  p.position_ms = position_ms;
  p.skip = skip;
  return p;
}

Result<Event> parse(std::string_view text) { return parse_event(json::parse(text), kUser, kNow); }

// The error's field: the message up to the first ':'.
std::string bad_field(std::string_view text) {
  auto r = parse(text);
  if (r.ok()) return "(accepted)";
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  return r.error().message.substr(0, r.error().message.find(':'));
}

TEST(EventSchema, EveryTypeParsesAndRoundTrips) {
  const std::string ts = R"("timestamp": 1759999999000)";
  const std::vector<std::string> good = {
      R"({"type": "track_start", "track_id": ")" + kTrack + R"(", )" + ts + "}",
      R"({"type": "track_end", "v": 1, "track_id": ")" + kUri + R"(", "position_ms": 31000, "skip": false, "reason": "trackdone", "duration_ms": 200000, "context_uri": "segue:album:BBBBBBBBBBBBBBBBBBBBBB", )" + ts + "}",
      R"({"type": "skip", "track_id": ")" + kTrack + R"(", "position_ms": 5000, )" + ts + "}",
      R"({"type": "search", "query": "blue monday", "result_count": 12, )" + ts + "}",
      R"({"type": "search_click", "query": "blue", "item_uri": ")" + kUri + R"(", "rank": 0, )" + ts + "}",
      R"({"type": "home_impression", "section_ids": ["recent", "mixes"], "item_uris": [")" + kUri + R"("], )" + ts + "}",
      R"({"type": "home_click", "section": "mixes", "item_uri": ")" + kUri + R"(", "rank": 3, )" + ts + "}",
      R"({"type": "playlist_edit", "playlist_id": "PPPPPPPPPPPPPPPPPPPPPP", "action": "add", )" + ts + "}",
      R"({"type": "library_save", "item_uri": "segue:album:BBBBBBBBBBBBBBBBBBBBBB", "saved": false, "private_session": true, )" + ts + "}",
  };
  for (const auto& text : good) {
    auto e = parse(text);
    ASSERT_TRUE(e.ok()) << text << ": " << e.error().message;
    EXPECT_EQ(e->user, kUser);
    EXPECT_EQ(e->timestamp_ms, 1759999999000);
    auto again = parse_event(to_json(*e), kUser, kNow);
    ASSERT_TRUE(again.ok()) << again.error().message;
    EXPECT_EQ(*again, *e) << text;
    // The log's body column round-trips the non-playback fields.
    if (!is_playback(e->type)) {
      auto payload = decode_body(e->type, encode_body(*e));
      ASSERT_TRUE(payload.ok());
      EXPECT_EQ(*payload, e->payload);
    }
  }
  EXPECT_TRUE(std::get<Playback>(parse(good[2])->payload).skip);           // skip implies skip
  EXPECT_EQ(std::get<Playback>(parse(good[1])->payload).track.str(), kTrack);  // URI -> id
  EXPECT_TRUE(parse(good[8])->private_session);
}

TEST(EventSchema, ABatchIsAnArrayAnEventsFieldOrOneEvent) {
  json::array single;
  json::value arr = json::parse(R"([{"type":"search"},{"type":"search"}])");
  EXPECT_EQ(event_batch(arr, single), &arr.as_array());
  json::value wrapped = json::parse(R"({"events":[{"type":"search"}]})");
  ASSERT_NE(event_batch(wrapped, single), nullptr);
  EXPECT_EQ(event_batch(wrapped, single)->size(), 1u);
  EXPECT_TRUE(single.empty());
  json::value one = json::parse(R"({"type":"search","query":"x"})");
  const json::array* got = event_batch(one, single);
  ASSERT_EQ(got, &single);
  ASSERT_EQ(got->size(), 1u);
  EXPECT_EQ(got->at(0), one);
  EXPECT_EQ(event_batch(json::parse("7"), single), nullptr);
  EXPECT_EQ(event_batch(json::parse(R"("events")"), single), nullptr);
}

// The seed's literal contract: {"event": "track_end", "position_ms": ..., "skip": false}.
TEST(EventSchema, TheSeedsEventKeyNamesTheTypeWhenTypeIsAbsent) {
  auto e = parse(R"({"event": "track_end", "track_id": "AAAAAAAAAAAAAAAAAAAAAA", "position_ms": 185000, "skip": false})");
  ASSERT_TRUE(e.ok()) << e.error().message;
  EXPECT_EQ(e->type, EventType::kTrackEnd);
  EXPECT_EQ(e->payload, Payload(pb(185000, false)));
  EXPECT_EQ(to_json(*e).at("type").as_string(), "track_end");  // stored and exported as "type"
  // "type" wins; "event" beside it is an unknown field, ignored as any other.
  auto both = parse(R"({"type": "track_start", "event": {"x": 1}, "track_id": "AAAAAAAAAAAAAAAAAAAAAA"})");
  ASSERT_TRUE(both.ok()) << both.error().message;
  EXPECT_EQ(both->type, EventType::kTrackStart);
  EXPECT_EQ(bad_field(R"({"event": "track_teleport"})"), "type");
  EXPECT_EQ(bad_field(R"({"event": 3})"), "event");
}

TEST(EventSchema, MissingTimestampMeansNow) {
  auto e = parse(R"({"type": "search", "query": "x", "result_count": 0})");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->timestamp_ms, 1'760'000'000'000LL);
}

TEST(EventSchema, HeaderErrorsNameTheField) {
  EXPECT_EQ(bad_field(R"([1])"), "event");
  EXPECT_EQ(bad_field(R"({"track_id": "x"})"), "type");
  EXPECT_EQ(bad_field(R"({"type": 3})"), "type");
  EXPECT_EQ(bad_field(R"({"type": "track_teleport"})"), "type");
  EXPECT_EQ(bad_field(R"({"type": "search", "v": 2, "query": "x", "result_count": 1})"), "v");
  EXPECT_EQ(bad_field(R"({"type": "search", "v": "1", "query": "x", "result_count": 1})"), "v");
  EXPECT_EQ(bad_field(R"({"type": "search", "timestamp": 900000000000, "query": "x", "result_count": 1})"), "timestamp");
  // More than a day ahead of the server's clock.
  EXPECT_EQ(bad_field(R"({"type": "search", "timestamp": 1760090000000, "query": "x", "result_count": 1})"), "timestamp");
  EXPECT_EQ(bad_field(R"({"type": "search", "timestamp": "yesterday", "query": "x", "result_count": 1})"), "timestamp");
  EXPECT_EQ(bad_field(R"({"type": "search", "private_session": 1, "query": "x", "result_count": 1})"), "private_session");
}

TEST(EventSchema, PlaybackErrorsNameTheField) {
  const std::string t = R"("track_id": ")" + kTrack + R"(", )";
  EXPECT_EQ(bad_field(R"({"type": "track_end", "position_ms": 1})"), "track_id");
  EXPECT_EQ(bad_field(R"({"type": "track_end", "track_id": "../etc/passwd", "position_ms": 1})"), "track_id");
  EXPECT_EQ(bad_field(R"({"type": "track_end", )" + t + R"("skip": true})"), "position_ms");
  EXPECT_EQ(bad_field(R"({"type": "track_end", )" + t + R"("position_ms": -1})"), "position_ms");
  EXPECT_EQ(bad_field(R"({"type": "track_end", )" + t + R"("position_ms": 1.5})"), "position_ms");
  EXPECT_EQ(bad_field(R"({"type": "track_end", )" + t + R"("position_ms": 86400001})"), "position_ms");
  EXPECT_EQ(bad_field(R"({"type": "track_end", )" + t + R"("position_ms": 1, "duration_ms": -5})"), "duration_ms");
  EXPECT_EQ(bad_field(R"({"type": "track_end", )" + t + R"("position_ms": 1, "skip": "yes"})"), "skip");
  EXPECT_EQ(bad_field(R"({"type": "track_start", )" + t + R"("skip": true})"), "skip");
  EXPECT_EQ(bad_field(R"({"type": "track_end", )" + t + R"("position_ms": 1, "reason": ")" + std::string(65, 'r') + R"("})"), "reason");
  json::object invalid_utf8{{"type", "track_end"}, {"track_id", kTrack}, {"position_ms", 1}, {"reason", "\xff\xfe"}};
  auto r = parse_event(invalid_utf8, kUser, kNow);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message.rfind("reason:", 0), 0u);
  EXPECT_EQ(bad_field(R"({"type": "track_end", )" + t + R"("position_ms": 1, "context_uri": ")" + std::string(257, 'c') + R"("})"), "context_uri");
}

// Where a play was started: "home:<section>" validated like home_click's section, other
// "<prefix>:<value>" sources kept as sent, anything else refused naming "source".
TEST(EventSchema, PlaybackSourceIsReadCheckedAndRoundTrips) {
  const std::string t = R"("track_id": ")" + kTrack + R"(", )";
  auto e = parse(R"({"type": "track_end", )" + t + R"("position_ms": 31000, "source": "home:because_you_listened:BBBBBBBBBBBBBBBBBBBBBB"})");
  ASSERT_TRUE(e.ok()) << e.error().message;
  EXPECT_EQ(e->playback()->source, "home:because_you_listened:BBBBBBBBBBBBBBBBBBBBBB");
  EXPECT_EQ(home_section_of(e->playback()->source), "because_you_listened:BBBBBBBBBBBBBBBBBBBBBB");
  EXPECT_EQ(std::string(to_json(*e).at("source").as_string()), e->playback()->source);
  auto again = parse_event(to_json(*e), kUser, kNow);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *e);
  // Absent: empty, and not written out.
  auto plain = parse(R"({"type": "track_start", )" + t + R"("timestamp": 1759999999000})");
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->playback()->source, "");
  EXPECT_FALSE(to_json(*plain).contains("source"));
  // Another prefix is kept, and is no home section.
  auto other = parse(R"({"type": "skip", )" + t + R"("position_ms": 3, "source": "search:blue monday"})");
  ASSERT_TRUE(other.ok()) << other.error().message;
  EXPECT_EQ(other->playback()->source, "search:blue monday");
  EXPECT_FALSE(home_section_of(other->playback()->source));
  EXPECT_EQ(home_source("made_for_you"), "home:made_for_you");

  auto src = [&](const std::string& value) {
    return bad_field(R"({"type": "track_end", )" + t + R"("position_ms": 1, "source": )" + value + "}");
  };
  EXPECT_EQ(src("42"), "source");                                  // not a string
  EXPECT_EQ(src(R"("home")"), "source");                           // no prefix
  EXPECT_EQ(src(R"("home:")"), "source");                          // no section
  EXPECT_EQ(src(R"(":made_for_you")"), "source");                  // empty prefix
  EXPECT_EQ(src(R"("Home:made_for_you")"), "source");              // prefix not lowercase
  EXPECT_EQ(src(R"("home:)" + std::string(65, 's') + R"(")"), "source");    // section of 65 bytes
  EXPECT_EQ(src(R"("x:)" + std::string(79, 's') + R"(")"), "source");       // 81 bytes
  EXPECT_EQ(src(R"("home:a\u0001b")"), "source");            // a control character
  EXPECT_EQ(src(R"("home:)" + std::string(64, 's') + R"(")"), "(accepted)");
  json::object invalid_utf8{{"type", "track_end"}, {"track_id", kTrack}, {"position_ms", 1}, {"source", "home:\xff\xfe"}};
  auto r = parse_event(invalid_utf8, kUser, kNow);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message.rfind("source:", 0), 0u);
}

TEST(EventSchema, OtherTypesErrorsNameTheField) {
  EXPECT_EQ(bad_field(R"({"type": "search", "result_count": 1})"), "query");
  EXPECT_EQ(bad_field(R"({"type": "search", "query": "", "result_count": 1})"), "query");
  EXPECT_EQ(bad_field(R"({"type": "search", "query": ")" + std::string(501, 'q') + R"(", "result_count": 1})"), "query");
  EXPECT_EQ(bad_field(R"({"type": "search", "query": "x"})"), "result_count");
  EXPECT_EQ(bad_field(R"({"type": "search", "query": "x", "result_count": -1})"), "result_count");
  EXPECT_EQ(bad_field(R"({"type": "search_click", "query": "x", "item_uri": "http://evil", "rank": 1})"), "item_uri");
  EXPECT_EQ(bad_field(R"({"type": "search_click", "query": "x", "item_uri": ")" + kUri + R"(", "rank": 10000})"), "rank");
  EXPECT_EQ(bad_field(R"({"type": "search_click", "item_uri": ")" + kUri + R"(", "rank": 1})"), "query");
  EXPECT_EQ(bad_field(R"({"type": "home_impression", "item_uris": []})"), "section_ids");
  EXPECT_EQ(bad_field(R"({"type": "home_impression", "section_ids": []})"), "section_ids");
  EXPECT_EQ(bad_field(R"({"type": "home_impression", "section_ids": [1]})"), "section_ids");
  EXPECT_EQ(bad_field(R"({"type": "home_impression", "section_ids": ["a"], "item_uris": ["segue:track:short"]})"), "item_uris");
  EXPECT_EQ(bad_field(R"({"type": "home_click", "section": "", "item_uri": ")" + kUri + R"(", "rank": 1})"), "section");
  EXPECT_EQ(bad_field(R"({"type": "home_click", "section": "a", "item_uri": ")" + kUri + R"(", "rank": -1})"), "rank");
  EXPECT_EQ(bad_field(R"({"type": "playlist_edit", "playlist_id": "nope", "action": "add"})"), "playlist_id");
  EXPECT_EQ(bad_field(R"({"type": "playlist_edit", "playlist_id": "PPPPPPPPPPPPPPPPPPPPPP", "action": "burn"})"), "action");
  EXPECT_EQ(bad_field(R"({"type": "library_save", "item_uri": ")" + kUri + R"("})"), "saved");
  EXPECT_EQ(bad_field(R"({"type": "library_save", "item_uri": 5, "saved": true})"), "item_uri");
}

TEST(EventSchema, ValidateCatchesAPayloadThatDoesNotMatchTheType) {
  Event e;
  e.type = EventType::kSearch;
  e.user = kUser;
  e.timestamp_ms = 1'759'000'000'000LL;
  e.payload = pb(0, false);
  auto s = validate(e, kNow);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().message.rfind("type", 0), 0u);
}

TEST(PlayRule, ThirtySecondsOrPlayedToTheEnd) {
  Event e;
  e.type = EventType::kTrackEnd;
  e.payload = pb(29999, true);
  EXPECT_FALSE(counts_as_play(e));
  std::get<Playback>(e.payload).position_ms = 30000;
  EXPECT_TRUE(counts_as_play(e));
  std::get<Playback>(e.payload) = pb(20000, false);  // a 20 s track played to its end
  EXPECT_TRUE(counts_as_play(e));
  e.type = EventType::kSkip;
  std::get<Playback>(e.payload) = pb(20000, true);
  EXPECT_FALSE(counts_as_play(e));
  e.type = EventType::kTrackStart;
  std::get<Playback>(e.payload) = pb(60000, false);
  EXPECT_FALSE(counts_as_play(e));
}

}  // namespace
}  // namespace segue::events
