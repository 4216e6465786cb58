#include "image_exec.h"

#include <unistd.h>

#include "base/log.h"
#include "base/result.h"
#include "sys/companion.h"

namespace cordon::cmd {
namespace {

constexpr const char* kProgram = "cordon-image";
constexpr int kExitUnavailable = 69;

}  // namespace

int exec_image(const std::vector<std::string>& args) {
  auto found = sys::find_companion(kProgram, /*search_path=*/true);
  if (!found.ok()) {
    log(LogLevel::kError, found.error().to_string() + "; 'cordon image' needs it");
    return kExitUnavailable;
  }
  const std::string& prog = *found;
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(prog.c_str()));
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  ::execv(prog.c_str(), argv.data());
  log(LogLevel::kError, sys_error("exec", prog).to_string());
  return kExitUnavailable;
}

}  // namespace cordon::cmd
