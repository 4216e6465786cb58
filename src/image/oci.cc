#include "image/oci.h"

#include <nlohmann/json.hpp>

#include "base/json_strict.h"
#include "image/digest.h"

namespace cordon::image {
namespace {

using nlohmann::json;

constexpr size_t kMaxString = 64 * 1024;

Error bad(std::string_view what, std::string detail) {
  return logic_error("parse", std::string(what), std::move(detail));
}

Result<json> parse(std::string_view text, std::string_view what) {
  if (text.size() > kMaxDocumentBytes)
    return bad(what, "is larger than " + std::to_string(kMaxDocumentBytes) + " bytes");
  JsonError err;
  auto j = parse_json_strict(text, kJsonDepth, &err);
  if (!j) return bad(what, err.message);
  if (!j->is_object()) return bad(what, "is not a JSON object");
  return std::move(*j);
}

// An optional string field; absent or null gives "".
Result<std::string> opt_string(const json& o, const char* key, std::string_view what) {
  auto it = o.find(key);
  if (it == o.end() || it->is_null()) return std::string();
  if (!it->is_string()) return bad(what, std::string("'") + key + "' is not a string");
  const auto& s = it->get_ref<const std::string&>();
  if (s.size() > kMaxString) return bad(what, std::string("'") + key + "' is too long");
  return s;
}

Result<std::string> req_string(const json& o, const char* key, std::string_view what) {
  if (!o.contains(key)) return bad(what, std::string("has no '") + key + "'");
  ASSIGN_OR_RETURN(std::string s, opt_string(o, key, what));
  if (s.empty()) return bad(what, std::string("'") + key + "' is empty");
  return s;
}

Result<std::optional<std::vector<std::string>>> opt_strings(const json& o, const char* key,
                                                            std::string_view what, size_t max) {
  auto it = o.find(key);
  if (it == o.end() || it->is_null()) return std::optional<std::vector<std::string>>();
  if (!it->is_array()) return bad(what, std::string("'") + key + "' is not an array");
  if (it->size() > max)
    return bad(what,
               std::string("'") + key + "' has more than " + std::to_string(max) + " entries");
  std::vector<std::string> out;
  for (const auto& e : *it) {
    if (!e.is_string()) return bad(what, std::string("'") + key + "' holds a non-string");
    if (e.get_ref<const std::string&>().size() > kMaxString)
      return bad(what, std::string("'") + key + "' holds a string too long");
    out.push_back(e.get<std::string>());
  }
  return std::optional<std::vector<std::string>>(std::move(out));
}

Result<Descriptor> descriptor(const json& o, std::string_view what) {
  if (!o.is_object()) return bad(what, "a descriptor is not an object");
  Descriptor d;
  ASSIGN_OR_RETURN(d.media_type, opt_string(o, "mediaType", what));
  ASSIGN_OR_RETURN(d.digest, req_string(o, "digest", what));
  TRY(digest_hex(d.digest, what));
  auto size = o.find("size");
  if (size == o.end() || !size->is_number_integer())
    return bad(what, "descriptor " + d.digest + " has no integer 'size'");
  d.size = size->get<int64_t>();
  if (d.size < 0) return bad(what, "descriptor " + d.digest + " has a negative size");
  auto p = o.find("platform");
  if (p != o.end() && !p->is_null()) {
    if (!p->is_object()) return bad(what, "'platform' is not an object");
    Platform pl;
    ASSIGN_OR_RETURN(pl.os, opt_string(*p, "os", what));
    ASSIGN_OR_RETURN(pl.architecture, opt_string(*p, "architecture", what));
    ASSIGN_OR_RETURN(pl.variant, opt_string(*p, "variant", what));
    d.platform = pl;
  }
  auto ann = o.find("annotations");
  if (ann != o.end() && !ann->is_null()) {
    if (!ann->is_object()) return bad(what, "'annotations' is not an object");
    ASSIGN_OR_RETURN(std::string full, opt_string(*ann, "io.containerd.image.name", what));
    ASSIGN_OR_RETURN(std::string name, opt_string(*ann, "org.opencontainers.image.ref.name", what));
    d.ref_name = full.empty() ? name : full;
  }
  return d;
}

Status schema2(const json& j, std::string_view what) {
  auto it = j.find("schemaVersion");
  if (it == j.end() || !it->is_number_integer() || it->get<int64_t>() != 2)
    return bad(what, "'schemaVersion' is not 2");
  return {};
}

}  // namespace

bool is_index_type(std::string_view t) {
  return t == kOciIndex || t == kDockerList;
}
bool is_manifest_type(std::string_view t) {
  return t == kOciManifest || t == kDockerManifest;
}
bool is_layer_type(std::string_view t) {
  return t == kOciLayerTar || t == kOciLayerGzip || t == kOciLayerZstd || t == kDockerLayerGzip ||
         t == kOciLayerXz || t == "application/vnd.docker.image.rootfs.diff.tar";
}

Result<Index> parse_index(std::string_view text, std::string_view what) {
  ASSIGN_OR_RETURN(json j, parse(text, what));
  TRY(schema2(j, what));
  Index idx;
  ASSIGN_OR_RETURN(idx.media_type, opt_string(j, "mediaType", what));
  if (!idx.media_type.empty() && !is_index_type(idx.media_type))
    return bad(what, "mediaType '" + idx.media_type + "' is not an image index");
  auto m = j.find("manifests");
  if (m == j.end() || !m->is_array()) return bad(what, "has no 'manifests' array");
  if (m->size() > kMaxManifests)
    return bad(what, "has more than " + std::to_string(kMaxManifests) + " manifests");
  for (const auto& e : *m) {
    ASSIGN_OR_RETURN(Descriptor d, descriptor(e, what));
    idx.manifests.push_back(std::move(d));
  }
  return idx;
}

Result<Manifest> parse_manifest(std::string_view text, std::string_view what) {
  ASSIGN_OR_RETURN(json j, parse(text, what));
  TRY(schema2(j, what));
  Manifest man;
  ASSIGN_OR_RETURN(man.media_type, opt_string(j, "mediaType", what));
  if (!man.media_type.empty() && !is_manifest_type(man.media_type))
    return bad(what, "mediaType '" + man.media_type + "' is not an image manifest");
  auto c = j.find("config");
  if (c == j.end()) return bad(what, "has no 'config'");
  ASSIGN_OR_RETURN(man.config, descriptor(*c, what));
  auto l = j.find("layers");
  if (l == j.end() || !l->is_array()) return bad(what, "has no 'layers' array");
  if (l->size() > kMaxLayers)
    return bad(what, "has more than " + std::to_string(kMaxLayers) + " layers");
  for (const auto& e : *l) {
    ASSIGN_OR_RETURN(Descriptor d, descriptor(e, what));
    if (!is_layer_type(d.media_type))
      return bad(what, "layer " + d.digest + " has media type '" + d.media_type +
                           "', not a tar layer (plain, gzip or zstd)");
    man.layers.push_back(std::move(d));
  }
  return man;
}

Result<ImageConfig> parse_config(std::string_view text, std::string_view what) {
  ASSIGN_OR_RETURN(json j, parse(text, what));
  ImageConfig c;
  ASSIGN_OR_RETURN(c.architecture, opt_string(j, "architecture", what));
  ASSIGN_OR_RETURN(c.os, opt_string(j, "os", what));
  ASSIGN_OR_RETURN(c.variant, opt_string(j, "variant", what));
  ASSIGN_OR_RETURN(c.created, opt_string(j, "created", what));
  auto cfg = j.find("config");
  if (cfg != j.end() && !cfg->is_null()) {
    if (!cfg->is_object()) return bad(what, "'config' is not an object");
    ASSIGN_OR_RETURN(auto env, opt_strings(*cfg, "Env", what, kMaxConfigStrings));
    if (env) c.env = std::move(*env);
    ASSIGN_OR_RETURN(c.entrypoint, opt_strings(*cfg, "Entrypoint", what, kMaxConfigStrings));
    ASSIGN_OR_RETURN(c.cmd, opt_strings(*cfg, "Cmd", what, kMaxConfigStrings));
    ASSIGN_OR_RETURN(c.working_dir, opt_string(*cfg, "WorkingDir", what));
    ASSIGN_OR_RETURN(c.user, opt_string(*cfg, "User", what));
  }
  auto rootfs = j.find("rootfs");
  if (rootfs == j.end() || !rootfs->is_object()) return bad(what, "has no 'rootfs' object");
  ASSIGN_OR_RETURN(std::string type, opt_string(*rootfs, "type", what));
  if (type != "layers") return bad(what, "rootfs.type is '" + type + "', not 'layers'");
  ASSIGN_OR_RETURN(auto ids, opt_strings(*rootfs, "diff_ids", what, kMaxLayers));
  if (!ids) return bad(what, "has no rootfs.diff_ids");
  for (const auto& id : *ids) TRY(digest_hex(id, what));
  c.diff_ids = std::move(*ids);
  return c;
}

Result<std::vector<DockerSaveEntry>> parse_docker_save_manifest(std::string_view text,
                                                                std::string_view what) {
  if (text.size() > kMaxDocumentBytes)
    return bad(what, "is larger than " + std::to_string(kMaxDocumentBytes) + " bytes");
  JsonError err;
  auto j = parse_json_strict(text, kJsonDepth, &err);
  if (!j) return bad(what, err.message);
  if (!j->is_array()) return bad(what, "is not a JSON array");
  if (j->empty()) return bad(what, "lists no image");
  if (j->size() > kMaxManifests) return bad(what, "lists too many images");
  std::vector<DockerSaveEntry> out;
  for (const auto& e : *j) {
    if (!e.is_object()) return bad(what, "an entry is not an object");
    DockerSaveEntry d;
    ASSIGN_OR_RETURN(d.config, req_string(e, "Config", what));
    ASSIGN_OR_RETURN(auto tags, opt_strings(e, "RepoTags", what, kMaxManifests));
    if (tags) d.repo_tags = std::move(*tags);
    ASSIGN_OR_RETURN(auto layers, opt_strings(e, "Layers", what, kMaxLayers));
    if (!layers) return bad(what, "an entry has no 'Layers'");
    d.layers = std::move(*layers);
    out.push_back(std::move(d));
  }
  return out;
}

std::string manifest_json(const Manifest& m) {
  auto desc = [](const Descriptor& d) {
    return json{{"mediaType", d.media_type}, {"digest", d.digest}, {"size", d.size}};
  };
  json layers = json::array();
  for (const auto& l : m.layers) layers.push_back(desc(l));
  json j = {{"schemaVersion", 2},
            {"mediaType", m.media_type.empty() ? std::string(kOciManifest) : m.media_type},
            {"config", desc(m.config)},
            {"layers", layers}};
  return j.dump();
}

std::string config_json(const ImageConfig& c) {
  json cfg = json::object();
  if (!c.env.empty()) cfg["Env"] = c.env;
  if (c.entrypoint) cfg["Entrypoint"] = *c.entrypoint;
  if (c.cmd) cfg["Cmd"] = *c.cmd;
  if (!c.working_dir.empty()) cfg["WorkingDir"] = c.working_dir;
  if (!c.user.empty()) cfg["User"] = c.user;
  json j = {{"architecture", c.architecture},
            {"os", c.os},
            {"config", cfg},
            {"rootfs", {{"type", "layers"}, {"diff_ids", c.diff_ids}}}};
  if (!c.created.empty()) j["created"] = c.created;
  return j.dump();
}

}  // namespace cordon::image
