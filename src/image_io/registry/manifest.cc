#include "registry/manifest.h"

#include <nlohmann/json.hpp>

#include "base/json_strict.h"

namespace cordon::registry {
namespace {

using nlohmann::json;

Error bad(const std::string& what, const std::string& why) {
  return logic_error("parse manifest", what, why);
}

Result<std::string> get_string(const json& o, const char* key, bool required,
                               const std::string& what) {
  auto it = o.find(key);
  if (it == o.end()) {
    if (required) return bad(what, std::string("missing \"") + key + "\"");
    return std::string();
  }
  if (!it->is_string()) return bad(what, std::string("\"") + key + "\" is not a string");
  return it->get<std::string>();
}

Result<Descriptor> parse_descriptor(const json& o, uint64_t max_blob, const std::string& what) {
  if (!o.is_object()) return bad(what, "a descriptor is not an object");
  Descriptor d;
  ASSIGN_OR_RETURN(d.media_type, get_string(o, "mediaType", true, what));
  ASSIGN_OR_RETURN(d.digest, get_string(o, "digest", true, what));
  if (!is_sha256_digest(d.digest))
    return bad(what, "digest '" + d.digest + "' is not sha256:<64 lowercase hex>");
  auto size = o.find("size");
  if (size == o.end() || !size->is_number_unsigned())
    return bad(what, "descriptor " + d.digest + ": \"size\" is not a non-negative integer");
  d.size = size->get<uint64_t>();
  if (d.size > max_blob)
    return bad(what, "descriptor " + d.digest + " declares " + std::to_string(d.size) +
                         " bytes, over the limit of " + std::to_string(max_blob));
  if (auto p = o.find("platform"); p != o.end()) {
    if (!p->is_object()) return bad(what, "\"platform\" is not an object");
    Platform pl;
    ASSIGN_OR_RETURN(pl.os, get_string(*p, "os", true, what));
    ASSIGN_OR_RETURN(pl.architecture, get_string(*p, "architecture", true, what));
    ASSIGN_OR_RETURN(pl.variant, get_string(*p, "variant", false, what));
    d.platform = pl;
  }
  return d;
}

}  // namespace

bool is_sha256_digest(std::string_view s) {
  if (s.size() != 71 || s.substr(0, 7) != "sha256:") return false;
  for (char c : s.substr(7))
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

Result<Manifest> parse_manifest(std::string_view body, std::string_view content_type,
                                uint64_t max_blob, const std::string& what) {
  JsonError jerr;
  auto doc = parse_json_strict(body, 16, &jerr);
  if (!doc) return bad(what, "not valid JSON: " + jerr.message);
  if (!doc->is_object()) return bad(what, "not a JSON object");
  auto sv = doc->find("schemaVersion");
  if (sv == doc->end() || !sv->is_number_integer() || sv->get<int64_t>() != 2)
    return bad(what, "schemaVersion is not 2 (Docker schema 1 manifests are not supported)");
  Manifest m;
  ASSIGN_OR_RETURN(m.media_type, get_string(*doc, "mediaType", false, what));
  if (m.media_type.empty()) {
    std::string_view ct = content_type.substr(0, content_type.find(';'));
    while (!ct.empty() && ct.back() == ' ') ct.remove_suffix(1);
    if (ct == kOciIndex || ct == kOciManifest || ct == kDockerList || ct == kDockerManifest)
      m.media_type = std::string(ct);
    else if (doc->contains("manifests"))
      m.media_type = kOciIndex;
    else if (doc->contains("layers"))
      m.media_type = kOciManifest;
  }
  m.is_index = m.media_type == kOciIndex || m.media_type == kDockerList;
  if (!m.is_index && m.media_type != kOciManifest && m.media_type != kDockerManifest)
    return bad(what, "media type '" + m.media_type + "' is not an OCI index or manifest or a " +
                         "Docker v2 manifest list or manifest");
  if (m.is_index) {
    auto ms = doc->find("manifests");
    if (ms == doc->end() || !ms->is_array()) return bad(what, "an index without \"manifests\"");
    if (ms->size() > kMaxIndexEntries)
      return bad(what, "more than " + std::to_string(kMaxIndexEntries) + " index entries");
    for (const auto& e : *ms) {
      ASSIGN_OR_RETURN(Descriptor d, parse_descriptor(e, max_blob, what));
      m.manifests.push_back(std::move(d));
    }
    return m;
  }
  auto cfg = doc->find("config");
  if (cfg == doc->end()) return bad(what, "a manifest without \"config\"");
  ASSIGN_OR_RETURN(m.config, parse_descriptor(*cfg, max_blob, what));
  auto ls = doc->find("layers");
  if (ls == doc->end() || !ls->is_array()) return bad(what, "a manifest without \"layers\"");
  if (ls->size() > kMaxLayers)
    return bad(what, "more than " + std::to_string(kMaxLayers) + " layers");
  for (const auto& e : *ls) {
    ASSIGN_OR_RETURN(Descriptor d, parse_descriptor(e, max_blob, what));
    m.layers.push_back(std::move(d));
  }
  return m;
}

Result<Descriptor> select_platform(const Manifest& index, const Platform& want,
                                   const std::string& what) {
  const Descriptor* best = nullptr;
  std::string seen;
  for (const auto& d : index.manifests) {
    if (d.media_type != kOciManifest && d.media_type != kDockerManifest) continue;
    if (!d.platform) continue;
    const Platform& p = *d.platform;
    seen += (seen.empty() ? "" : ", ") + p.os + "/" + p.architecture +
            (p.variant.empty() ? "" : "/" + p.variant);
    if (p.os != want.os || p.architecture != want.architecture) continue;
    if (!want.variant.empty()) {
      if (p.variant == want.variant) return d;
      continue;
    }
    if (best == nullptr || (!best->platform->variant.empty() && p.variant.empty())) best = &d;
  }
  if (best != nullptr) return *best;
  std::string name =
      want.os + "/" + want.architecture + (want.variant.empty() ? "" : "/" + want.variant);
  return logic_error("select platform", what,
                     "no manifest for " + name + " (the index has: " +
                         (seen.empty() ? "none with a platform" : seen) + ")");
}

}  // namespace cordon::registry
