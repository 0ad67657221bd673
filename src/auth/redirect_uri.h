// Redirect URI rules for client registration. At authorization time a redirect_uri is only
// ever compared for exact string equality with a registered one (no normalisation), so these
// rules decide what may be registered at all.
#pragma once

#include <string_view>

#include "common/result.h"

namespace segue::auth {

// OK if `uri` may be registered as a redirect URI:
//  - an absolute URI: scheme ":" rest, at most 2048 bytes, printable ASCII without spaces;
//  - no fragment ('#');
//  - https with a non-empty host and no userinfo ("https://app.example/callback");
//  - http only to a loopback host: 127.0.0.1, [::1] or localhost (Spotify's rule; RFC 8252
//    §7.3), any port;
//  - or a private-use scheme for native apps ("com.example.app:/cb", "myapp://cb"), except
//    schemes that run or read content in the browser (javascript, data, file, vbscript, blob,
//    about).
// Error::invalid says which rule failed.
Status validate_redirect_uri(std::string_view uri);

}  // namespace segue::auth
