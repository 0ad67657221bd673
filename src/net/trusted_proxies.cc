#include "net/trusted_proxies.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>

#include "common/strings.h"

namespace segue::net {
namespace {

using Bytes = std::array<unsigned char, 16>;
constexpr unsigned char kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

// A bare IPv4 or IPv6 address (no port, no brackets, no zone) as 16 bytes, IPv4 mapped.
std::optional<Bytes> parse_ip(std::string_view text) {
  if (text.empty() || text.size() > 45 || text.find('%') != std::string_view::npos) return std::nullopt;
  const std::string s(text);
  Bytes b{};
  in_addr a4{};
  if (inet_pton(AF_INET, s.c_str(), &a4) == 1) {
    std::memcpy(b.data(), kMapped, 12);
    std::memcpy(b.data() + 12, &a4, 4);
    return b;
  }
  in6_addr a6{};
  if (inet_pton(AF_INET6, s.c_str(), &a6) == 1) {
    std::memcpy(b.data(), a6.s6_addr, 16);
    return b;
  }
  return std::nullopt;
}

bool is_mapped(const Bytes& b) { return std::memcmp(b.data(), kMapped, 12) == 0; }

std::string to_text(const Bytes& b) {
  char buf[INET6_ADDRSTRLEN];
  if (is_mapped(b)) return inet_ntop(AF_INET, b.data() + 12, buf, sizeof buf) ? buf : "";
  return inet_ntop(AF_INET6, b.data(), buf, sizeof buf) ? buf : "";
}

bool all_digits(std::string_view s) {
  if (s.empty() || s.size() > 5) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

// An X-Forwarded-For entry as 16 bytes: "v4", "v6", "[v6]", "[v6]:port", "v4:port".
std::optional<Bytes> parse_entry(std::string_view e) {
  e = strings::trim(e);
  if (e.empty()) return std::nullopt;
  if (e.front() == '[') {
    auto close = e.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    std::string_view rest = e.substr(close + 1);
    if (!rest.empty() && !(rest.front() == ':' && all_digits(rest.substr(1)))) return std::nullopt;
    std::string_view inner = e.substr(1, close - 1);
    if (inner.find(':') == std::string_view::npos) return std::nullopt;  // brackets hold IPv6 only
    return parse_ip(inner);
  }
  const auto colons = std::count(e.begin(), e.end(), ':');
  if (colons == 1) {  // v4:port
    auto colon = e.find(':');
    if (!all_digits(e.substr(colon + 1))) return std::nullopt;
    return parse_ip(e.substr(0, colon));  // one colon: only an IPv4 address parses
  }
  return parse_ip(e);
}

bool in_net(const Bytes& a, const Bytes& net, int prefix) {
  const int full = prefix / 8, bits = prefix % 8;
  if (std::memcmp(a.data(), net.data(), static_cast<std::size_t>(full)) != 0) return false;
  if (bits == 0) return true;
  const unsigned char mask = static_cast<unsigned char>(0xff << (8 - bits));
  return (a[static_cast<std::size_t>(full)] & mask) == (net[static_cast<std::size_t>(full)] & mask);
}

}  // namespace

std::optional<std::string> parse_forwarded_address(std::string_view entry) {
  auto b = parse_entry(entry);
  if (!b) return std::nullopt;
  return to_text(*b);
}

Result<TrustedProxies> TrustedProxies::parse(const std::vector<std::string>& cidrs) {
  TrustedProxies out;
  for (const std::string& raw : cidrs) {
    std::string_view c = strings::trim(raw);
    if (c.empty()) continue;
    const auto bad = [&](const std::string& why) {
      return Error::invalid("trusted_proxies: '" + raw + "' " + why +
                            " (expected an address or a network in CIDR form, such as 10.0.0.0/8 or fd00::/8)");
    };
    auto slash = c.find('/');
    auto addr = parse_ip(c.substr(0, slash));
    if (!addr) return bad("is not an IP address or network");
    const bool v4 = c.substr(0, slash).find(':') == std::string_view::npos;
    const int max = v4 ? 32 : 128;
    int len = max;
    if (slash != std::string_view::npos) {
      std::string_view p = c.substr(slash + 1);
      if (p.empty() || p.size() > 3 || !all_digits(p)) return bad("has a bad prefix length");
      len = std::stoi(std::string(p));
      if (len > max) return bad("has a prefix longer than " + std::to_string(max));
    }
    Net n;
    n.bytes = *addr;
    n.prefix = v4 ? 96 + len : len;
    // Host bits set below the prefix are most likely a typo (10.0.0.1/8): refuse rather than guess.
    Bytes masked{};
    for (int i = 0; i < 16; ++i) {
      const int keep = std::clamp(n.prefix - 8 * i, 0, 8);
      masked[static_cast<std::size_t>(i)] = static_cast<unsigned char>(n.bytes[static_cast<std::size_t>(i)] & (0xff << (8 - keep)));
    }
    if (masked != n.bytes) return bad("has address bits set below its prefix");
    out.nets_.push_back(n);
  }
  return out;
}

bool TrustedProxies::contains(const Bytes& a) const {
  for (const Net& n : nets_)
    if (in_net(a, n.bytes, n.prefix)) return true;
  return false;
}

bool TrustedProxies::contains(std::string_view ip) const {
  if (nets_.empty()) return false;
  auto a = parse_ip(ip);
  return a && contains(*a);
}

std::string TrustedProxies::client_address(std::string_view peer, std::string_view forwarded_for) const {
  if (nets_.empty()) return std::string(peer);
  auto p = parse_ip(peer);
  if (!p || !contains(*p)) return std::string(peer);
  Bytes client = *p;  // the last address walked: trusted so far
  std::string_view rest = forwarded_for;
  while (!strings::trim(rest).empty()) {
    auto comma = rest.rfind(',');
    std::string_view entry = comma == std::string_view::npos ? rest : rest.substr(comma + 1);
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(0, comma);
    if (strings::trim(entry).empty()) continue;  // "a, , b": empty list elements are allowed
    auto a = parse_entry(entry);
    if (!a) break;  // cannot tell who is left of it: the hop that sent it is the client
    client = *a;
    if (!contains(*a)) break;
  }
  return to_text(client);
}

std::string TrustedProxies::describe() const {
  std::string out;
  for (const Net& n : nets_) {
    if (!out.empty()) out += ", ";
    const bool v4 = is_mapped(n.bytes) && n.prefix >= 96;
    out += to_text(n.bytes) + "/" + std::to_string(v4 ? n.prefix - 96 : n.prefix);
  }
  return out;
}

}  // namespace segue::net
