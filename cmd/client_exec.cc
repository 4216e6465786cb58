#include "client_exec.h"

#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>

#include "base/log.h"

namespace cordon::cmd {
namespace {

constexpr const char* kClient = "cordon-client";
constexpr const char* kLibDir = "/usr/lib/cordon";
// EX_UNAVAILABLE, as for an unreachable daemon: a support program is missing.
constexpr int kExitUnavailable = 69;

bool executable(const std::string& path) {
  return ::access(path.c_str(), X_OK) == 0;
}

std::string self_dir() {
  char buf[PATH_MAX];
  ssize_t n = ::readlink("/proc/self/exe", buf, sizeof(buf) - 1);
  if (n <= 0) return "";
  std::string self(buf, static_cast<size_t>(n));
  size_t slash = self.rfind('/');
  return slash == std::string::npos ? "" : self.substr(0, slash);
}

}  // namespace

// The global options are client/args.cc's kGlobalOptions (cordon does not link client/);
// tests/integration/client_transport_test.cc checks that the two lists agree.
bool is_client_command(std::string_view a) {
  if (a == "job" || a == "tenant") return true;
  std::string_view name = a.substr(0, a.find('='));
  return name == "--url" || name == "--socket" || name == "--ca" || name == "--token-file";
}

Result<std::string> find_client() {
  std::string dir = self_dir();
  if (!dir.empty() && executable(dir + "/" + kClient)) return dir + "/" + kClient;
  if (executable(std::string(kLibDir) + "/" + kClient)) return std::string(kLibDir) + "/" + kClient;
  const char* path = std::getenv("PATH");
  std::string_view rest = path != nullptr ? path : "";
  while (!rest.empty()) {
    size_t colon = rest.find(':');
    std::string_view d = rest.substr(0, colon);
    rest = colon == std::string_view::npos ? "" : rest.substr(colon + 1);
    // Only absolute entries: an empty or relative one would be the working directory's.
    if (d.empty() || d[0] != '/') continue;
    std::string candidate = std::string(d) + "/" + kClient;
    if (executable(candidate)) return candidate;
  }
  return logic_error("find the client", kClient,
                     "not beside cordon (" + (dir.empty() ? std::string("?") : dir) + "), in " +
                         kLibDir +
                         " nor on PATH; 'cordon job' and 'cordon tenant' "
                         "need it (install cordon-client with cordon)");
}

int exec_client(const std::vector<std::string>& args) {
  auto client = find_client();
  if (!client.ok()) {
    log(LogLevel::kError, client.error().to_string());
    return kExitUnavailable;
  }
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(client->c_str()));
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  ::execv(client->c_str(), argv.data());
  log(LogLevel::kError, sys_error("exec", *client).to_string());
  return kExitUnavailable;
}

}  // namespace cordon::cmd
