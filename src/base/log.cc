#include "base/log.h"

#include <unistd.h>

#include <string>

namespace cordon {
namespace {
LogLevel g_level = LogLevel::kWarn;
}

void set_log_level(LogLevel level) {
  g_level = level;
}
LogLevel log_level() {
  return g_level;
}

void log(LogLevel level, std::string_view message) {
  if (static_cast<int>(level) > static_cast<int>(g_level)) return;
  // One write(2) per line so that concurrent writers do not interleave mid-line.
  std::string line = "cordon: ";
  line.append(message);
  line.push_back('\n');
  [[maybe_unused]] ssize_t n = ::write(STDERR_FILENO, line.data(), line.size());
}

}  // namespace cordon
