#include "registry/auth.h"

#include <openssl/evp.h>

#include <cctype>

#include "base/json_strict.h"

namespace cordon::registry {
namespace {

constexpr size_t kMaxTokenResponse = 1 << 20;

bool is_token_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

void skip_space(std::string_view& v) {
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
}

std::string read_token(std::string_view& v) {
  size_t n = 0;
  while (n < v.size() && is_token_char(v[n])) ++n;
  std::string t(v.substr(0, n));
  v.remove_prefix(n);
  return t;
}

}  // namespace

std::vector<Challenge> parse_challenges(std::string_view v) {
  std::vector<Challenge> out;
  while (true) {
    skip_space(v);
    while (!v.empty() && v.front() == ',') {
      v.remove_prefix(1);
      skip_space(v);
    }
    if (v.empty()) break;
    std::string word = read_token(v);
    if (word.empty()) break;  // garbage: stop, keeping what was understood
    skip_space(v);
    if (!v.empty() && v.front() == '=' && !out.empty()) {
      // A parameter of the current challenge.
      v.remove_prefix(1);
      skip_space(v);
      std::string value;
      if (!v.empty() && v.front() == '"') {
        v.remove_prefix(1);
        while (!v.empty() && v.front() != '"') {
          if (v.front() == '\\' && v.size() > 1) v.remove_prefix(1);
          value += v.front();
          v.remove_prefix(1);
        }
        if (v.empty()) break;  // unterminated quote
        v.remove_prefix(1);
      } else {
        value = read_token(v);
      }
      out.back().params[lower(word)] = value;
      continue;
    }
    out.push_back(Challenge{lower(word), {}});
  }
  return out;
}

std::string basic_authorization(const Credentials& c) {
  std::string plain = c.user + ":" + c.password;
  std::string out(4 * ((plain.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(plain.data()),
                          static_cast<int>(plain.size()));
  out.resize(n < 0 ? 0 : static_cast<size_t>(n));
  return "Basic " + out;
}

Result<std::string> fetch_bearer_token(HttpClient& http, const Challenge& challenge,
                                       const std::string& scope, const Credentials* credentials,
                                       bool allow_http) {
  auto realm_it = challenge.params.find("realm");
  if (realm_it == challenge.params.end() || realm_it->second.empty())
    return logic_error("registry authentication", "WWW-Authenticate",
                       "a Bearer challenge without a realm");
  const std::string& realm = realm_it->second;
  ASSIGN_OR_RETURN(Url u, parse_url(realm));
  if (u.scheme != "https" && !(allow_http && is_loopback_host(u.host)))
    return logic_error("registry authentication", realm,
                       "the token realm is not https (plain http only for a loopback registry "
                       "with insecure http allowed)");
  std::string url = realm;
  char sep = realm.find('?') == std::string::npos ? '?' : '&';
  auto add = [&](const std::string& k, const std::string& v) {
    url += sep + k + "=" + http.escape(v);
    sep = '&';
  };
  if (auto s = challenge.params.find("service"); s != challenge.params.end())
    add("service", s->second);
  auto sc = challenge.params.find("scope");
  std::string want = sc != challenge.params.end() && !sc->second.empty() ? sc->second : scope;
  if (!want.empty()) add("scope", want);
  Headers headers;
  if (credentials != nullptr)
    headers.emplace_back("Authorization", basic_authorization(*credentials));
  ASSIGN_OR_RETURN(HttpResponse r, http.get(url, headers, kMaxTokenResponse));
  if (r.status == 401 || r.status == 403)
    return logic_error(
        "registry authentication", realm,
        credentials != nullptr
            ? "the token server refused the credentials (HTTP " + std::to_string(r.status) + ")"
            : "the token server wants credentials (HTTP " + std::to_string(r.status) + ")");
  if (r.status != 200)
    return logic_error("registry authentication", realm,
                       "token request answered HTTP " + std::to_string(r.status));
  JsonError jerr;
  auto doc = parse_json_strict(r.body, 8, &jerr);
  if (!doc || !doc->is_object())
    return logic_error("registry authentication", realm, "token response: " + jerr.message);
  for (const char* key : {"token", "access_token"}) {
    auto it = doc->find(key);
    if (it != doc->end() && it->is_string() && !it->get_ref<const std::string&>().empty()) {
      const std::string& t = it->get_ref<const std::string&>();
      for (char c : t)
        if (!std::isgraph(static_cast<unsigned char>(c)))
          return logic_error("registry authentication", realm, "a token with a bad character");
      return t;
    }
  }
  return logic_error("registry authentication", realm, "token response without a token");
}

}  // namespace cordon::registry
