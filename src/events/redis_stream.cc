#include "events/redis_stream.h"

#include <hiredis/hiredis.h>

#include <algorithm>
#include <chrono>

#include "common/log.h"
#include "common/strings.h"

namespace segue::events {
namespace {

// KEYS[1]: the stream, KEYS[2]: the head counter. ARGV[1]: the number of events, then for each
// event the number of its field names and values, then those. Checks everything before the
// first write (a script is not rolled back), then INCRBY and one XADD per event with the IDs
// 0-first ... 0-last. Returns the first offset.
const redis::Script kAppend{R"(
local n = tonumber(ARGV[1])
if not n or n < 1 then return redis.error_reply('ERR segue: empty or malformed batch') end
local i = 2
for j = 1, n do
  local k = tonumber(ARGV[i])
  if not k or k < 2 or k % 2 == 1 or i + k > #ARGV then return redis.error_reply('ERR segue: malformed batch') end
  i = i + 1 + k
end
if i - 1 ~= #ARGV then return redis.error_reply('ERR segue: malformed batch') end
if redis.call('EXISTS', KEYS[2]) == 0 and redis.call('EXISTS', KEYS[1]) == 1 then
  local info = redis.call('XINFO', 'STREAM', KEYS[1])
  for x = 1, #info, 2 do
    if info[x] == 'last-generated-id' and info[x + 1] ~= '0-0' then
      return redis.error_reply('ERR segue: the head counter ' .. KEYS[2] .. ' is missing but the stream has events')
    end
  end
end
local first = redis.call('INCRBY', KEYS[2], n) - n + 1
i = 2
for j = 0, n - 1 do
  local k = tonumber(ARGV[i])
  redis.call('XADD', KEYS[1], '0-' .. (first + j), unpack(ARGV, i + 1, i + k))
  i = i + 1 + k
end
return first
)"};

constexpr int kPage = 1000;

int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

void push_fields(std::vector<std::string>& args, const Event& e, int64_t received) {
  const std::size_t count_at = args.size();
  args.emplace_back();
  auto field = [&](const char* name, std::string value) {
    args.emplace_back(name);
    args.push_back(std::move(value));
  };
  field("u", e.user.str());
  field("t", event_type_name(e.type));
  field("v", std::to_string(e.version));
  field("ts", std::to_string(e.timestamp_ms));
  field("rcv", std::to_string(received));
  field("p", e.private_session ? "1" : "0");
  if (const Playback* pb = e.playback()) {
    field("track", pb->track.str());
    field("pos", std::to_string(pb->position_ms));
    field("skip", pb->skip ? "1" : "0");
    field("reason", pb->reason);
    if (pb->duration_ms) field("dur", std::to_string(*pb->duration_ms));
    field("ctx", pb->context_uri);
    if (!pb->source.empty()) field("src", pb->source);
  } else {
    field("body", encode_body(e));
  }
  args[count_at] = std::to_string(args.size() - count_at - 1);
}

std::optional<int64_t> offset_of(std::string_view id) {
  if (!id.starts_with("0-")) return std::nullopt;
  auto n = strings::parse_int(id.substr(2));
  if (!n) return std::nullopt;
  return static_cast<int64_t>(*n);
}

// One XRANGE entry: [id, [name, value, ...]].
Result<Event> decode_entry(const redisReply* entry) {
  if (entry->type != REDIS_REPLY_ARRAY || entry->elements != 2 || entry->element[1]->type != REDIS_REPLY_ARRAY)
    return Error::corruption("event log (redis): unexpected entry");
  auto offset = offset_of(redis::str(entry->element[0]));
  if (!offset) return Error::corruption("event log (redis): not an offset: " + std::string(redis::str(entry->element[0])));
  const redisReply* f = entry->element[1];
  auto get = [&](std::string_view name) -> std::optional<std::string_view> {
    for (std::size_t i = 0; i + 1 < f->elements; i += 2)
      if (redis::str(f->element[i]) == name) return redis::str(f->element[i + 1]);
    return std::nullopt;
  };
  auto bad = [&](const char* what) {
    return Error::corruption("event log (redis): bad " + std::string(what) + " at offset " + std::to_string(*offset));
  };
  auto integer = [&](std::string_view name) -> std::optional<int64_t> {
    auto v = get(name);
    if (!v) return std::nullopt;
    auto n = strings::parse_int(*v);
    if (!n) return std::nullopt;
    return static_cast<int64_t>(*n);
  };
  Event e;
  e.offset = *offset;
  auto user = get("u");
  auto type = get("t");
  if (!user || !type) return bad("header");
  e.user = UserId(std::string(*user));
  auto t = parse_event_type(*type);
  if (!t) return bad("type");
  e.type = *t;
  auto v = integer("v"), ts = integer("ts"), rcv = integer("rcv");
  if (!v || !ts || !rcv) return bad("header");
  e.version = static_cast<int>(*v);
  e.timestamp_ms = *ts;
  e.received_ms = *rcv;
  e.private_session = get("p").value_or("0") == "1";
  if (is_playback(e.type)) {
    Playback p;
    auto track = get("track");
    auto pos = integer("pos");
    if (!track || !pos) return bad("playback fields");
    p.track = TrackId(std::string(*track));
    p.position_ms = *pos;
    p.skip = get("skip").value_or("0") == "1";
    p.reason = std::string(get("reason").value_or(""));
    if (get("dur")) {
      auto d = integer("dur");
      if (!d) return bad("duration");
      p.duration_ms = *d;
    }
    p.context_uri = std::string(get("ctx").value_or(""));
    p.source = std::string(get("src").value_or(""));
    e.payload = std::move(p);
  } else {
    auto body = get("body");
    if (!body) return bad("body");
    auto payload = decode_body(e.type, *body);
    if (!payload.ok()) return bad("body");
    e.payload = std::move(*payload);
  }
  return e;
}

}  // namespace

RedisStream::RedisStream(RedisStreamOptions options)
    : options_(std::move(options)), client_(options_.address, options_.timeout, std::chrono::milliseconds(200)) {}

Result<std::unique_ptr<RedisStream>> RedisStream::open(RedisStreamOptions options) {
  std::unique_ptr<RedisStream> s(new RedisStream(std::move(options)));
  auto setting = [&](const std::string& name) -> Result<std::string> {
    SEGUE_ASSIGN_OR_RETURN(redis::Reply r, s->command({"CONFIG", "GET", name}));
    if (r->type != REDIS_REPLY_ARRAY || r->elements != 2)
      return Error::unavailable("event log: Redis at " + s->options_.address.describe() + " does not answer CONFIG GET " +
                                name + ": " + std::string(redis::str(r.get())));
    return std::string(redis::str(r->element[1]));
  };
  SEGUE_ASSIGN_OR_RETURN(std::string aof, setting("appendonly"));
  SEGUE_ASSIGN_OR_RETURN(std::string fsync, setting("appendfsync"));
  if (aof != "yes" || fsync != "always") {
    const std::string what = "Redis at " + s->options_.address.describe() + " has appendonly " + aof + " and appendfsync " +
                             fsync + ", so an acknowledged event could be lost with the machine";
    if (s->options_.require_fsync)
      return Error::invalid("event log: " + what +
                            ". Set `appendonly yes` and `appendfsync always` in redis.conf (or CONFIG SET), or accept "
                            "the risk with the setting event_log_durability = \"relaxed\"");
    log::warn("event log: " + what + " (event_log_durability = relaxed)", {});
  }
  SEGUE_TRY(s->load_head());
  return s;
}

Result<redis::Reply> RedisStream::command(const std::vector<std::string>& argv) {
  std::lock_guard l(mu_);
  return client_.command(argv);
}

void RedisStream::raise_head(int64_t h) {
  int64_t cur = head_.load();
  while (cur < h && !head_.compare_exchange_weak(cur, h)) {
  }
}

Status RedisStream::load_head() {
  SEGUE_ASSIGN_OR_RETURN(redis::Reply r, command({"GET", options_.key + ":head"}));
  if (r->type == REDIS_REPLY_NIL) return {};
  auto n = strings::parse_int(redis::str(r.get()));
  if (r->type != REDIS_REPLY_STRING || !n) return Error::corruption("event log: " + options_.key + ":head is not a number");
  raise_head(static_cast<int64_t>(*n));
  return {};
}

Result<OffsetRange> RedisStream::append(const std::vector<Event>& events) {
  if (events.empty()) return Error::invalid("events: at least one event is required");
  const int64_t received = wall_ms();
  std::vector<std::string> args;
  args.reserve(1 + events.size() * 24);
  args.push_back(std::to_string(events.size()));
  for (const Event& e : events) push_fields(args, e, received);
  Result<redis::Reply> r = Error::internal("not run");
  {
    std::lock_guard l(mu_);
    r = client_.eval(kAppend, {options_.key, options_.key + ":head"}, args);
  }
  if (!r.ok()) return r.error();
  if ((*r)->type != REDIS_REPLY_INTEGER) return Error::internal("event log: unexpected reply to the append script");
  const int64_t first = (*r)->integer;
  const OffsetRange range{first, first + static_cast<int64_t>(events.size()) - 1};
  raise_head(range.last);
  if (listener_) listener_(range.last);
  return range;
}

Result<std::vector<Event>> RedisStream::read(int64_t after, int limit) {
  std::vector<Event> out;
  if (limit <= 0) return out;
  SEGUE_ASSIGN_OR_RETURN(redis::Reply r, command({"XRANGE", options_.key, "0-" + std::to_string(after + 1), "+", "COUNT",
                                                  std::to_string(limit)}));
  if (r->type != REDIS_REPLY_ARRAY) return Error::internal("event log: XRANGE: " + std::string(redis::str(r.get())));
  out.reserve(r->elements);
  for (std::size_t i = 0; i < r->elements; ++i) {
    SEGUE_ASSIGN_OR_RETURN(Event e, decode_entry(r->element[i]));
    out.push_back(std::move(e));
  }
  if (!out.empty()) raise_head(out.back().offset);  // another node's appends
  return out;
}

Result<std::vector<Event>> RedisStream::user_events(const UserId& user) {
  std::vector<Event> out;
  int64_t after = 0;
  for (;;) {
    SEGUE_ASSIGN_OR_RETURN(std::vector<Event> page, read(after, kPage));
    for (Event& e : page)
      if (e.user == user) out.push_back(std::move(e));
    if (static_cast<int>(page.size()) < kPage) break;
    after = page.back().offset;
  }
  return out;
}

Result<int64_t> RedisStream::delete_user(const UserId& user) {
  SEGUE_ASSIGN_OR_RETURN(std::vector<Event> events, user_events(user));
  int64_t removed = 0;
  for (std::size_t from = 0; from < events.size(); from += 500) {
    std::vector<std::string> argv{"XDEL", options_.key};
    for (std::size_t i = from; i < std::min(events.size(), from + 500); ++i) argv.push_back("0-" + std::to_string(events[i].offset));
    SEGUE_ASSIGN_OR_RETURN(redis::Reply r, command(argv));
    if (r->type != REDIS_REPLY_INTEGER) return Error::internal("event log: XDEL: " + std::string(redis::str(r.get())));
    removed += r->integer;
  }
  return removed;
}

void RedisStream::committed(const std::string& consumer, int64_t offset) {
  const std::string id = "0-" + std::to_string(offset), read = std::to_string(offset);
  bool known;
  {
    std::lock_guard l(groups_mu_);
    known = std::find(groups_.begin(), groups_.end(), consumer) != groups_.end();
  }
  Result<redis::Reply> r = Error::internal("not run");
  if (!known) {
    r = command({"XGROUP", "CREATE", options_.key, consumer, id, "MKSTREAM", "ENTRIESREAD", read});
    if (r.ok() && ((*r)->type != REDIS_REPLY_ERROR || redis::str(r->get()).starts_with("BUSYGROUP"))) {
      std::lock_guard l(groups_mu_);
      groups_.push_back(consumer);
      known = true;
    }
  }
  if (known) r = command({"XGROUP", "SETID", options_.key, consumer, id, "ENTRIESREAD", read});
  // Informational only (the offsets that count are in the consumers' databases).
  if (!r.ok() || (*r)->type == REDIS_REPLY_ERROR)
    log::debug("event log: cannot move the consumer group", {{"consumer", consumer},
                                                            {"error", r.ok() ? std::string(redis::str(r->get())) : r.error().message}});
}

}  // namespace segue::events
