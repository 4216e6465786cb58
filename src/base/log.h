// Logging at the edge: one line per event on stderr, prefixed "cordon: ".
#pragma once

#include <string_view>

namespace cordon {

enum class LogLevel { kError = 0, kWarn = 1, kInfo = 2, kDebug = 3 };

void set_log_level(LogLevel level);
LogLevel log_level();
void log(LogLevel level, std::string_view message);

}  // namespace cordon
