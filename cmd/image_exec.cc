#include "image_exec.h"

#include <unistd.h>

#include <climits>
#include <cstdlib>

#include "base/log.h"
#include "base/result.h"

namespace cordon::cmd {
namespace {

constexpr const char* kProgram = "cordon-image";
constexpr int kExitUnavailable = 69;

bool executable(const std::string& path) {
  return ::access(path.c_str(), X_OK) == 0;
}

std::string find_program() {
  char buf[PATH_MAX];
  ssize_t n = ::readlink("/proc/self/exe", buf, sizeof(buf) - 1);
  if (n > 0) {
    std::string self(buf, static_cast<size_t>(n));
    std::string dir = self.substr(0, self.rfind('/'));
    if (executable(dir + "/" + kProgram)) return dir + "/" + kProgram;
  }
  if (executable(std::string("/usr/lib/cordon/") + kProgram))
    return std::string("/usr/lib/cordon/") + kProgram;
  const char* path = std::getenv("PATH");
  std::string rest = path != nullptr ? path : "";
  while (!rest.empty()) {
    size_t colon = rest.find(':');
    std::string d = rest.substr(0, colon);
    rest = colon == std::string::npos ? "" : rest.substr(colon + 1);
    if (d.empty() || d[0] != '/') continue;
    if (executable(d + "/" + kProgram)) return d + "/" + kProgram;
  }
  return "";
}

}  // namespace

int exec_image(const std::vector<std::string>& args) {
  std::string prog = find_program();
  if (prog.empty()) {
    log(LogLevel::kError,
        "cordon-image is not beside cordon, in /usr/lib/cordon nor on PATH; 'cordon image' "
        "needs it (install cordon-image with cordon)");
    return kExitUnavailable;
  }
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(prog.c_str()));
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  ::execv(prog.c_str(), argv.data());
  log(LogLevel::kError, sys_error("exec", prog).to_string());
  return kExitUnavailable;
}

}  // namespace cordon::cmd
