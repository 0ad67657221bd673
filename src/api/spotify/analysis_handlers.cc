// Spotify's audio-features and audio-analysis, computed by Segue's own analyzer
// (analysis/analysis_service.h), and the library's duplicate recordings. Features come from memory;
// the full analysis and the duplicate search read the database on a worker thread.
#include <cmath>

#include "api/spotify/handler_util.h"
#include "api/spotify/objects.h"
#include "api/spotify/params.h"
#include "api/spotify/routes.h"
#include "analysis/analysis_service.h"

namespace segue::api::spotify {
namespace {

namespace json = boost::json;


double rounded(double v, double scale = 1000.0) { return std::isfinite(v) ? std::round(v * scale) / scale : 0.0; }

// Spotify's loudness is a mean level in dB; ours is the EBU R128 integrated loudness when the
// track is not silent (docs/audio-features.md).
double loudness_of(const analysis::TrackSound& s) {
  return rounded(s.integrated_lufs ? *s.integrated_lufs : s.features.loudness);
}

json::object features_object(const analysis::TrackSound& s, const std::string& id, const std::string& base) {
  const auto& f = s.features;
  json::object o;
  o["acousticness"] = rounded(f.acousticness);
  o["analysis_url"] = base + "/v1/audio-analysis/" + id;
  o["danceability"] = rounded(f.danceability);
  o["duration_ms"] = static_cast<int64_t>(std::llround(s.duration_s * 1000));
  o["energy"] = rounded(f.energy);
  o["id"] = id;
  o["instrumentalness"] = rounded(f.instrumentalness);
  o["key"] = f.key;
  o["liveness"] = rounded(f.liveness);
  o["loudness"] = loudness_of(s);
  o["mode"] = f.mode < 0 ? 0 : f.mode;
  o["speechiness"] = rounded(f.speechiness);
  o["tempo"] = rounded(f.tempo);
  o["time_signature"] = std::clamp(f.time_signature, 3, 7);
  o["track_href"] = base + "/v1/tracks/" + id;
  o["type"] = "audio_features";
  o["uri"] = "segue:track:" + id;
  o["valence"] = rounded(f.valence);
  return o;
}

json::object analysis_object(const audio::TrackAnalysis& a, const analysis::TrackSound& s) {
  json::value all = audio::to_json(a);
  json::object& music = all.as_object()["music"].as_object();
  const auto& m = a.music;
  json::object meta{{"analyzer_version", a.version}, {"platform", "Linux"}, {"detailed_status", "OK"},
                    {"status_code", 0}, {"timestamp", 0}, {"analysis_time", 0}, {"input_process", "libavcodec " + a.codec}};
  json::object track;
  track["num_samples"] = m.num_samples;
  track["duration"] = rounded(m.duration, 1e5);
  track["sample_md5"] = "";
  track["offset_seconds"] = 0;
  track["window_seconds"] = 0;
  track["analysis_sample_rate"] = m.sample_rate;
  track["analysis_channels"] = 1;
  track["end_of_fade_in"] = rounded(m.end_of_fade_in, 1e5);
  track["start_of_fade_out"] = rounded(m.start_of_fade_out, 1e5);
  track["loudness"] = loudness_of(s);
  track["tempo"] = rounded(m.tempo);
  track["tempo_confidence"] = rounded(m.tempo_confidence);
  track["time_signature"] = std::clamp(m.time_signature, 3, 7);
  track["time_signature_confidence"] = rounded(m.time_signature_confidence);
  track["key"] = m.key;
  track["key_confidence"] = rounded(m.key_confidence);
  track["mode"] = m.mode < 0 ? 0 : m.mode;
  track["mode_confidence"] = rounded(m.mode_confidence);
  for (const char* k : {"codestring", "echoprintstring", "synchstring", "rhythmstring"}) track[k] = "";
  for (const char* k : {"code_version", "echoprint_version", "synch_version", "rhythm_version"}) track[k] = 0;
  // Segue's additions: the EBU R128 measurements behind `loudness`.
  track["integrated_loudness_lufs"] = s.integrated_lufs ? json::value(rounded(*s.integrated_lufs, 100)) : json::value(nullptr);
  track["true_peak_dbtp"] = rounded(s.true_peak_dbtp, 100);
  track["loudness_range_lu"] = rounded(a.loudness.range_lu, 100);
  json::object o;
  o["meta"] = std::move(meta);
  o["track"] = std::move(track);
  for (const char* k : {"bars", "beats", "sections", "segments", "tatums"}) {
    json::value& list = music[k];
    if (std::string_view(k) == "sections") {
      for (auto& sec : list.as_array()) {
        auto& so = sec.as_object();
        if (so["mode"].as_int64() < 0) so["mode"] = 0;
        so["time_signature"] = std::clamp<int64_t>(so["time_signature"].as_int64(), 3, 7);
      }
    }
    o[k] = std::move(list);
  }
  return o;
}

Result<std::string> path_id(const Request& req) {
  const std::string& id = req.param("id");
  if (!is_base62_id(id)) return Error::invalid("Invalid base62 id");
  return id;
}

// What the analysis knows of the catalog track `id` (memory only), or Error::not_found naming
// why not.
Result<analysis::TrackSound> analyzed_track(ApiContext& ctx, const std::string& id) {
  if (!ctx.catalog.snapshot()->track(TrackId(id))) return Error::not_found("Non existing id: 'segue:track:" + id + "'");
  auto sound = ctx.analysis->track(TrackId(id));
  if (!sound) return Error::not_found("The track has not been analyzed yet");
  return *std::move(sound);
}

awaitable<Response> audio_features_one(ApiContext& ctx, Request& req) {
  SEGUE_GUARD(p, ctx, req);
  SEGUE_OR_400(id, path_id(req));
  auto sound = analyzed_track(ctx, id);
  if (!sound.ok()) co_return error_response(sound.error());
  co_return json_response(features_object(*sound, id, ctx.base_url(req)));
}

awaitable<Response> audio_features_many(ApiContext& ctx, Request& req) {
  SEGUE_GUARD(p, ctx, req);
  SEGUE_OR_400(ids, ids_param(req, 100));
  std::string base = ctx.base_url(req);
  json::array arr;
  for (const auto& id : ids) {
    auto sound = ctx.analysis->track(TrackId(id));
    arr.push_back(sound ? json::value(features_object(*sound, id, base)) : json::value(nullptr));
  }
  co_return json_response(json::object{{"audio_features", std::move(arr)}});
}

awaitable<Response> audio_analysis(ApiContext& ctx, Request& req) {
  SEGUE_GUARD(p, ctx, req);
  SEGUE_OR_400(id, path_id(req));
  auto sound = analyzed_track(ctx, id);
  if (!sound.ok()) co_return error_response(sound.error());
  TrackId track(id);
  auto body = co_await ctx.workers.run([&]() -> Result<std::string> {
    SEGUE_ASSIGN_OR_RETURN(auto full, ctx.analysis->full_analysis(track));
    if (!full) return Error::not_found("The track has not been analyzed yet");
    return json::serialize(analysis_object(*full, *sound));
  });
  if (!body.ok()) co_return error_response(body.error());
  co_return Response::json(200, std::move(body).value());
}

// Segue's own: recordings found twice in the library (by acoustic fingerprint).
awaitable<Response> duplicates(ApiContext& ctx, Request& req) {
  SEGUE_GUARD(p, ctx, req);
  auto groups = co_await ctx.workers.run([&] { return ctx.analysis->duplicates(); });
  if (!groups.ok()) co_return error_response(groups.error());
  auto snap = ctx.catalog.snapshot();
  ObjectWriter w(*snap, ctx.base_url(req), ctx.popularity);
  json::array out;
  for (const auto& g : *groups) {
    json::array tracks;
    for (const auto& t : g.tracks)
      if (const auto* track = snap->track(t)) tracks.push_back(w.track(*track));
    if (tracks.size() < 2) continue;
    out.push_back(json::object{{"similarity", rounded(g.min_similarity)}, {"tracks", std::move(tracks)}});
  }
  const auto total = out.size();
  co_return json_response(json::object{{"groups", std::move(out)}, {"total", total}});
}

}  // namespace

void register_analysis_routes(net::Router& router, ApiContext& ctx) {
  if (!ctx.analysis) return;

  add_routes(router, ctx, {
      {http::verb::get, "/v1/audio-features/{id}", audio_features_one},
      {http::verb::get, "/v1/audio-features", audio_features_many},
      {http::verb::get, "/v1/audio-analysis/{id}", audio_analysis},
      {http::verb::get, "/v1/library/duplicates", duplicates},
  });
}

}  // namespace segue::api::spotify
