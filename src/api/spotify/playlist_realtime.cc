// Real-time playlists: the "playlist:<id>" topic of /v1/ws. A subscriber names the snapshot it
// has ("since"); it gets the operations it missed, then a `playlist_updated` event with the
// new snapshot id and the operations of every change as it commits (docs/formats/realtime.md).
#include "api/spotify/handler_util.h"
#include "api/spotify/realtime.h"
#include "api/spotify/routes.h"
#include "common/log.h"
#include "playlist/service.h"

namespace segue::api::spotify {

boost::json::object playlist_ops_json(const std::vector<playlist::Op>& ops);  // playlist_handlers.cc

namespace {
namespace json = boost::json;
using auth::Scope;

// The wire (and hub) topic of a playlist.
std::string playlist_topic(const PlaylistId& id) { return "playlist:" + id.str(); }
// Internal hub topic: the playlist's members or visibility changed (not a wire topic).
std::string playlist_access_topic(const PlaylistId& id) { return "playlist-access:" + id.str(); }

std::string updated_message(const PlaylistId& playlist_id, const std::string& snapshot_id,
                            const std::string& since, const std::vector<playlist::Op>& ops, bool reset) {
  json::object o = playlist_ops_json(ops);
  o["type"] = "playlist_updated";
  o["topic"] = playlist_topic(playlist_id);
  o["playlist_id"] = playlist_id.str();
  o["snapshot_id"] = snapshot_id;
  o["since"] = since;
  if (reset) o["reset"] = true;  // `since` was unknown: these are all the ops, start over
  return json::serialize(o);
}

class PlaylistTopics final : public TopicProvider {
 public:
  explicit PlaylistTopics(ApiContext& ctx) : ctx_(ctx) {}

  awaitable<Status> authorize(const auth::Principal& p, std::string arg) override {
    if (!p.user) co_return Error::permission_denied("a user token is required");
    if (!is_base62_id(arg)) co_return Error::not_found("playlist not found");
    PlaylistId id(std::move(arg));
    UserId user = *p.user;
    auto info = co_await ctx_.workers.run([&] { return ctx_.playlists->get(id, user); });
    if (!info.ok()) co_return info.error();
    if (!info->is_public && !p.scopes.contains(Scope::kPlaylistReadPrivate) &&
        !(info->collaborative && p.scopes.contains(Scope::kPlaylistReadCollaborative)))
      co_return Error::permission_denied("Insufficient client scope: playlist-read-private");
    co_return Status{};
  }

  std::string hub_topic(const auth::Principal&, const std::string& arg) const override {
    return playlist_topic(PlaylistId(arg));
  }
  std::string access_topic(const std::string& arg) const override { return playlist_access_topic(PlaylistId(arg)); }

  awaitable<Result<SubscribeResult>> on_subscribe(const auth::Principal& p, std::string arg,
                                                  std::optional<std::string> since) override {
    PlaylistId id(std::move(arg));
    UserId user = *p.user;
    std::string from = since.value_or("");
    auto r = co_await ctx_.workers.run([&] { return ctx_.playlists->ops_since(id, user, from); });
    bool reset = false;
    if (!r.ok() && r.error().code == ErrorCode::kNotFound && !from.empty()) {
      // A snapshot this playlist never had (another server's, or garbage): send everything.
      reset = true;
      r = co_await ctx_.workers.run([&] { return ctx_.playlists->ops_since(id, user, ""); });
    }
    if (!r.ok()) co_return r.error();
    SubscribeResult out;
    out.subscribed["snapshot_id"] = r->snapshot_id;
    // Without `since` the client loads the list itself; with it, it gets what it missed.
    if (since && (reset || r->snapshot_id != from))
      out.catch_up.push_back(updated_message(id, r->snapshot_id, from, r->ops, reset));
    co_return out;
  }

 private:
  ApiContext& ctx_;
};

}  // namespace

void install_playlist_realtime(ApiContext& ctx) {
  if (!ctx.realtime || !ctx.playlists) return;
  ctx.realtime->topics.add("playlist", std::make_shared<PlaylistTopics>(ctx));
  net::PubSub* hub = &ctx.realtime->hub;
  ctx.realtime->forwarding.push_back(ctx.realtime->events.subscribe("realtime-playlists", [hub](const bus::DomainEvent& e) {
    if (const auto* items = std::get_if<bus::PlaylistItemsChanged>(&e)) {
      auto ops = playlist::decode_ops(items->ops);
      if (!ops.ok()) {
        log::error("playlist change with undecodable operations not forwarded",
                   {{"playlist", items->playlist_id.str()}, {"reason", ops.error().message}});
        return;
      }
      hub->publish(playlist_topic(items->playlist_id),
                   updated_message(items->playlist_id, items->snapshot_id, items->previous_snapshot_id, *ops, false));
    } else if (const auto* details = std::get_if<bus::PlaylistDetailsChanged>(&e)) {
      // Membership and visibility changes (published after the commit, before the change
      // returns): every subscriber of the playlist re-checks its access, holding events
      // meanwhile, so a removed collaborator or a follower of a playlist that went private gets
      // `subscription_ended` instead of the next `playlist_updated`.
      hub->publish(playlist_access_topic(details->playlist_id), "{}");
    }
  }));
}

}  // namespace segue::api::spotify
