// The sandbox spec: what the caller asked for, as plain validated values.
// Both the CLI and (later) the API fill it; validate() is the one gate.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/result.h"

namespace cordon::spec {

struct BindMount {
  std::string source;  // host path
  std::string target;  // absolute path inside
  bool writable = false;
};

// Field limits: a spec can come from an untrusted API caller.
inline constexpr size_t kMaxArgs = 4096;
inline constexpr size_t kMaxArgBytes = 1 << 20;  // all of argv and env together
inline constexpr size_t kMaxEnv = 1024;
inline constexpr size_t kMaxBinds = 64;
inline constexpr size_t kMaxPath = 4096;
inline constexpr size_t kMaxHostname = 64;
inline constexpr uint32_t kIdsPerSandbox = 65536;
inline constexpr uint64_t kMinDiskBytes = 1 << 20;

inline constexpr uint64_t kDefaultDiskBytes = 512ull << 20;
inline constexpr const char* kDefaultHostname = "cordon";
inline constexpr const char* kDefaultPath =
    "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

struct SandboxSpec {
  std::vector<std::string> argv;
  // Set by --env, in order; later entries win. The rest of the environment is
  // PATH (the default above), HOME, and TERM and LANG copied from the caller.
  std::vector<std::pair<std::string, std::string>> env;
  std::optional<std::string> rootfs;  // a directory image; unset = read-only view of the host
  std::vector<BindMount> binds;
  std::string workdir;  // empty = the home directory
  std::string hostname = kDefaultHostname;
  uid_t uid = 0;  // identity inside, < kIdsPerSandbox
  gid_t gid = 0;
  uint64_t disk_bytes = kDefaultDiskBytes;  // size cap of the writable layer, /tmp and home
};

// Pure checks of every field: shape, size, ranges. No filesystem access.
Status validate(const SandboxSpec& spec);

// The home directory inside: /root for uid 0, /home/user otherwise.
std::string home_dir(const SandboxSpec& spec);

// A path is "clean" when absolute, without "." or ".." parts, doubled or trailing slashes.
bool is_clean_absolute_path(const std::string& path);

}  // namespace cordon::spec
