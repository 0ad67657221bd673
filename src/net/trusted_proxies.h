// Which peers may tell the client's address (issue 17): a node behind a gateway or reverse
// proxy sees the proxy's address on every connection; the proxy names the client in
// X-Forwarded-For. `TrustedProxies` is the `trusted_proxies` setting (a list of CIDRs, empty by
// default: nobody is trusted and the header is ignored) and the rule that picks the client's
// address from the header.
//
// The rule (RFC 7239 section 8.1's "walk from the right"): each proxy appends the address it got
// the request from, so only the entries appended by trusted proxies are true; anything further
// left may be made up by the client. When the peer is trusted, the entries of X-Forwarded-For
// (every field of that name, in order, as one comma-separated list) are walked from the right,
// skipping trusted addresses; the first address not trusted is the client. A malformed entry
// (not an IP address; "unknown"; an obfuscated name) stops the walk: the client is then the last
// address walked (the hop that sent the malformed entry, itself trusted). When every entry is
// trusted, the leftmost is the client. A peer not in the list: its own address, whatever
// headers it sends.
//
// Accepted entry forms: an IPv4 or IPv6 address, "[v6]", "[v6]:port", "v4:port", with optional
// whitespace around; IPv4-mapped IPv6 is the IPv4 address. Addresses come back in canonical
// text ("2001:db8::1", "192.0.2.7"). Thread-safe (immutable after parse).
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace segue::net {

class TrustedProxies {
 public:
  TrustedProxies() = default;

  // Each entry an address ("10.0.0.1", "::1": one host) or a CIDR ("10.0.0.0/8", "fd00::/8").
  // Bad entries or host bits set below the prefix are an error naming the entry.
  static Result<TrustedProxies> parse(const std::vector<std::string>& cidrs);

  bool empty() const { return nets_.empty(); }
  // Whether `ip` (an address in text, as the socket reports it) is in one of the networks.
  bool contains(std::string_view ip) const;
  // The client's address for a request from `peer` carrying `forwarded_for` (every
  // X-Forwarded-For field joined with ","; empty when there is none). Returns `peer` as it is
  // when the peer is not trusted or there is no usable entry.
  std::string client_address(std::string_view peer, std::string_view forwarded_for) const;

  // The networks in CIDR text, for logs ("127.0.0.1/32, fd00::/8").
  std::string describe() const;

 private:
  struct Net {
    std::array<unsigned char, 16> bytes{};  // IPv4 as IPv4-mapped IPv6
    int prefix = 128;                       // over the 128 bits (IPv4 /n is 96 + n)
  };
  bool contains(const std::array<unsigned char, 16>& a) const;
  std::vector<Net> nets_;
};

// One X-Forwarded-For entry as an address in canonical text, or nullopt when it is not one.
std::optional<std::string> parse_forwarded_address(std::string_view entry);

}  // namespace segue::net
