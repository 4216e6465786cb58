// cordon-image: `cordon image pull|import|ls|inspect|rm|tag|prune`, the image store's commands
// (docs/images.md). A dynamic binary of its own because import links libarchive; the
// static cordon execs it (image_exec.cc) for `cordon image`, and it may be run directly:
// `cordon-image ls` is `cordon image ls`.
#include <cerrno>
#include <clocale>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "base/args.h"
#include "base/exit_codes.h"
#include "base/log.h"
#include "base/parse.h"
#include "image/ref.h"
#include "image/store.h"
#include "image_io/import.h"
#include "image_pull.h"
#include "sys/fd.h"
#include "sys/fs.h"

namespace {

using nlohmann::json;
using namespace cordon;

constexpr const char* kUsage = R"(Usage: cordon image COMMAND [OPTIONS]

The image store: images pulled or imported once, their layers unpacked once and shared
by every sandbox.

Commands:
  pull REF      fetch an image from an OCI registry (resumable) and import it
  import PATH   an OCI image layout (directory or tar), a docker save archive, or a rootfs
                tarball (gzip, xz, zstd or none)
  ls            the images and their names
  inspect REF   an image's record, config and layer directories
  rm REF        remove a name (the image goes with its last name), or an image by ID
  tag REF NEW   give an image another name
  prune         remove the blobs and layers no image uses

Each command takes --store DIR (default $CORDON_IMAGE_STORE or /var/lib/cordon/store),
--json and --help.
)";

constexpr OptionSpec kStore = {"--store", true, "DIR",
                               "the store (default: $CORDON_IMAGE_STORE, else\n"
                               "/var/lib/cordon/store)"};
constexpr OptionSpec kJson = {"--json", false, "", "print JSON for machines"};

struct Command {
  const char* name;
  const char* operands;  // in the usage line
  size_t min_operands, max_operands;
  const char* about;
  std::vector<OptionSpec> extra;
};

const std::vector<Command>& commands() {
  static const std::vector<Command> k = {
      {"pull",
       "REF",
       1,
       1,
       "Pulls REF (busybox, user/app:1, host:5000/x/y:tag, NAME@sha256:...) from its\n"
       "registry (docker.io is registry-1.docker.io) and imports it under its normalized name.\n"
       "Every blob is verified against its digest; an interrupted pull (Ctrl-C, SIGTERM, a\n"
       "broken connection) keeps its download and the next pull of REF resumes it.\n"
       "Credentials: --credentials-file, else $CORDON_REGISTRY_USER and\n"
       "$CORDON_REGISTRY_PASSWORD.\n",
       {{"--ca-file", true, "FILE",
         "PEM CAs the registry's certificate must chain to\n"
         "(default: the system's)"},
        {"--insecure-http", false, "", "plain http (only to localhost, 127.0.0.0/8, ::1)"},
        {"--credentials-file", true, "FILE", "user:password on its first line"},
        {"--platform", true, "OS/ARCH[/VARIANT]",
         "what an index is resolved to (default: this host's,\nthe only one the store keeps)"}}},
      {"import",
       "PATH",
       1,
       1,
       "Imports PATH: an OCI image layout (a directory or a tar of one), a docker save archive,\n"
       "or a plain rootfs tarball (gzip, xz, zstd or none). Every blob is verified against its\n"
       "digest and each layer unpacked once; on any error nothing is kept.\n",
       {{"--name", true, "NAME[:TAG]", "name the image (default: the archive's own names)"},
        {"--max-layer-size", true, "SIZE", "refuse a layer whose files hold more (default 8G)"},
        {"--max-entries", true, "N", "refuse a layer of more entries (default 500000)"}}},
      {"ls", "", 0, 0, "Lists the images: ID, names, layers, size, creation time.\n", {}},
      {"inspect",
       "REF",
       1,
       1,
       "Shows an image: its record, its config, and its layer directories (bottom first).\n"
       "REF: a name, NAME@sha256:..., sha256:ID, or 12 or more hex digits of an ID.\n",
       {}},
      {"rm",
       "REF",
       1,
       1,
       "Removes a name; the image record goes with its last name. An ID removes the image\n"
       "and every name of it. Its blobs and layers stay until `cordon image prune`.\n",
       {}},
      {"tag", "REF NEWREF", 2, 2, "Gives the image REF names the name NEWREF too.\n", {}},
      {"prune",
       "",
       0,
       0,
       "Removes every blob and layer that no image record names, unfinished layers and tmp/.\n"
       "Refused while the store's layers are in use (an import or a pull is running).\n",
       {}},
  };
  return k;
}

