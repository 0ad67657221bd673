// X-Forwarded-For from trusted proxies only, walked from the right (net/trusted_proxies.h).
#include "net/trusted_proxies.h"

#include <gtest/gtest.h>

namespace segue::net {
namespace {

TrustedProxies trust(std::vector<std::string> cidrs) {
  auto t = TrustedProxies::parse(cidrs);
  EXPECT_TRUE(t.ok()) << (t.ok() ? "" : t.error().message);
  return t.ok() ? *t : TrustedProxies();
}

TEST(TrustedProxies, NobodyIsTrustedByDefault) {
  TrustedProxies none;
  EXPECT_EQ(none.client_address("127.0.0.1", "203.0.113.9"), "127.0.0.1");
  EXPECT_FALSE(none.contains("127.0.0.1"));
}

TEST(TrustedProxies, AnUntrustedPeerKeepsItsAddressWhateverItSends) {
  auto t = trust({"10.0.0.0/8"});
  EXPECT_EQ(t.client_address("192.0.2.50", "203.0.113.9"), "192.0.2.50");
  EXPECT_EQ(t.client_address("192.0.2.50", "10.0.0.1, 203.0.113.9"), "192.0.2.50");
  EXPECT_EQ(t.client_address("2001:db8::5", "203.0.113.9"), "2001:db8::5");
}

TEST(TrustedProxies, ATrustedPeerNamesTheClientInTheRightmostEntry) {
  auto t = trust({"10.0.0.0/8"});
  EXPECT_EQ(t.client_address("10.1.2.3", "203.0.113.9"), "203.0.113.9");
  EXPECT_EQ(t.client_address("::ffff:10.1.2.3", "203.0.113.9"), "203.0.113.9");  // IPv4-mapped peer
  // No header, or an empty one: the peer itself.
  EXPECT_EQ(t.client_address("10.1.2.3", ""), "10.1.2.3");
  EXPECT_EQ(t.client_address("10.1.2.3", " , "), "10.1.2.3");
}

TEST(TrustedProxies, SpoofedLeftmostEntriesAreIgnored) {
  auto t = trust({"10.0.0.0/8"});
  // The client wrote "198.51.100.1" itself; the gateway appended the address it saw.
  EXPECT_EQ(t.client_address("10.0.0.1", "198.51.100.1, 203.0.113.9"), "203.0.113.9");
  EXPECT_EQ(t.client_address("10.0.0.1", "1.1.1.1,2.2.2.2,203.0.113.9"), "203.0.113.9");
  // A spoofed trusted-looking address left of the real client changes nothing either.
  EXPECT_EQ(t.client_address("10.0.0.1", "10.9.9.9, 203.0.113.9"), "203.0.113.9");
}

TEST(TrustedProxies, TrustedHopsAreSkippedFromTheRight) {
  auto t = trust({"10.0.0.0/8", "fd00::/8"});
  // client -> edge (10.0.0.7) -> gateway (10.0.0.1) -> node
  EXPECT_EQ(t.client_address("10.0.0.1", "203.0.113.9, 10.0.0.7"), "203.0.113.9");
  EXPECT_EQ(t.client_address("fd00::1", "2001:db8:1::42, fd12::7"), "2001:db8:1::42");
  // Every entry trusted: the leftmost is the client.
  EXPECT_EQ(t.client_address("10.0.0.1", "10.0.0.9, 10.0.0.7"), "10.0.0.9");
}

TEST(TrustedProxies, MalformedEntriesStopTheWalkAtTheHopThatSentThem) {
  auto t = trust({"10.0.0.0/8"});
  EXPECT_EQ(t.client_address("10.0.0.1", "not-an-address"), "10.0.0.1");
  EXPECT_EQ(t.client_address("10.0.0.1", "unknown"), "10.0.0.1");
  EXPECT_EQ(t.client_address("10.0.0.1", "203.0.113.9, garbage"), "10.0.0.1");
  // Garbage left of the first untrusted address is never reached.
  EXPECT_EQ(t.client_address("10.0.0.1", "garbage, 203.0.113.9"), "203.0.113.9");
  EXPECT_EQ(t.client_address("10.0.0.1", "203.0.113.9, 10.0.0.7, _hidden"), "10.0.0.1");
  EXPECT_EQ(t.client_address("10.0.0.1", "garbage, 10.0.0.7"), "10.0.0.7");
  EXPECT_EQ(t.client_address("10.0.0.1", "256.1.1.1"), "10.0.0.1");
  EXPECT_EQ(t.client_address("10.0.0.1", "fe80::1%eth0"), "10.0.0.1");
  EXPECT_EQ(t.client_address("10.0.0.1", "1.2.3.4:99999999"), "10.0.0.1");
  EXPECT_EQ(t.client_address("10.0.0.1", "[1.2.3.4]"), "10.0.0.1");
  EXPECT_EQ(t.client_address("10.0.0.1", "[2001:db8::1"), "10.0.0.1");
}

TEST(TrustedProxies, AddressFormsAndCanonicalText) {
  auto t = trust({"127.0.0.1"});
  EXPECT_EQ(t.client_address("127.0.0.1", "  203.0.113.9\t"), "203.0.113.9");
  EXPECT_EQ(t.client_address("127.0.0.1", "203.0.113.9:51234"), "203.0.113.9");
  EXPECT_EQ(t.client_address("127.0.0.1", "[2001:DB8:0:0::1]:443"), "2001:db8::1");
  EXPECT_EQ(t.client_address("127.0.0.1", "[2001:db8::1]"), "2001:db8::1");
  EXPECT_EQ(t.client_address("127.0.0.1", "2001:0db8::0001"), "2001:db8::1");
  EXPECT_EQ(t.client_address("127.0.0.1", "::ffff:203.0.113.9"), "203.0.113.9");
  EXPECT_EQ(parse_forwarded_address("::1").value_or("?"), "::1");
  EXPECT_FALSE(parse_forwarded_address("").has_value());
  EXPECT_FALSE(parse_forwarded_address("example.com").has_value());
}

TEST(TrustedProxies, NetworksMatchByPrefix) {
  auto t = trust({"192.168.0.0/16", "2001:db8:abcd::/48", "::1"});
  EXPECT_TRUE(t.contains("192.168.255.1"));
  EXPECT_FALSE(t.contains("192.169.0.1"));
  EXPECT_TRUE(t.contains("::ffff:192.168.1.1"));
  EXPECT_TRUE(t.contains("2001:db8:abcd:ffff::9"));
  EXPECT_FALSE(t.contains("2001:db8:abce::9"));
  EXPECT_TRUE(t.contains("::1"));
  EXPECT_FALSE(t.contains("::2"));
  EXPECT_FALSE(t.contains("not an address"));
  // An IPv4 network never covers IPv6 addresses outside the mapped range.
  auto all4 = trust({"0.0.0.0/0"});
  EXPECT_TRUE(all4.contains("8.8.8.8"));
  EXPECT_FALSE(all4.contains("2001:db8::1"));
  EXPECT_EQ(t.describe(), "192.168.0.0/16, 2001:db8:abcd::/48, ::1/128");
}

TEST(TrustedProxies, BadSettingsAreRefusedWithTheEntryNamed) {
  for (const char* bad : {"10.0.0.0/33", "10.0.0.1/8", "fd00::/129", "nonsense", "10.0.0.0/", "10.0.0.0/x", "::1/-1"}) {
    auto t = TrustedProxies::parse({bad});
    ASSERT_FALSE(t.ok()) << bad;
    EXPECT_NE(t.error().message.find(bad), std::string::npos) << t.error().message;
  }
  auto empty = TrustedProxies::parse({});
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
}

}  // namespace
}  // namespace segue::net
