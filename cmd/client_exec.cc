#include "client_exec.h"

#include <unistd.h>

#include <cerrno>

#include "base/log.h"
#include "sys/companion.h"

namespace cordon::cmd {
namespace {

constexpr const char* kClient = "cordon-client";
// EX_UNAVAILABLE, as for an unreachable daemon: a support program is missing.
constexpr int kExitUnavailable = 69;

}  // namespace

// The global options are client/args.cc's kGlobalOptions (cordon does not link client/);
// tests/integration/client_transport_test.cc checks that the two lists agree.
bool is_client_command(std::string_view a) {
  if (a == "job" || a == "tenant") return true;
  std::string_view name = a.substr(0, a.find('='));
  return name == "--url" || name == "--socket" || name == "--ca" || name == "--token-file";
}

Result<std::string> find_client() {
  auto found = sys::find_companion(kClient, /*search_path=*/true);
  if (found.ok()) return found;
  Error e = found.error();
  e.detail += "; 'cordon job' and 'cordon tenant' need it";
  return e;
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
