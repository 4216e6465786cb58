#include "image/ref.h"

#include "image/digest.h"

namespace cordon::image {
namespace {

Error bad(std::string_view text, std::string detail) {
  return logic_error("image reference", "'" + std::string(text.substr(0, 100)) + "'",
                     std::move(detail));
}

bool lower_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

// [a-z0-9]+ ((\.|_|__|-+) [a-z0-9]+)*
bool valid_component(std::string_view c) {
  if (c.empty() || !lower_alnum(c.front()) || !lower_alnum(c.back())) return false;
  for (size_t i = 0; i < c.size();) {
    if (lower_alnum(c[i])) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < c.size() && !lower_alnum(c[j])) ++j;
    std::string_view sep = c.substr(i, j - i);
    bool dashes = sep.find_first_not_of('-') == std::string_view::npos;
    if (!(sep == "." || sep == "_" || sep == "__" || dashes)) return false;
    i = j;
  }
  return true;
}

// host[:port]: host labels of [A-Za-z0-9-] separated by '.', or [IPv6].
bool valid_registry(std::string_view r) {
  std::string_view host = r;
  if (!r.empty() && r.front() == '[') {
    size_t close = r.find(']');
    if (close == std::string_view::npos) return false;
    std::string_view inner = r.substr(1, close - 1);
    if (inner.empty() ||
        inner.find_first_not_of("0123456789abcdefABCDEF:") != std::string_view::npos)
      return false;
    std::string_view rest = r.substr(close + 1);
    if (rest.empty()) return true;
    if (rest.front() != ':' || rest.size() < 2 || rest.size() > 6) return false;
    return rest.substr(1).find_first_not_of("0123456789") == std::string_view::npos;
  }
  size_t colon = r.find(':');
  if (colon != std::string_view::npos) {
    std::string_view port = r.substr(colon + 1);
    if (port.empty() || port.size() > 5 ||
        port.find_first_not_of("0123456789") != std::string_view::npos)
      return false;
    host = r.substr(0, colon);
  }
  if (host.empty()) return false;
  size_t start = 0;
  while (start <= host.size()) {
    size_t dot = host.find('.', start);
    std::string_view label =
        host.substr(start, dot == std::string_view::npos ? host.npos : dot - start);
    if (label.empty() || label.front() == '-' || label.back() == '-') return false;
    for (char c : label)
      if (!(lower_alnum(c) || (c >= 'A' && c <= 'Z') || c == '-')) return false;
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return true;
}

bool valid_tag(std::string_view t) {
  if (t.empty() || t.size() > 128) return false;
  auto word = [](char c) { return lower_alnum(c) || (c >= 'A' && c <= 'Z') || c == '_'; };
  if (!word(t.front())) return false;
  for (char c : t)
    if (!(word(c) || c == '.' || c == '-')) return false;
  return true;
}

}  // namespace

std::string Reference::name() const {
  return registry + "/" + repository;
}

std::string Reference::str() const {
  std::string s = name();
  if (!tag.empty()) s += ":" + tag;
  if (!digest.empty()) s += "@" + digest;
  return s;
}

Result<Reference> parse_reference(std::string_view text) {
  if (text.empty()) return bad(text, "is empty; give NAME[:TAG] or NAME@sha256:DIGEST");
  if (text.size() > kMaxReferenceLength)
    return bad(text, "is longer than " + std::to_string(kMaxReferenceLength) + " characters");
  Reference ref;
  std::string_view rest = text;
  size_t at = rest.find('@');
  if (at != std::string_view::npos) {
    std::string_view digest = rest.substr(at + 1);
    auto hex = digest_hex(digest, "reference");
    if (!hex.ok())
      return bad(text, "the part after '@' must be sha256: and 64 lowercase hex digits");
    ref.digest = std::string(digest);
    rest = rest.substr(0, at);
  }
  // A tag is after the last ':' that follows the last '/' (a ':' before it is a port).
  size_t slash = rest.rfind('/');
  size_t colon = rest.rfind(':');
  if (colon != std::string_view::npos && (slash == std::string_view::npos || colon > slash)) {
    std::string_view tag = rest.substr(colon + 1);
    if (!valid_tag(tag))
      return bad(text,
                 "tag '" + std::string(tag.substr(0, 130)) +
                     "' is not valid (1 to 128 of A-Z a-z 0-9 _ . -, not starting with . or -)");
    ref.tag = std::string(tag);
    rest = rest.substr(0, colon);
  }
  if (rest.empty()) return bad(text, "has no repository name");
  size_t first = rest.find('/');
  std::string_view path = rest;
  ref.registry = "docker.io";
  if (first != std::string_view::npos) {
    std::string_view head = rest.substr(0, first);
    bool upper = head.find_first_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ") != std::string_view::npos;
    if (head.find_first_of(".:") != std::string_view::npos || head == "localhost" || upper) {
      if (!valid_registry(head))
        return bad(text, "registry '" + std::string(head) + "' is not a valid host[:port]");
      ref.registry = head == "index.docker.io" ? "docker.io" : std::string(head);
      path = rest.substr(first + 1);
    }
  }
  if (path.empty()) return bad(text, "has no repository name after the registry");
  std::string repo(path);
  if (ref.registry == "docker.io" && repo.find('/') == std::string::npos) {
    if (is_sha256_hex(repo))
      return bad(text, "a 64-digit hex string is an image ID, not a name; use sha256:" + repo);
    repo = "library/" + repo;
  }
  size_t start = 0;
  for (;;) {
    size_t end = repo.find('/', start);
    std::string_view comp =
        std::string_view(repo).substr(start, end == std::string::npos ? repo.npos : end - start);
    if (!valid_component(comp))
      return bad(text, "repository component '" + std::string(comp) +
                           "' is not valid (lowercase a-z 0-9, separated by . _ __ or dashes)");
    if (end == std::string::npos) break;
    start = end + 1;
  }
  ref.repository = std::move(repo);
  if (ref.name().size() > kMaxNameLength)
    return bad(text, "the name is longer than " + std::to_string(kMaxNameLength) + " characters");
  if (ref.tag.empty() && ref.digest.empty()) ref.tag = "latest";
  return ref;
}

bool tenant_image_ref(std::string_view ref, size_t max_len) {
  if (ref.empty() || ref.size() > max_len || ref[0] == '-') return false;
  auto hex = [](std::string_view h) {
    return h.find_first_not_of("0123456789abcdef") == std::string_view::npos;
  };
  if (ref.rfind("sha256:", 0) == 0) return ref.size() == 7 + 64 && hex(ref.substr(7));
  if (ref.size() >= 12 && ref.size() <= 64 && hex(ref)) return true;
  auto parsed = parse_reference(ref);
  return parsed.ok() && parsed->registry != kInstancePinRegistry;
}

}  // namespace cordon::image
