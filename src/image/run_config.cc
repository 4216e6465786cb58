#include "image/run_config.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <cerrno>
#include <charconv>
#include <filesystem>

#include "sys/fs.h"
#include "sys/fs_at.h"

namespace cordon::image {

namespace {

constexpr size_t kMaxAccountsFile = 1 << 20;

Error bad_image(const std::string& ref, const std::string& field, std::string detail) {
  return logic_error("image config", ref, field + ": " + std::move(detail));
}

// What one layer says of etc/NAME: it has the file, hides it (whiteout, opaque /etc, a
// symlink on the way), or leaves it to the layers below.
enum class Says { kHas, kHides, kPasses };

Result<Says> layer_says(int layer_fd, const std::string& name, std::string* text) {
  auto etc = sys::open_beneath(layer_fd, "etc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (!etc.ok()) {
    // Absent here: the lower layers decide. A symlink (ELOOP), a whiteout or a file
    // (ENOTDIR) in its place hides them, and is nothing cordon reads through.
    if (etc.error().err == ENOENT) return Says::kPasses;
    if (etc.error().err == ELOOP || etc.error().err == ENOTDIR) return Says::kHides;
    return std::move(etc).error();
  }
  auto opaque = sys::get_xattr_fd(etc->get(), "user.overlay.opaque");
  if (!opaque.ok()) return std::move(opaque).error();
  bool is_opaque = opaque->has_value() && opaque->value().compare("y") == 0;
  auto f = sys::open_beneath(etc->get(), name, O_PATH | O_CLOEXEC);
  if (!f.ok()) {
    if (f.error().err == ENOENT) return is_opaque ? Says::kHides : Says::kPasses;
    if (f.error().err == ELOOP) return Says::kHides;
    return std::move(f).error();
  }
  ASSIGN_OR_RETURN(struct stat st, sys::fd_status(f->get()));
  if (!S_ISREG(st.st_mode)) return Says::kHides;  // a whiteout (0:0 char device) or odd
  if (static_cast<uint64_t>(st.st_size) > kMaxAccountsFile)
    return logic_error("read image accounts", "/etc/" + name, "larger than 1 MiB");
  ASSIGN_OR_RETURN(UniqueFd r,
                   sys::open_beneath(etc->get(), name, O_RDONLY | O_NONBLOCK | O_CLOEXEC));
  text->assign(static_cast<size_t>(st.st_size), '\0');
  size_t got = 0;
  while (got < text->size()) {
    ASSIGN_OR_RETURN(size_t n, sys::read_at(r.get(), text->data() + got, text->size() - got, got));
    if (n == 0) break;
    got += n;
  }
  text->resize(got);
  return Says::kHas;
}

Result<std::optional<std::string>> stacked_file(const std::vector<std::string>& layer_dirs,
                                                const std::string& name) {
  for (auto it = layer_dirs.rbegin(); it != layer_dirs.rend(); ++it) {
    ASSIGN_OR_RETURN(UniqueFd layer,
                     sys::open_no_symlinks(*it, O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    std::string text;
    ASSIGN_OR_RETURN(Says says, layer_says(layer.get(), name, &text));
    if (says == Says::kHas) return std::optional<std::string>(std::move(text));
    if (says == Says::kHides) break;
  }
  return std::optional<std::string>();
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  size_t pos = 0;
  while (true) {
    size_t end = s.find(sep, pos);
    if (end == std::string_view::npos) {
      out.push_back(s.substr(pos));
      return out;
    }
    out.push_back(s.substr(pos, end - pos));
    pos = end + 1;
  }
}

std::optional<uint32_t> number(std::string_view s) {
  uint32_t v = 0;
  if (s.empty()) return std::nullopt;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

// The fields of the line of an /etc/passwd or /etc/group whose field `key` (0: the name,
// 2: the ID) is want; empty when there is none.
std::vector<std::string_view> find_line(const std::optional<std::string>& file,
                                        std::string_view want, size_t key, size_t min_fields) {
  if (!file) return {};
  for (std::string_view line : split(*file, '\n')) {
    if (line.empty() || line[0] == '#') continue;
    auto f = split(line, ':');
    if (f.size() >= min_fields && f[key] == want) return f;
  }
  return {};
}

Result<uint32_t> checked_id(std::optional<uint32_t> id, std::string_view what) {
  if (!id) return logic_error("image user", std::string(what), "not a valid ID");
  if (*id >= spec::kIdsPerSandbox)
    return logic_error(
        "image user", std::string(what),
        "above " + std::to_string(spec::kIdsPerSandbox - 1) + ", the highest ID a sandbox has");
  return *id;
}

std::string clean_dir(const std::string& dir) {
  std::string d = std::filesystem::path("/" + dir).lexically_normal().string();
  while (d.size() > 1 && d.back() == '/') d.pop_back();
  return d;
}

}  // namespace

Result<ImageAccounts> read_accounts(const std::vector<std::string>& layer_dirs) {
  ImageAccounts a;
  ASSIGN_OR_RETURN(a.passwd, stacked_file(layer_dirs, "passwd"));
  ASSIGN_OR_RETURN(a.group, stacked_file(layer_dirs, "group"));
  return a;
}

Result<ResolvedUser> resolve_user(std::string_view user, const ImageAccounts& accounts) {
  ResolvedUser r;
  if (user.empty()) return r;
  size_t colon = user.find(':');
  std::string_view u = user.substr(0, colon);
  std::string_view g = colon == std::string_view::npos ? "" : user.substr(colon + 1);
  if (u.empty()) return logic_error("image user", std::string(user), "no user before ':'");
  // A name, or a number (which needs no entry: Docker runs an unknown UID with GID 0).
  std::vector<std::string_view> pw;
  if (auto n = number(u)) {
    ASSIGN_OR_RETURN(r.uid, checked_id(n, u));
    pw = find_line(accounts.passwd, u, 2, 7);
  } else {
    pw = find_line(accounts.passwd, u, 0, 7);
    if (pw.empty())
      return Error{ENOENT, "image user", std::string(u),
                   accounts.passwd ? "no such user in the image's /etc/passwd"
                                   : "the image has no /etc/passwd to look the name up in"};
    ASSIGN_OR_RETURN(r.uid, checked_id(number(pw[2]), pw[2]));
  }
  if (!pw.empty()) {
    ASSIGN_OR_RETURN(r.gid, checked_id(number(pw[3]), pw[3]));
    if (!pw[5].empty()) r.home = std::string(pw[5]);
  }
  if (colon == std::string_view::npos) return r;
  if (g.empty()) return logic_error("image user", std::string(user), "no group after ':'");
  if (auto n = number(g)) {
    ASSIGN_OR_RETURN(r.gid, checked_id(n, g));
    return r;
  }
  auto gr = find_line(accounts.group, g, 0, 3);
  if (gr.empty())
    return Error{ENOENT, "image group", std::string(g),
                 accounts.group ? "no such group in the image's /etc/group"
                                : "the image has no /etc/group to look the name up in"};
  ASSIGN_OR_RETURN(r.gid, checked_id(number(gr[2]), gr[2]));
  return r;
}

Status apply_config(spec::SandboxSpec* spec, const ImageAsk& ask, const std::string& store_root,
                    const ResolvedImage& img) {
  const ImageConfig& c = img.config;
  spec::ImageRoot root;
  root.store = store_root;
  root.ref = ask.ref;
  root.id = img.record.manifest;
  root.layers = img.layer_dirs;
  if (root.layers.empty())
    return bad_image(ask.ref, "rootfs", "the image has no layer, nothing to run");
  if (root.layers.size() > spec::kMaxImageLayers)
    return bad_image(ask.ref, "rootfs",
                     std::to_string(root.layers.size()) + " layers, more than overlayfs stacks (" +
                         std::to_string(spec::kMaxImageLayers) + ")");

  // The environment: HOME of the user, then the image's, then the caller's (later wins).
  std::vector<std::pair<std::string, std::string>> env;
  std::string user = ask.user ? *ask.user : c.user;
  if (!ask.ids_given) {
    ASSIGN_OR_RETURN(ImageAccounts accounts, read_accounts(root.layers));
    auto resolved = resolve_user(user, accounts);
    if (!resolved.ok()) {
      Error e = std::move(resolved).error();
      e.detail += ask.user ? " (--user " + *ask.user + ")" : " (the image's User " + c.user + ")";
      return e;
    }
    spec->uid = resolved->uid;
    spec->gid = resolved->gid;
    if (resolved->home) env.emplace_back("HOME", *resolved->home);
  }
  for (const auto& kv : c.env) {
    size_t eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) continue;  // Docker skips a bare name too
    env.emplace_back(kv.substr(0, eq), kv.substr(eq + 1));
  }
  env.insert(env.end(), spec->env.begin(), spec->env.end());
  spec->env = std::move(env);

  // The image's WorkingDir, else "/" as under Docker (not cordon's default, the home).
  if (spec->workdir.empty()) {
    spec->workdir = clean_dir(c.working_dir);
    if (!spec::is_clean_absolute_path(spec->workdir))
      return bad_image(ask.ref, "WorkingDir", "'" + c.working_dir + "' is not a usable path");
  }

  // Entrypoint and Cmd as Docker joins them: --entrypoint drops the image's Cmd, a command
  // given replaces it.
  std::vector<std::string> argv;
  if (ask.entrypoint) {
    argv = *ask.entrypoint;
  } else if (c.entrypoint) {
    argv = *c.entrypoint;
  }
  if (!spec->argv.empty()) {
    argv.insert(argv.end(), spec->argv.begin(), spec->argv.end());
  } else if (!ask.entrypoint && c.cmd) {
    argv.insert(argv.end(), c.cmd->begin(), c.cmd->end());
  }
  if (argv.empty())
    return logic_error("image config", ask.ref,
                       "no command: the image has no Entrypoint or Cmd, and none was given");
  spec->argv = std::move(argv);
  spec->rootfs.reset();
  spec->image = std::move(root);
  return {};
}

Status use_image(spec::SandboxSpec* spec, const ImageAsk& ask) {
  ASSIGN_OR_RETURN(Store store, Store::open(ask.store, /*create=*/false));
  ASSIGN_OR_RETURN(StoreLock reading, store.lock(/*exclusive=*/false));
  ASSIGN_OR_RETURN(ResolvedImage img, store.resolve(ask.ref));
  return apply_config(spec, ask, store.root(), img);
}

}  // namespace cordon::image
