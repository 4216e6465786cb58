// `cordon doctor` on the command line: inspect the host (diag/), print the findings as
// aligned lines grouped by area, or as one JSON object (--json). Exit status: 0 when no
// finding is "fail", 1 otherwise, 64 on a usage error. Wire format only: the rules are
// diag's.
#pragma once

#include <string>
#include <vector>

#include "base/args.h"
#include "base/result.h"

namespace cordon::diag {
struct Report;
}

namespace cordon::cli {

inline constexpr int kDoctorExitFail = 1;  // at least one "fail" finding

struct DoctorOptions {
  bool json = false;
  bool help = false;
};

// args: what follows "doctor".
Result<DoctorOptions> parse_doctor_args(const std::vector<std::string>& args);
// doctor's options: the table parse_doctor_args reads and doctor_usage prints.
const std::vector<OptionSpec>& doctor_options();
std::string doctor_usage();

// {"host": {...}, "findings": [{id, group, status, seen, why, fix}...], "summary": {...}};
// one line, no trailing newline. Every finding has every field (why and fix may be "").
std::string doctor_json(const diag::Report& report);
// The human form: a heading, then one block per group, each finding on an aligned line,
// why and fix wrapped below every finding that is not ok; a summary line last.
std::string doctor_text(const diag::Report& report);

// The whole command: parse, read the host, print on stdout; returns the exit status.
int run_doctor(const std::vector<std::string>& args);

}  // namespace cordon::cli