std::vector<OptionGroup> groups(const Command& c) {
  std::vector<OptionSpec> opts = c.extra;
  opts.push_back(kStore);
  opts.push_back(kJson);
  opts.push_back(kHelpOption);
  return {{"Options", opts}};
}

constexpr const char* kExitText =
    "0 done, 64 bad usage, 66 no such image or input, 73 the store cannot be written,\n"
    "77 not permitted, 125 refused or failed (the error says why)\n";
constexpr const char* kPullExitText =
    "0 pulled, 64 bad usage or reference,\n"
    "66 no such repository, tag, digest or platform in the registry,\n"
    "73 the store cannot be written, 77 the registry refused the credentials or wants some,\n"
    "125 a network, TLS or verification failure or the import refused (the error says which),\n"
    "130 or 143 interrupted by SIGINT or SIGTERM (the download is kept for the next pull)\n";

int fail(const Error& e, int code) {
  log(LogLevel::kError, e.to_string());
  return code;
}

int code_for(const Error& e) {
  if (e.err == ENOENT) return kExitInput;
  if (e.err == EACCES || e.err == EPERM) return kExitNoPerm;
  if (e.step == "image reference" || e.step == "image name") return kExitUsage;
  return kExitSetupFailed;
}

std::string short_id(const std::string& digest) {
  return digest.substr(7, 12);
}

void print_json(const json& j) {
  std::printf("%s\n", j.dump(2).c_str());
}

int cmd_import(const image::Store& store, const ParsedArgs& a, bool as_json) {
  image_io::ImportOptions opts;
  opts.name = a.get("--name");
  if (a.has("--max-layer-size")) {
    auto s = parse_size(a.get("--max-layer-size"));
    if (!s.ok())
      return fail(logic_error("usage", "--max-layer-size", s.error().to_string()), kExitUsage);
    opts.limits.max_bytes = *s;
  }
  if (a.has("--max-entries")) {
    auto n = parse_uint(a.get("--max-entries"), 1, 100000000);
    if (!n.ok())
      return fail(logic_error("usage", "--max-entries", n.error().to_string()), kExitUsage);
    opts.limits.max_entries = *n;
  }
  bool tty = sys::is_terminal(2) && !as_json;
  if (tty)
    // At most one line per stage and MB read: a layer of many small entries reports often.
    opts.progress = [last_stage = std::string(),
                     last_mb = uint64_t{0}](const image_io::ImportProgress& p) mutable {
      uint64_t mb = p.bytes >> 20;
      if (p.stage == last_stage && mb == last_mb) return;
      last_stage = p.stage;
      last_mb = mb;
      std::fprintf(stderr, "\r\033[K%s: %.1f MB read", p.stage.c_str(), p.bytes / 1e6);
    };
  auto r = image_io::import_path(store, a.operands[0], opts);
  if (tty) std::fprintf(stderr, "\r\033[K");
  if (!r.ok()) {
    const Error& e = r.error();
    if (e.err == EROFS || e.err == ENOSPC || e.err == EDQUOT) return fail(e, kExitCantCreate);
    return fail(e, code_for(e));
  }
  json out = json::array();
  for (const auto& i : *r) {
    out.push_back({{"id", i.manifest},
                   {"refs", i.refs},
                   {"format", i.format},
                   {"layers_unpacked", i.layers_unpacked},
                   {"layers_reused", i.layers_reused}});
    if (!as_json)
      std::printf("imported %s (%s) %s: %zu layer(s) unpacked, %zu reused\n",
                  short_id(i.manifest).c_str(), i.format.c_str(),
                  i.refs.empty() ? "<no name>" : i.refs[0].c_str(), i.layers_unpacked,
                  i.layers_reused);
  }
  if (as_json) print_json(out);
  return kExitOk;
}

json record_json(const image::ImageRecord& r, const std::vector<std::string>& refs) {
  return {{"id", r.manifest},   {"refs", refs},         {"config", r.config},
          {"layers", r.layers}, {"blobs", r.blobs},     {"platform", r.platform},
          {"size", r.size},     {"created", r.created}, {"source", r.source}};
}

