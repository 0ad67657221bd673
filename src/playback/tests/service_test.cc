// The play decision and /audio resolution over a real catalog (scanned from encoded files into
// a real SQLite database) and a real transcode cache (its jobs run by a runner that writes the
// output file the way the worker does, and can be held or made to fail).
#include "playback/service.h"
#include "store/testing.h"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

#include "catalog/scanner.h"
#include "catalog/tests/test_util.h"
#include "edge/edges.h"
#include "transcode/cache.h"

namespace segue::playback {
namespace {

namespace fs = std::filesystem;
using catalog::testing::TempDir;

struct TestRunner {
  std::atomic<bool> hold{false};
  std::atomic<bool> fail{false};
  std::atomic<int> calls{0};
  transcode::Runner runner() {
    return [this](const transcode::Job& job) -> Result<audio::TranscodeReport> {
      ++calls;
      while (hold) std::this_thread::sleep_for(std::chrono::milliseconds(2));
      if (fail) return Error::invalid("not an audio file");
      {
        std::ofstream f(job.out_path + ".part", std::ios::binary);
        f << std::string(4000, 'x');
      }
      fs::rename(job.out_path + ".part", job.out_path);
      audio::TranscodeReport r;
      r.bytes = 4000;
      r.seconds = 1;
      r.bitrate_kbps = job.bitrate_kbps;
      return r;
    };
  }
};

class PlaybackServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    lib_ = tmp_.path() / "library";
    catalog::TagWrite flac_tags{{{"TITLE", {"Lossless Song"}}, {"ARTIST", {"Tester"}}, {"ALBUM", {"Formats"}},
                                 {"TRACKNUMBER", {"1"}}}, {}};
    catalog::TagWrite mp3_tags{{{"TITLE", {"Small Song"}}, {"ARTIST", {"Tester"}}, {"ALBUM", {"Formats"}},
                                {"TRACKNUMBER", {"2"}}}, {}};
    catalog::testing::make_tagged_file(lib_ / "a.flac", audio::Format::kFlac, flac_tags);
    catalog::testing::make_tagged_file(lib_ / "b.mp3", audio::Format::kMp3, mp3_tags);
    db_ = store::testing::open((tmp_.path() / "segue.db").string()).value();
    catalog_ = std::make_unique<catalog::Catalog>(*db_);
    catalog::Scanner scanner(*db_, catalog_.get());
    ASSERT_TRUE(scanner.scan({lib_.string()}, false).ok());
    for (const auto& t : catalog_->snapshot()->tracks()) (t.title == "Lossless Song" ? flac_ : mp3_) = t.id;
    ASSERT_FALSE(flac_.str().empty());
    ASSERT_FALSE(mp3_.str().empty());
  }
  void TearDown() override {
    service_.reset();
    cache_.reset();
    catalog_.reset();
    db_.reset();
  }
  PlaybackService& service(bool with_cache = true) {
    if (with_cache) {
      transcode::CacheOptions o;
      o.dir = (tmp_.path() / "transcodes").string();
      o.runner = runner_.runner();
      cache_ = transcode::TranscodeCache::open(*db_, std::move(o)).value();
    }
    service_ = std::make_unique<PlaybackService>(*catalog_, cache_.get(), signer_, std::chrono::seconds(600));
    return *service_;
  }
  static PlayRequest request(const TrackId& track, Tier tier, std::vector<std::string> formats = {},
                             bool lossless = false) {
    return PlayRequest{UserId("user1"), track, QualityRequest{tier, std::move(formats), lossless}};
  }

  TempDir tmp_;
  fs::path lib_;
  std::unique_ptr<store::Database> db_;
  std::unique_ptr<catalog::Catalog> catalog_;
  TestRunner runner_;
  std::unique_ptr<transcode::TranscodeCache> cache_;
  StreamTokenSigner signer_{std::string(32, 'k')};
  std::unique_ptr<PlaybackService> service_;
  TrackId flac_, mp3_;
};

