// `cordon image pull REF` (docs/images.md, "Pulling"): the registry client
// (src/image_io/registry) fetches the image into a fixed directory per reference under the
// store's tmp/, the store's import takes that OCI layout, and the directory goes. An
// interrupted pull keeps the directory, so the next pull of the same reference resumes.
#include "image_pull.h"

#include <fcntl.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "base/exit_codes.h"
#include "base/log.h"
#include "image/digest.h"
#include "image/oci.h"
#include "image/ref.h"
#include "image_io/import.h"
#include "registry/registry.h"
#include "sys/fd.h"
#include "sys/fs.h"
#include "sys/fs_at.h"
#include "sys/signals.h"

namespace cordon::cmd {
namespace {

using nlohmann::json;

constexpr const char* kArch = image::kHostArch;

std::atomic<bool> g_cancel{false};
volatile sig_atomic_t g_signal = 0;

void on_signal(int sig) {
  if (g_signal == 0) g_signal = sig;
  g_cancel.store(true);
}

void catch_signals(bool on) {
  for (int sig : {SIGINT, SIGTERM}) {
    if (!on) {
      sys::set_default_action(sig);
      continue;
    }
    struct sigaction sa {};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    (void)sys::set_signal_action(sig, sa);
  }
}

int fail(const Error& e, int code) {
  log(LogLevel::kError, e.to_string());
  return code;
}

bool contains(const std::string& s, const char* what) {
  return s.find(what) != std::string::npos;
}

// The documented exit status of a failed fetch (docs/images.md, "Pulling").
int fetch_code(const Error& e) {
  if (e.step == "check reference" || e.path == "insecure http") return kExitUsage;
  if (e.step == "registry authentication" || contains(e.detail, "HTTP 403")) return kExitNoPerm;
  if ((e.step == "fetch manifest" && contains(e.detail, "HTTP 404")) ||
      e.step == "select platform" || e.step == "check platform")
    return kExitInput;
  if (e.err == ENOSPC || e.err == EROFS || e.err == EDQUOT) return kExitCantCreate;
  return kExitSetupFailed;
}

Result<registry::Platform> parse_platform(const std::string& text) {
  std::vector<std::string> parts;
  size_t at = 0;
  for (;;) {
    size_t slash = text.find('/', at);
    parts.push_back(text.substr(at, slash - at));
    if (slash == std::string::npos) break;
    at = slash + 1;
  }
  bool ok = parts.size() == 2 || parts.size() == 3;
  for (const auto& p : parts)
    ok = ok && !p.empty() &&
         p.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_") == std::string::npos;
  if (!ok)
    return logic_error("usage", "--platform '" + text + "'",
                       "expected OS/ARCH or OS/ARCH/VARIANT (lowercase), e.g. linux/amd64");
  if (parts[0] != "linux" || parts[1] != kArch)
    return logic_error("usage", "--platform '" + text + "'",
                       std::string("the store keeps only images this host runs: linux/") + kArch +
                           " (a variant of it may be named)");
  return registry::Platform{parts[0], parts[1], parts.size() == 3 ? parts[2] : ""};
}

bool has_partial(const std::string& dir) {
  auto names = sys::list_dir(dir + "/blobs/sha256");
  if (!names.ok()) return false;
  for (const auto& n : *names)
    if (n.size() > 8 && n.compare(n.size() - 8, 8, ".partial") == 0) return true;
  return false;
}

// Every blob the store already has, hard-linked into the layout: the client keeps a blob
// already there once its sha256 matches, so what the store holds is not fetched again (a
// second pull of an image fetches only its index and manifest). A link that cannot be made
// only costs a download.
void link_store_blobs(const image::Store& store, const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir + "/blobs/sha256", ec);
  auto names = sys::list_dir(store.root() + "/blobs/sha256");
  if (!names.ok()) return;
  for (const auto& n : *names) {
    if (!image::is_sha256_hex(n)) continue;
    std::string to = dir + "/blobs/sha256/" + n;
    if (std::filesystem::exists(std::filesystem::symlink_status(to, ec))) continue;
    std::filesystem::create_hard_link(store.blob_path(n), to, ec);
  }
}

// One line on a terminal, at most ten times a second, and at each blob's end.
class ProgressLine {
 public:
  void operator()(const registry::Progress& p) {
    auto now = std::chrono::steady_clock::now();
    if (p.done != p.total && now - last_ < std::chrono::milliseconds(100)) return;
    last_ = now;
    double secs = std::chrono::duration<double>(now - start_).count();
    if (first_) {
      base_ = p.all_done > p.done ? p.all_done - p.done : 0;
      first_ = false;
    }
    double rate = secs > 0 ? static_cast<double>(p.all_done - base_) / secs / 1e6 : 0;
    std::string what = p.kind == "config"
                           ? std::string("config")
                           : "layer " + std::to_string(p.index + 1) + "/" + std::to_string(p.count);
    std::fprintf(stderr, "\r\033[K%s %s: %.1f/%.1f MB, all %.1f/%.1f MB, %.1f MB/s", what.c_str(),
                 p.digest.substr(7, 12).c_str(), p.done / 1e6, p.total / 1e6, p.all_done / 1e6,
                 p.all_total / 1e6, rate);
  }

