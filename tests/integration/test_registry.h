// The local OCI registry the image tests pull from: tests/registry/test_registry.py
// (Debian's docker-registry on 127.0.0.1 with TLS and a self-signed certificate, images
// pushed by skopeo), started once per distinct option list for this test process. The
// script stops what it started, by PID, when our end of its stdin closes.
#pragma once

#include <sys/types.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace cordon::testing {

class LocalRegistry {
 public:
  // flags: extra options of the script ("--token", "--basic", "--proxy", "--big MIB").
  // user: who asks (a test file): each gets registries of its own, since some tests
  // change what a registry serves (a blob corrupted on its disk).
  static const LocalRegistry* get(const std::string& user,
                                  const std::vector<std::string>& flags = {});
  ~LocalRegistry();
  // The script's JSON line: ports, certificate, repositories, credentials.
  const nlohmann::json& info() const { return info_; }
  // Empty when the registry is up; else why not.
  const std::string& error() const { return error_; }

 private:
  explicit LocalRegistry(const std::vector<std::string>& flags);
  pid_t pid_ = -1;
  int in_ = -1;
  nlohmann::json info_;
  std::string error_;
};

// docker-registry, skopeo and busybox-static are installed (scripts/setup.sh).
bool have_registry_tools();

}  // namespace cordon::testing