int cmd_ls(const image::Store& store, bool as_json) {
  auto lock = store.lock(false);
  if (!lock.ok()) return fail(lock.error(), code_for(lock.error()));
  auto images = store.list_images();
  auto refs = store.read_refs();
  if (!images.ok()) return fail(images.error(), kExitSetupFailed);
  if (!refs.ok()) return fail(refs.error(), kExitSetupFailed);
  json out = json::array();
  if (!as_json)
    std::printf("%-14s %-50s %6s %10s  %s\n", "ID", "NAME", "LAYERS", "SIZE", "CREATED");
  for (const auto& r : *images) {
    std::vector<std::string> names;
    for (const auto& [k, v] : *refs)
      if (v == r.manifest) names.push_back(k);
    out.push_back(record_json(r, names));
    if (!as_json) {
      if (names.empty()) names.push_back("<none>");
      for (const auto& n : names)
        std::printf("%-14s %-50s %6zu %10s  %s\n", short_id(r.manifest).c_str(), n.c_str(),
                    r.layers.size(), format_size(r.size).c_str(), r.created.c_str());
    }
  }
  if (as_json) print_json(out);
  return kExitOk;
}

int cmd_inspect(const image::Store& store, const std::string& ref) {
  auto lock = store.lock(false);
  if (!lock.ok()) return fail(lock.error(), code_for(lock.error()));
  auto r = store.resolve(ref);
  if (!r.ok()) return fail(r.error(), code_for(r.error()));
  json j = record_json(r->record, r->refs);
  auto cfg_text = store.read_blob(r->record.config.substr(7), image::kMaxDocumentBytes);
  if (!cfg_text.ok()) return fail(cfg_text.error(), kExitSetupFailed);
  j["image_config"] = json::parse(*cfg_text);
  j["layer_dirs"] = r->layer_dirs;
  print_json(j);  // inspect is JSON either way, as docker's
  return kExitOk;
}

int cmd_rm(const image::Store& store, const std::string& ref, bool as_json) {
  auto lock = store.lock(true);
  if (!lock.ok()) return fail(lock.error(), code_for(lock.error()));
  auto hex = store.find(ref);
  if (!hex.ok()) return fail(hex.error(), code_for(hex.error()));
  auto refs = store.read_refs();
  if (!refs.ok()) return fail(refs.error(), kExitSetupFailed);
  std::string id = "sha256:" + *hex;
  std::vector<std::string> removed;
  auto parsed = image::parse_reference(ref);
  bool by_name = parsed.ok() && parsed->digest.empty() && refs->count(parsed->str());
  if (by_name) {
    refs->erase(parsed->str());
    removed.push_back(parsed->str());
  } else {
    for (auto it = refs->begin(); it != refs->end();)
      if (it->second == id) {
        removed.push_back(it->first);
        it = refs->erase(it);
      } else {
        ++it;
      }
  }
  bool last = true;
  for (const auto& [k, v] : *refs)
    if (v == id) last = false;
  auto w = store.write_refs(*refs);
  if (!w.ok()) return fail(w.error(), kExitCantCreate);
  if (last) {
    auto d = store.remove_image(*hex);
    if (!d.ok()) return fail(d.error(), kExitCantCreate);
  }
  if (as_json) {
    print_json({{"untagged", removed}, {"deleted", last ? json(id) : json(nullptr)}});
  } else {
    for (const auto& n : removed) std::printf("untagged %s\n", n.c_str());
    if (last) std::printf("deleted %s\n", id.c_str());
  }
  return kExitOk;
}

int cmd_tag(const image::Store& store, const std::string& ref, const std::string& new_ref,
            bool as_json) {
  auto parsed = image::parse_reference(new_ref);
  if (!parsed.ok()) return fail(parsed.error(), kExitUsage);
  if (!parsed->digest.empty())
    return fail(logic_error("usage", new_ref, "a new name is NAME[:TAG], not a digest"),
                kExitUsage);
  auto lock = store.lock(true);
  if (!lock.ok()) return fail(lock.error(), code_for(lock.error()));
  auto hex = store.find(ref);
  if (!hex.ok()) return fail(hex.error(), code_for(hex.error()));
  auto refs = store.read_refs();
  if (!refs.ok()) return fail(refs.error(), kExitSetupFailed);
  (*refs)[parsed->str()] = "sha256:" + *hex;
  auto w = store.write_refs(*refs);
  if (!w.ok()) return fail(w.error(), kExitCantCreate);
  if (as_json)
    print_json({{"id", "sha256:" + *hex}, {"ref", parsed->str()}});
  else
    std::printf("%s -> sha256:%s\n", parsed->str().c_str(), hex->c_str());
  return kExitOk;
}

