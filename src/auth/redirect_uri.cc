#include "auth/redirect_uri.h"

#include <array>
#include <string>

#include "common/strings.h"

namespace segue::auth {
namespace {

constexpr std::size_t kMaxRedirectUri = 2048;

bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

Status validate_redirect_uri(std::string_view uri) {
  if (uri.empty()) return Error::invalid("redirect URI is empty");
  if (uri.size() > kMaxRedirectUri) return Error::invalid("redirect URI is too long");
  for (char c : uri) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f)
      return Error::invalid("redirect URI must be printable ASCII without spaces");
  }
  if (uri.find('#') != std::string_view::npos)
    return Error::invalid("redirect URI must not contain a fragment");

  std::size_t colon = uri.find(':');
  if (colon == std::string_view::npos || colon == 0 || !is_alpha(uri[0]))
    return Error::invalid("redirect URI must be absolute (scheme:...)");
  for (std::size_t i = 1; i < colon; ++i) {
    char c = uri[i];
    if (!is_alpha(c) && !is_digit(c) && c != '+' && c != '-' && c != '.')
      return Error::invalid("redirect URI has an invalid scheme");
  }
  const std::string scheme = strings::ascii_lower(uri.substr(0, colon));
  std::string_view rest = uri.substr(colon + 1);
  if (rest.empty()) return Error::invalid("redirect URI has nothing after the scheme");

  if (scheme != "http" && scheme != "https") {
    static constexpr std::array<std::string_view, 6> kForbidden = {
        "javascript", "data", "file", "vbscript", "blob", "about"};
    for (auto f : kForbidden)
      if (scheme == f) return Error::invalid("redirect URI scheme '" + scheme + "' is not allowed");
    return {};
  }

  if (!rest.starts_with("//")) return Error::invalid("http(s) redirect URI needs a host");
  std::string_view authority = rest.substr(2);
  authority = authority.substr(0, authority.find_first_of("/?"));
  if (authority.find('@') != std::string_view::npos)
    return Error::invalid("redirect URI must not contain userinfo");

  std::string_view host = authority;
  std::string_view port;
  bool has_port = false;
  if (authority.starts_with("[")) {
    std::size_t close = authority.find(']');
    if (close == std::string_view::npos) return Error::invalid("redirect URI has a bad IPv6 host");
    host = authority.substr(0, close + 1);
    std::string_view after = authority.substr(close + 1);
    if (!after.empty() && after[0] != ':') return Error::invalid("redirect URI has a bad port");
    has_port = !after.empty();
    if (has_port) port = after.substr(1);
  } else if (std::size_t c = authority.find(':'); c != std::string_view::npos) {
    host = authority.substr(0, c);
    port = authority.substr(c + 1);
    has_port = true;
  }
  if (host.empty()) return Error::invalid("http(s) redirect URI needs a host");
  if (has_port && (port.empty() || port.size() > 5))
    return Error::invalid("redirect URI has a bad port");
  for (char c : port)
    if (!is_digit(c)) return Error::invalid("redirect URI has a bad port");

  if (scheme == "http") {
    const std::string h = strings::ascii_lower(host);
    if (h != "127.0.0.1" && h != "[::1]" && h != "localhost")
      return Error::invalid(
          "http redirect URIs are only allowed for loopback hosts (127.0.0.1, [::1], "
          "localhost); use https");
  }
  return {};
}

}  // namespace segue::auth
