#include "client/job_body.h"

#include <sys/stat.h>

#include <fstream>
#include <iterator>

#include "base/parse.h"
#include "sys/fs.h"

namespace cordon::client {
namespace {

using nlohmann::json;

// The daemon refuses bodies over 1 MiB: larger inputs belong in --upload.
constexpr size_t kMaxInlineFile = 1u << 20;

Error usage(const std::string& option, const std::string& detail) {
  return logic_error("usage", option, detail);
}

// A limit as the user wrote it, after checking that the daemon will parse it.
Status check_value(const std::string& option, const std::string& value) {
  if (option == "--memory" || option == "--disk" || option == "--output-limit") {
    if (!parse_size(value).ok()) return usage(option + " " + value, "not a size (e.g. 256M, 1G)");
  } else if (option == "--cpu-time" || option == "--timeout") {
    if (!parse_duration_ns(value).ok())
      return usage(option + " " + value, "not a duration (e.g. 30s, 1500ms, 2m)");
  } else if (option == "--cpus") {
    if (!parse_milli(value).ok())
      return usage(option + " " + value, "not a CPU count (e.g. 0.5, 2)");
  }
  return {};
}

Result<json> file_entry(const std::string& spec) {
  size_t colon = spec.find(':');
  std::string local = spec.substr(0, colon);
  std::string path;
  if (colon != std::string::npos) {
    path = spec.substr(colon + 1);
  } else {
    size_t slash = local.find_last_of('/');
    path = slash == std::string::npos ? local : local.substr(slash + 1);
  }
  if (local.empty() || path.empty()) return usage("--file " + spec, "expected LOCAL[:PATH]");
  ASSIGN_OR_RETURN(std::string content, read_local_file(local, kMaxInlineFile));
  json f = {{"path", path}};
  // Text stays readable in the request; anything else travels as base64.
  if (valid_utf8(content)) {
    f["content"] = content;
  } else {
    f["content"] = base64_encode(content);
    f["encoding"] = "base64";
  }
  // A script given with its execute bit keeps it: `--file run.sh -- ./run.sh` works.
  if (auto st = sys::path_status(local, true); st.ok())
    f["mode"] = (st->st_mode & 0111) != 0 ? 0755 : 0644;
  return f;
}

}  // namespace

const std::vector<OptionSpec> kSubmitOptions = {
    {"--memory", true, "SIZE", "memory limit (e.g. 256M, 1G)"},
    {"--cpus", true, "N", "CPUs (e.g. 0.5, 2)"},
    {"--pids", true, "N", "process limit"},
    {"--disk", true, "SIZE", "workspace and writable layers"},
    {"--cpu-time", true, "DUR", "CPU time limit (e.g. 30s)"},
    {"--output-limit", true, "SIZE", "stdout and stderr together"},
    {"--timeout", true, "DUR", "wall-clock limit (e.g. 30s, 10m)"},
    {"--env", true, "NAME=VALUE",
     "an environment variable (repeatable; NAME alone passes this\nshell's)"},
    {"--file", true, "LOCAL[:PATH]",
     "a local file put in the workspace at PATH (default: its base\n"
     "name; repeatable; up to 1 MiB each, binary files go as base64)"},
    {"--upload", true, "TARFILE",
     "a tar or .tar.gz unpacked into the workspace (uploaded first:\nPOST /v1/uploads)"},
    {"--stdin", true, "LOCAL",
     "a local file as the command's stdin, sent inline (up to 1 MiB;\n"
     "binary goes as base64); default: /dev/null"},
    {"--stdin-path", true, "PATH",
     "a file of the job's workspace as its stdin: a --file's PATH or\n"
     "one of the --upload's (for input over 1 MiB)"},
    {"--image", true, "REF",
     "an image of the daemon's store (GET /v1/images) as the root;\n"
     "its Entrypoint and Cmd are the command when none is given"},
    {"--rootfs", true, "IMAGE", "an image of the daemon's images folder as the root"},
    {"--seccomp", true, "PROFILE", "default or strict"},
    {"--wait", false, "", "wait for the job to end; exit with its exit status"},
    {"--follow", false, "",
     "stream its stdout and stderr as they are written, each to ours;\n"
     "exit with its exit status (implies --wait; not with --json)"},
    {"--json", false, "", "print the job as JSON (with --wait: the ended job)"},
};

Result<std::string> read_local_file(const std::string& path, size_t max) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return sys_error("open", path);
  if (auto st = sys::path_status(path, true); st.ok()) {
    if (!S_ISREG(st->st_mode)) return logic_error("read", path, "not a regular file");
    if (static_cast<uint64_t>(st->st_size) > max)
      return logic_error("read", path, "larger than " + std::to_string(max) + " bytes");
  }
  std::string s((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return sys_error("read", path);
  return s;
}

Result<json> job_body(const ParsedArgs& args, const Getenv& getenv, const std::string& upload_id) {
  if (args.command.empty() && !args.has("--image"))
    return usage("submit", "no command (cordon job submit [OPTIONS] -- CMD ARGS...)");
  json body = json::object();
  if (!args.command.empty()) body["command"] = args.command;
  if (args.has("--image")) body["image"] = args.get("--image");

  json env = json::object();
  for (const auto& e : args.all("--env")) {
    size_t eq = e.find('=');
    std::string name = e.substr(0, eq);
    if (name.empty()) return usage("--env " + e, "expected NAME=VALUE or NAME");
    if (eq != std::string::npos) {
      env[name] = e.substr(eq + 1);
    } else if (const char* v = getenv(name.c_str())) {
      env[name] = v;  // NAME alone passes this shell's value on, as docker run -e does
    } else {
      return usage("--env " + e, "not set here (give NAME=VALUE)");
    }
  }
  if (!env.empty()) body["env"] = env;

  json files = json::array();
  for (const auto& f : args.all("--file")) {
    ASSIGN_OR_RETURN(json entry, file_entry(f));
    files.push_back(std::move(entry));
  }
  if (!files.empty()) body["files"] = files;
  if (!upload_id.empty()) body["upload"] = upload_id;
  if (args.has("--stdin") && args.has("--stdin-path"))
    return usage("--stdin-path", "either --stdin (a local file) or --stdin-path, not both");
  if (args.has("--stdin")) {
    ASSIGN_OR_RETURN(std::string content, read_local_file(args.get("--stdin"), kMaxInlineFile));
    if (valid_utf8(content)) {
      body["stdin"] = content;
    } else {
      body["stdin"] = {{"content", base64_encode(content)}, {"encoding", "base64"}};
    }
  }
  if (args.has("--stdin-path")) body["stdin"] = {{"file", args.get("--stdin-path")}};
  if (args.has("--rootfs")) body["rootfs"] = args.get("--rootfs");
  if (args.has("--seccomp")) {
    std::string p = args.get("--seccomp");
    if (p != "default" && p != "strict") return usage("--seccomp " + p, "default or strict");
    body["seccomp"] = p;
  }

  json limits = json::object();
  const std::pair<const char*, const char*> limit_options[] = {{"--memory", "memory"},
                                                               {"--cpus", "cpus"},
                                                               {"--disk", "disk"},
                                                               {"--cpu-time", "cpu_time"},
                                                               {"--output-limit", "output"}};
  for (const auto& [option, key] : limit_options) {
    if (!args.has(option)) continue;
    std::string v = args.get(option);
    TRY(check_value(option, v));
    limits[key] = v;
  }
  if (args.has("--pids")) {
    // The daemon takes pids as a number only.
    auto n = parse_uint(args.get("--pids"), 1, 1u << 22);
    if (!n.ok()) return usage("--pids " + args.get("--pids"), "not a count 1-4194304");
    limits["pids"] = *n;
  }
  if (!limits.empty()) body["limits"] = limits;
  if (args.has("--timeout")) {
    TRY(check_value("--timeout", args.get("--timeout")));
    body["timeout"] = args.get("--timeout");
  }
  return body;
}

bool valid_utf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t n;
    uint32_t cp;
    if ((c & 0xe0) == 0xc0) {
      n = 1;
      cp = c & 0x1f;
    } else if ((c & 0xf0) == 0xe0) {
      n = 2;
      cp = c & 0x0f;
    } else if ((c & 0xf8) == 0xf0) {
      n = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + n >= s.size()) return false;
    for (size_t k = 1; k <= n; ++k) {
      unsigned char d = static_cast<unsigned char>(s[i + k]);
      if ((d & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (d & 0x3f);
    }
    static constexpr uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
    if (cp < kMin[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    i += n + 1;
  }
  return true;
}

std::string base64_encode(std::string_view in) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= in.size(); i += 3) {
    uint32_t n = (static_cast<uint8_t>(in[i]) << 16) | (static_cast<uint8_t>(in[i + 1]) << 8) |
                 static_cast<uint8_t>(in[i + 2]);
    for (int k = 3; k >= 0; --k) out += kAlphabet[(n >> (6 * k)) & 63];
  }
  size_t rest = in.size() - i;
  if (rest > 0) {
    uint32_t n = static_cast<uint8_t>(in[i]) << 16;
    if (rest == 2) n |= static_cast<uint8_t>(in[i + 1]) << 8;
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += rest == 2 ? kAlphabet[(n >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

}  // namespace cordon::client