 private:
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point last_{};
  uint64_t base_ = 0;
  bool first_ = true;
};

}  // namespace

int cmd_pull(const image::Store& store, const ParsedArgs& a, bool as_json) {
  const std::string& text = a.operands[0];
  auto parsed = image::parse_reference(text);
  if (!parsed.ok()) return fail(parsed.error(), kExitUsage);
  image::Reference ref = *parsed;
  registry::RegistryRef rref{ref.registry == "docker.io" ? "registry-1.docker.io" : ref.registry,
                             ref.repository, ref.digest.empty() ? ref.tag : ref.digest};
  image::Reference named = ref;
  named.digest.clear();
  // A digest reference without a tag names nothing: the image is found by NAME@DIGEST or ID.
  std::string name = named.tag.empty() ? "" : named.str();

  registry::FetchOptions opts;
  opts.ca_file = a.get("--ca-file");
  opts.insecure_http = a.has("--insecure-http");
  if (a.has("--platform")) {
    auto p = parse_platform(a.get("--platform"));
    if (!p.ok()) return fail(p.error(), kExitUsage);
    opts.platform = *p;
  } else {
    opts.platform = {"linux", kArch, ""};
  }
  if (a.has("--credentials-file")) {
    auto c = registry::credentials_from_file(a.get("--credentials-file"));
    if (!c.ok())
      return fail(c.error(),
                  c.error().err == ENOENT || c.error().err == EACCES ? kExitInput : kExitUsage);
    opts.credentials = *c;
  } else {
    opts.credentials = registry::credentials_from_env();
  }
  opts.cancel = &g_cancel;
  if (auto st = registry::check_ref(rref); !st.ok()) return fail(st.error(), kExitUsage);

  // The store's layers stay for the whole pull: prune is refused while we hold gc.lock, so
  // it never takes the download in progress nor a layer the import found.
  auto gc = store.hold_layers();
  if (!gc.ok()) return fail(gc.error(), kExitSetupFailed);
  std::string dir = store.tmp_dir() + "/pull-" + image::sha256_hex(ref.str()).substr(0, 16) +
                    ".partial";  // prune keeps *.partial in tmp/: the download stays resumable
  if (auto st = sys::make_dirs(dir, 0700); !st.ok()) return fail(st.error(), kExitCantCreate);
  auto lockfd = sys::open_path(dir + "/pull.lock", O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (!lockfd.ok()) return fail(lockfd.error(), kExitCantCreate);
  auto got = sys::lock_file(lockfd->get(), true, false);
  if (!got.ok()) return fail(got.error(), kExitSetupFailed);
  if (!*got)
    return fail(logic_error("pull", ref.str(),
                            "another pull of it into this store is running; try again when it "
                            "ends"),
                kExitSetupFailed);

  link_store_blobs(store, dir);

  bool tty = sys::is_terminal(2) && !as_json;
  registry::ProgressFn progress;
  if (tty) progress = ProgressLine();
  catch_signals(true);
  auto start = std::chrono::steady_clock::now();
  auto r = registry::fetch_to_layout(rref, dir, opts, progress);
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  catch_signals(false);  // the import is all or nothing: a signal may end it as usual
  if (tty) std::fprintf(stderr, "\r\033[K");
  if (g_signal != 0) {
    int sig = g_signal;
    log(LogLevel::kError, std::string("pull of ") + ref.str() + " interrupted by " +
                              (sig == SIGINT ? "SIGINT" : "SIGTERM") +
                              "; what was downloaded is kept and the next `cordon image pull " +
                              text + "` resumes it");
    return kExitSignalBase + sig;
  }
  if (!r.ok()) {
    // A download to resume stays (a broken connection, a truncated blob); anything else
    // (refused content, auth, not found) leaves nothing.
    // (An earlier interrupted run's partial file is no reason to keep the folder after a
    // refusal: only a failure of the transfer itself, status 125, keeps it.)
    bool keep = fetch_code(r.error()) == kExitSetupFailed && has_partial(dir);
    if (!keep) (void)image::remove_tree(dir);
    log(LogLevel::kError, r.error().to_string());
    if (keep)
      log(LogLevel::kError,
          "the partial download is kept; `cordon image pull " + text + "` again resumes it");
    return fetch_code(r.error());
  }

  image_io::ImportOptions io;
  io.name = name;
  io.source = "pull " + ref.str();
  auto imp = image_io::import_path(store, dir, io);
  (void)image::remove_tree(dir);
  if (!imp.ok()) {
    const Error& e = imp.error();
    return fail(e, e.err == EROFS || e.err == ENOSPC || e.err == EDQUOT ? kExitCantCreate
                                                                        : kExitSetupFailed);
  }
  if (imp->empty()) return fail(logic_error("import", dir, "no image imported"), kExitSetupFailed);
  const image_io::ImportedImage& im = imp->front();
  uint64_t resumed = 0, present = 0;
  for (const auto& b : r->blobs) {
    resumed += b.resumed_from;
    if (b.present) ++present;
  }
  double mbs = secs > 0 ? static_cast<double>(r->bytes_fetched) / secs / 1e6 : 0;
  std::string platform = opts.platform.os + "/" + opts.platform.architecture +
                         (opts.platform.variant.empty() ? "" : "/" + opts.platform.variant);
  if (as_json) {
    json out = {{"ref", ref.str()},
                {"name", name.empty() ? json(nullptr) : json(name)},
                {"id", im.manifest},
                {"index", r->index_digest.empty() ? json(nullptr) : json(r->index_digest)},
                {"platform", platform},
                {"layers", r->layers.size()},
                {"size", r->size},
                {"bytes_fetched", r->bytes_fetched},
                {"bytes_resumed", resumed},
                {"blobs_present", present},
                {"seconds", secs},
                {"layers_unpacked", im.layers_unpacked},
                {"layers_reused", im.layers_reused}};
    std::printf("%s\n", out.dump(2).c_str());
  } else {
    std::printf(
        "pulled %s %s (%s): %zu layer(s), %.1f MB fetched in %.2f s (%.1f MB/s), %.1f MB resumed, "
        "%llu blob(s) already there; %zu layer(s) unpacked, %zu reused\n",
        ref.str().c_str(), im.manifest.substr(7, 12).c_str(), platform.c_str(), r->layers.size(),
        r->bytes_fetched / 1e6, secs, mbs, resumed / 1e6, static_cast<unsigned long long>(present),
        im.layers_unpacked, im.layers_reused);
  }
  return kExitOk;
}

}  // namespace cordon::cmd