TEST_F(PlaybackServiceTest, AFreeUserOfALosslessTrackGetsAVorbisEncodingThatIsMadeOnceAndThenServed) {
  runner_.hold = true;
  auto& s = service();
  auto d = s.play(request(flac_, Tier::kFree));
  ASSERT_TRUE(d.ok()) << d.error().message;
  EXPECT_TRUE(d->file.transcoded);
  EXPECT_EQ(d->file.format, "vorbis");
  EXPECT_EQ(d->file.bitrate_kbps, 160);
  EXPECT_EQ(d->file.mime_type, "audio/ogg");
  EXPECT_FALSE(d->file.ready);
  EXPECT_GE(d->file.retry_after_s, 0);
  EXPECT_EQ(d->cap_kbps, 160);
  EXPECT_TRUE(d->within_cap);
  EXPECT_EQ(d->track->id, flac_);
  // Not complete: the id resolves to "pending", never to a partial file.
  auto pending = s.resolve(d->file.id);
  ASSERT_TRUE(pending.ok());
  EXPECT_EQ(pending->state, StreamSource::State::kPending);
  // A second play of the same track asks for the same encoding: one job, however many ask.
  auto again = s.play(request(flac_, Tier::kFree));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->file.id, d->file.id);
  runner_.hold = false;
  cache_->wait_idle();
  EXPECT_EQ(runner_.calls.load(), 1);
  auto ready = s.resolve(d->file.id);
  ASSERT_TRUE(ready.ok());
  ASSERT_EQ(ready->state, StreamSource::State::kReady);
  EXPECT_EQ(ready->size, 4000);
  EXPECT_EQ(ready->mime_type, "audio/ogg");
  EXPECT_TRUE(fs::exists(ready->path));
  auto done = s.play(request(flac_, Tier::kFree));
  ASSERT_TRUE(done.ok());
  EXPECT_TRUE(done->file.ready);
  EXPECT_EQ(done->file.size, 4000);
}

TEST_F(PlaybackServiceTest, AnOriginalThatFitsIsServedAsItIsWithoutTranscoding) {
  auto& s = service();
  auto d = s.play(request(mp3_, Tier::kFree));
  ASSERT_TRUE(d.ok()) << d.error().message;
  EXPECT_FALSE(d->file.transcoded);
  EXPECT_TRUE(d->file.ready);
  EXPECT_EQ(d->file.format, "mp3");
  auto src = s.resolve(d->file.id);
  ASSERT_TRUE(src.ok());
  EXPECT_EQ(src->state, StreamSource::State::kReady);
  EXPECT_EQ(fs::path(src->path).filename(), "b.mp3");
  EXPECT_EQ(src->mime_type, "audio/mpeg");
  EXPECT_EQ(runner_.calls.load(), 0);
  EXPECT_EQ(cache_->stats().queued + cache_->stats().running, 0u);
}

TEST_F(PlaybackServiceTest, PremiumGetsLosslessOnlyWhenAskedAndTheTokenIsForThatFileAndUser) {
  auto& s = service();
  auto lossless = s.play(request(flac_, Tier::kPremium, {}, true));
  ASSERT_TRUE(lossless.ok());
  EXPECT_EQ(lossless->file.format, "flac");
  EXPECT_TRUE(lossless->file.lossless);
  EXPECT_EQ(lossless->expires_in, std::chrono::seconds(600));
  auto claims = s.verify_token(lossless->token, lossless->file.id);
  ASSERT_TRUE(claims.ok()) << claims.error().message;
  EXPECT_EQ(claims->user, UserId("user1"));
  // The same token does not open another file.
  auto other = s.play(request(mp3_, Tier::kPremium));
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(s.verify_token(lossless->token, other->file.id).error().code, ErrorCode::kPermissionDenied);
  // Not asked for lossless: an encoding at the premium cap.
  auto normal = s.play(request(flac_, Tier::kPremium));
  ASSERT_TRUE(normal.ok());
  EXPECT_TRUE(normal->file.transcoded);
  EXPECT_EQ(normal->file.bitrate_kbps, 320);
}

TEST_F(PlaybackServiceTest, TheClientsFormatsAndTheTierCapAreHeld) {
  auto& s = service();
  auto opus = s.play(request(flac_, Tier::kFree, {"opus"}));
  ASSERT_TRUE(opus.ok());
  EXPECT_EQ(opus->file.format, "opus");
  EXPECT_EQ(opus->file.bitrate_kbps, 160);
  // A free client accepting only FLAC is asking for lossless: refused, naming what would fit.
  auto flac_only = s.play(request(flac_, Tier::kFree, {"flac"}));
  ASSERT_FALSE(flac_only.ok());
  EXPECT_EQ(flac_only.error().code, ErrorCode::kPermissionDenied);
  auto unknown_format = s.play(request(flac_, Tier::kFree, {"tracker-module"}));
  ASSERT_FALSE(unknown_format.ok());
  EXPECT_EQ(unknown_format.error().code, ErrorCode::kInvalidArgument);
}

TEST_F(PlaybackServiceTest, AFailedEncodingIsReportedAndTheOriginalIsOfferedInstead) {
  runner_.fail = true;
  auto& s = service();
  auto first = s.play(request(flac_, Tier::kFree));
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(first->file.transcoded);
  cache_->wait_idle();
  auto failed = s.resolve(first->file.id);
  ASSERT_TRUE(failed.ok());
  EXPECT_EQ(failed->state, StreamSource::State::kFailed);
  EXPECT_NE(failed->error.find("not an audio file"), std::string::npos) << failed->error;
  // Now no encoding is offered: the original, outside the cap, and the answer says so.
  auto then = s.play(request(flac_, Tier::kFree));
  ASSERT_TRUE(then.ok()) << then.error().message;
  EXPECT_FALSE(then->file.transcoded);
  EXPECT_EQ(then->file.format, "flac");
  EXPECT_FALSE(then->within_cap);
  EXPECT_EQ(runner_.calls.load(), 1);
}

