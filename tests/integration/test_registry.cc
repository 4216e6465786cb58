#include "test_registry.h"

#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <memory>
#include <utility>

#include "harness.h"

namespace cordon::testing {

const LocalRegistry* LocalRegistry::get(const std::string& user,
                                        const std::vector<std::string>& flags) {
  static std::map<std::pair<std::string, std::vector<std::string>>, std::unique_ptr<LocalRegistry>>
      all;
  auto& r = all[{user, flags}];
  if (!r) r.reset(new LocalRegistry(flags));
  return r.get();
}

LocalRegistry::~LocalRegistry() {
  if (in_ >= 0) ::close(in_);  // the script sees EOF and stops what it started
  if (pid_ > 0) wait_exit(pid_);
}

LocalRegistry::LocalRegistry(const std::vector<std::string>& flags) {
  int in[2], out[2];
  if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0) {
    error_ = "pipe2 failed";
    return;
  }
  std::vector<std::string> argv{"/usr/bin/python3", TEST_REGISTRY, "--busybox", find_busybox()};
  argv.insert(argv.end(), flags.begin(), flags.end());
  pid_ = spawn_program(argv, in[0], out[1], 2);
  ::close(in[0]);
  ::close(out[1]);
  in_ = in[1];
  std::string line;
  char c;
  // The script builds images and pushes them: that takes seconds, bounded by its own
  // timeouts; EOF without a line means it failed (its reason is on our stderr).
  while (::read(out[0], &c, 1) == 1 && c != '\n') line += c;
  ::close(out[0]);
  if (line.empty()) {
    error_ = "tests/registry/test_registry.py printed nothing (see stderr)";
    return;
  }
  info_ = nlohmann::json::parse(line);
}

bool have_registry_tools() {
  namespace fs = std::filesystem;
  return fs::exists("/usr/bin/docker-registry") && fs::exists("/usr/bin/skopeo") &&
         !find_busybox().empty();
}

}  // namespace cordon::testing
