// `cordon audit`: the host side of the escape battery. It sets up what the battery aims at
// (a secret file, a loopback listener, an abstract socket, a victim in another sandbox),
// starts sandboxes with the caller's run options, runs the battery (audit/battery) inside,
// judges the resource attempts from outside, and returns one scorecard row per attempt.
#pragma once

#include <string>
#include <vector>

#include "base/result.h"

namespace cordon::audit {

struct Row {
  std::string category;
  std::string id;
  std::string attempt;  // what was tried
  std::string safe;     // what a safe result is
  std::string verdict;  // stopped, escaped or skipped
  std::string evidence;
};

struct Options {
  std::vector<std::string> run_options;  // passed to every `cordon run` (the settings audited)
  std::string cordon;                    // this binary
  std::string battery;                   // cordon-audit-battery
  bool resources = true;                 // also the resource attempts (about 10 s)
};

struct Scorecard {
  std::vector<Row> rows;
  int stopped = 0;
  int escaped = 0;
  int skipped = 0;
};

// Where the battery is: $CORDON_AUDIT_BATTERY, next to cordon, or in the build tree.
Result<std::string> find_battery(const std::string& cordon);

Result<Scorecard> run_audit(const Options& options);

}  // namespace cordon::audit