TEST_F(PlaybackServiceTest, WithoutATranscodeCacheOnlyOriginalsAreOffered) {
  auto& s = service(/*with_cache=*/false);
  auto d = s.play(request(flac_, Tier::kFree));
  ASSERT_TRUE(d.ok());
  EXPECT_FALSE(d->file.transcoded);
  EXPECT_FALSE(d->within_cap);
}

TEST_F(PlaybackServiceTest, UnknownTracksAndFilesAreNotFound) {
  auto& s = service();
  auto track = s.play(request(TrackId("0000000000000000000000"), Tier::kPremium));
  ASSERT_FALSE(track.ok());
  EXPECT_EQ(track.error().code, ErrorCode::kNotFound);
  EXPECT_NE(track.error().message.find("segue:track:0000000000000000000000"), std::string::npos);
  auto file = s.resolve(FileId("0000000000000000000000"));
  ASSERT_FALSE(file.ok());
  EXPECT_EQ(file.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(runner_.calls.load(), 0);
}

}  // namespace
}  // namespace segue::playback

namespace segue::playback {

TEST_F(PlaybackServiceTest, ReadyFilesAreListedThroughTheHealthyEdgesInRankOrderWithEdgeTokens) {
  runner_.hold = true;
  auto& s = service();
  EdgeTokenSigner edge_tokens(std::string(64, 'e'));
  edge::EdgeSet edges(*edge::parse_edges({"slow=http://127.0.0.1:9001@eu,fast=http://127.0.0.1:9002@us,down=http://127.0.0.1:9003"}));
  s.set_edges(&edge_tokens, &edges);
  edges.record(0, std::chrono::milliseconds(30));
  edges.record(1, std::chrono::milliseconds(3));
  edges.record(2, std::nullopt);
  auto d = s.play(request(mp3_, Tier::kFree));
  ASSERT_TRUE(d.ok()) << d.error().message;
  ASSERT_EQ(d->edges.size(), 2u);
  EXPECT_EQ(d->edges[0].name, "fast");
  EXPECT_EQ(d->edges[0].region, "us");
  EXPECT_EQ(d->edges[1].name, "slow");
  const std::string prefix = "http://127.0.0.1:9002/audio/" + d->file.id.str() + "?token=";
  ASSERT_EQ(d->edges[0].url.rfind(prefix, 0), 0u) << d->edges[0].url;
  const std::string edge_token = d->edges[0].url.substr(prefix.size());
  EXPECT_EQ(d->edges[1].url, "http://127.0.0.1:9001/audio/" + d->file.id.str() + "?token=" + edge_token);
  // The edge token is not the stream token, is signed with the edge key, and the origin takes
  // both (an edge forwards the edge token on a miss).
  EXPECT_NE(edge_token, d->token);
  EXPECT_TRUE(edge_tokens.verify(edge_token, d->file.id, std::chrono::system_clock::now()).ok());
  auto via_edge = s.verify_token(edge_token, d->file.id);
  ASSERT_TRUE(via_edge.ok()) << via_edge.error().message;
  EXPECT_EQ(via_edge->user, UserId("user1"));
  EXPECT_TRUE(s.verify_token(d->token, d->file.id).ok());
  EXPECT_FALSE(s.verify_token(edge_token, FileId("0123456789abcdefghijAB")).ok());  // another file
  // An encoding still being made: origin only.
  auto pending = s.play(request(flac_, Tier::kFree));
  ASSERT_TRUE(pending.ok());
  ASSERT_FALSE(pending->file.ready);
  EXPECT_TRUE(pending->edges.empty());
  // Every edge down: none listed.
  edges.record(0, std::nullopt);
  edges.record(0, std::nullopt);
  edges.record(1, std::nullopt);
  edges.record(1, std::nullopt);
  EXPECT_TRUE(s.play(request(mp3_, Tier::kFree))->edges.empty());
  runner_.hold = false;
  cache_->wait_idle();
}

TEST_F(PlaybackServiceTest, WithoutEdgesAnEdgeShapedTokenIsJustAnInvalidStreamToken) {
  auto& s = service();
  auto d = s.play(request(mp3_, Tier::kFree));
  ASSERT_TRUE(d.ok());
  EXPECT_TRUE(d->edges.empty());
  EdgeTokenSigner edge_tokens(std::string(64, 'e'));
  const auto t = edge_tokens.issue(d->file.id, UserId("user1"), std::chrono::system_clock::now() + std::chrono::seconds(60));
  EXPECT_FALSE(s.verify_token(t, d->file.id).ok());
}

}  // namespace segue::playback
