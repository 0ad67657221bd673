// A POST /v1/me/player/events body as the event schema reads it: JSON, then each element
// through events::parse_event (an array, {"events": [...]} or one object, as the handler
// accepts them). Properties: no crash; an event parse_event accepts passes validate();
// a non-playback event's stored body decodes back to the same payload; to_json of an
// accepted event parses again into the same event (what export and replay rely on).
#include <boost/json.hpp>

#include <chrono>
#include <cstdint>
#include <string_view>

#include "events/event.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace ev = segue::events;
  namespace json = boost::json;
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  json::error_code ec;
  json::value body = json::parse(bytes, ec);
  if (ec) return 0;
  json::array single;
  const json::array* arr = ev::event_batch(body, single);
  if (!arr) return 0;
  static const segue::UserId user("0123456789abcdefghijkl");
  const auto now = std::chrono::system_clock::time_point(std::chrono::milliseconds(1765000000000));
  for (const auto& v : *arr) {
    auto e = ev::parse_event(v, user, now);
    if (!e.ok()) continue;
    if (!ev::validate(*e, now).ok()) __builtin_trap();
    (void)ev::counts_as_play(*e);
    if (!ev::is_playback(e->type)) {
      auto decoded = ev::decode_body(e->type, ev::encode_body(*e));
      if (!decoded.ok() || !(*decoded == e->payload)) __builtin_trap();
    }
    auto again = ev::parse_event(ev::to_json(*e), user, now);
    if (!again.ok() || !(*again == *e)) __builtin_trap();
  }
  return 0;
}