int cmd_prune(const image::Store& store, bool as_json) {
  auto gc = store.try_prune_lock();
  if (!gc.ok()) return fail(gc.error(), code_for(gc.error()));
  if (!*gc)
    return fail(logic_error("prune", store.root(),
                            "the store's layers are in use (an import, a pull or a running "
                            "sandbox holds gc.lock); try again when it ends"),
                kExitSetupFailed);
  auto lock = store.lock(true);
  if (!lock.ok()) return fail(lock.error(), code_for(lock.error()));
  auto r = store.prune();
  if (!r.ok()) return fail(r.error(), kExitSetupFailed);
  if (as_json)
    print_json({{"blobs", r->blobs}, {"layers", r->layers}, {"tmp_entries", r->tmp_entries}});
  else
    std::printf("removed %zu blob(s), %zu layer(s), %llu tmp entr(y|ies)\n", r->blobs.size(),
                r->layers.size(), static_cast<unsigned long long>(r->tmp_entries));
  return kExitOk;
}

}  // namespace

int main(int argc, char** argv) {
  // Layers of Go-built images name files in UTF-8 (pax): libarchive converts names to
  // the locale's charset, and in the C locale it would mangle them (two names into one).
  std::setlocale(LC_CTYPE, "C.UTF-8");
  std::vector<std::string> args(argv + 1, argv + argc);
  // `cordon image ...` execs "cordon-image image ...": the word is optional.
  if (!args.empty() && args[0] == "image") args.erase(args.begin());
  if (auto status = program_help(args, kUsage)) return *status;
  if (args[0] == "version" || args[0] == "--version") {
    std::printf("cordon-image %s\n", CORDON_VERSION);
    return 0;
  }
  const Command* cmd = nullptr;
  for (const auto& c : commands())
    if (args[0] == c.name) cmd = &c;
  if (cmd == nullptr) {
    log(LogLevel::kError, "unknown command '" + args[0] +
                              "'; the commands are pull, import, ls, inspect, rm, tag, prune "
                              "(cordon image --help)");
    return kExitUsage;
  }
  auto gs = groups(*cmd);
  std::string usage = std::string("cordon image ") + cmd->name + " [OPTIONS]" +
                      (*cmd->operands ? std::string(" ") + cmd->operands : "");
  auto parsed = parse_args({args.begin() + 1, args.end()}, all_options(gs));
  if (!parsed.ok()) return fail(parsed.error(), kExitUsage);
  if (parsed->help) {
    std::fputs(help_text(usage, cmd->about, gs,
                         std::string(cmd->name) == "pull" ? kPullExitText : kExitText)
                   .c_str(),
               stdout);
    return kExitOk;
  }
  const auto& ops = parsed->operands;
  if (ops.size() < cmd->min_operands || ops.size() > cmd->max_operands) {
    log(LogLevel::kError, "usage: " + usage + " (cordon image " + cmd->name + " --help)");
    return kExitUsage;
  }
  auto chosen =
      sys::path_setting(parsed->get("--store"), "CORDON_IMAGE_STORE", image::kDefaultStore);
  if (!chosen.ok()) return fail(chosen.error(), kExitInput);
  const std::string root = *chosen;
  bool create = std::string(cmd->name) == "import" || std::string(cmd->name) == "pull";
  auto store = image::Store::open(root, create);
  if (!store.ok()) {
    const Error& e = store.error();
    if (e.err == ENOENT && !create) {
      // An empty store: nothing to list, nothing to find.
      if (std::string(cmd->name) == "ls") {
        if (parsed->has("--json")) std::printf("[]\n");
        return kExitOk;
      }
      return fail(logic_error("open image store", root, "no store there (import an image first)"),
                  kExitInput);
    }
    return fail(e, e.err == EACCES || e.err == EPERM ? kExitNoPerm : kExitCantCreate);
  }
  bool as_json = parsed->has("--json");
  std::string name = cmd->name;
  if (name == "pull") return cmd::cmd_pull(*store, *parsed, as_json);
  if (name == "import") return cmd_import(*store, *parsed, as_json);
  if (name == "ls") return cmd_ls(*store, as_json);
  if (name == "inspect") return cmd_inspect(*store, ops[0]);
  if (name == "rm") return cmd_rm(*store, ops[0], as_json);
  if (name == "tag") return cmd_tag(*store, ops[0], ops[1], as_json);
  return cmd_prune(*store, as_json);
}
