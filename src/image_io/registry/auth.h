// Registry authentication as registries do it: a request goes out anonymously; a 401
// names a challenge in WWW-Authenticate. "Bearer realm=...,service=...,scope=..." asks for
// a token from the realm (with the user's credentials as Basic when there are any);
// "Basic" asks for the credentials themselves.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "registry/http.h"

namespace cordon::registry {

struct Credentials {
  std::string user;
  std::string password;
};

struct Challenge {
  std::string scheme;                         // lowercased: "bearer", "basic", ...
  std::map<std::string, std::string> params;  // names lowercased, values unquoted
};

// The challenges of one WWW-Authenticate value (RFC 7235: scheme, then comma-separated
// name=value or name="quoted value" parameters; a new scheme starts a new challenge).
std::vector<Challenge> parse_challenges(std::string_view header);

// "Basic BASE64(user:password)".
std::string basic_authorization(const Credentials& c);

// A bearer token from the challenge's realm for scope (the challenge's own scope when it
// names one). The realm must be https, or http on a loopback host when allow_http; it may
// be any host, so the challenge must come from the registry itself (never from a server
// a redirect led to): the credentials go to the realm.
// Errors name the realm; a refusal of the credentials says so.
Result<std::string> fetch_bearer_token(HttpClient& http, const Challenge& challenge,
                                       const std::string& scope, const Credentials* credentials,
                                       bool allow_http);

}  // namespace cordon::registry
