#include "audit/audit_cli.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <nlohmann/json.hpp>

#include "audit/orchestrator.h"
#include "base/exit_codes.h"
#include "base/log.h"
#include "sys/fs.h"

namespace cordon::audit {
namespace {

constexpr const char* kUsage = R"(Usage: cordon audit [--json] [--no-resources] [RUN OPTIONS]

Start sandboxes with RUN OPTIONS (the options of cordon run; the defaults when none) and
run inside them a battery of escape and abuse attempts: the host's files, processes and
network, privilege, the kernel's attack surface, devices, /proc and /sys, the terminal,
leaked descriptors, /proc/self/exe, and resources. The host side sets up what they aim
at: a secret file, a listener on 127.0.0.1, an abstract unix socket, and a victim process
in a second sandbox. Prints one row per attempt: category, attempt, the safe result,
what happened, and the evidence.

  --json           the scorecard as one JSON object
  --no-resources   skip the resource attempts (fork and memory bombs, disk fill, output
                   flood, CPU spin, sleep past the wall limit, a daemon left behind),
                   which take about 10 s; where RUN OPTIONS set no --output-limit,
                   --cpu-time or --time, the audit bounds those attempts itself (1M, 1s, 2s)

Exit status: 0 when every attempt was stopped, 1 when one escaped, 64 usage error,
125 the audit could not run. See docs/audit.md.
)";

std::string self_path() {
  auto self = sys::read_link_at(AT_FDCWD, "/proc/self/exe");
  return self.ok() && !self->empty() ? *self : std::string("cordon");
}

void print_human(const Scorecard& card) {
  std::printf("%-16s %-22s %-24s %-8s %s\n", "CATEGORY", "ATTEMPT", "SAFE RESULT", "RESULT",
              "EVIDENCE");
  for (const auto& r : card.rows) {
    std::printf("%-16s %-22s %-24s %-8s %s\n", r.category.c_str(), r.id.c_str(), r.safe.c_str(),
                r.verdict == "escaped" ? "ESCAPED" : r.verdict.c_str(), r.evidence.c_str());
  }
  std::printf("\n%d stopped, %d escaped, %d skipped\n", card.stopped, card.escaped, card.skipped);
}

void print_json(const Scorecard& card, const std::vector<std::string>& run_options) {
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& r : card.rows)
    rows.push_back({{"category", r.category},
                    {"id", r.id},
                    {"attempt", r.attempt},
                    {"safe", r.safe},
                    {"verdict", r.verdict},
                    {"evidence", r.evidence}});
  nlohmann::json j = {{"run_options", run_options},
                      {"attempts", rows},
                      {"summary",
                       {{"stopped", card.stopped},
                        {"escaped", card.escaped},
                        {"skipped", card.skipped},
                        {"safe", card.escaped == 0}}}};
  std::printf("%s\n", j.dump().c_str());
}

}  // namespace

int run_audit_cli(const std::vector<std::string>& args) {
  Options o;
  bool json = false;
  for (const auto& a : args) {
    if (a == "-h" || a == "--help") {
      std::fputs(kUsage, stdout);
      return 0;
    } else if (a == "--json") {
      json = true;
    } else if (a == "--no-resources") {
      o.resources = false;
    } else if (a == "--") {
      log(LogLevel::kError, "usage audit: no command: the battery is the command");
      return 64;
    } else {
      o.run_options.push_back(a);  // checked by cordon run itself, at the first start
    }
  }
  o.cordon = self_path();
  auto battery = find_battery(o.cordon);
  if (!battery.ok()) {
    log(LogLevel::kError, battery.error().to_string());
    return kExitSetupFailed;
  }
  o.battery = *battery;
  auto card = run_audit(o);
  if (!card.ok()) {
    log(LogLevel::kError, card.error().to_string());
    return kExitSetupFailed;
  }
  if (json) {
    print_json(*card, o.run_options);
  } else {
    print_human(*card);
  }
  return card->escaped == 0 ? 0 : 1;
}

}  // namespace cordon::audit
