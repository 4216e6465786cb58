#include "audit/audit_cli.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "audit/orchestrator.h"
#include "base/args.h"
#include "base/exit_codes.h"
#include "base/log.h"
#include "sys/fs.h"

namespace cordon::audit {
namespace {

// `cordon audit`'s own options; the rest are cordon run's (the table the caller gives).
const std::vector<OptionSpec> kAuditOptions = {
    {"--json", false, "", "the scorecard as one JSON object"},
    {"--no-resources", false, "",
     "skip the resource attempts (fork and memory bombs, disk fill, output\n"
     "flood, CPU spin, sleep past the wall limit, a daemon left behind),\n"
     "which take about 10 s; where RUN OPTIONS set no --output-limit,\n"
     "--cpu-time or --time, the audit bounds those attempts itself (1M, 1s, 2s)"},
    kHelpOption,
};

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

const std::vector<OptionSpec>& audit_options() {
  return kAuditOptions;
}

std::string audit_usage() {
  return help_text(
      "cordon audit [--json] [--no-resources] [RUN OPTIONS]",
      "Start sandboxes with RUN OPTIONS (the options of cordon run, see cordon run --help;\n"
      "the defaults when none) and run inside them a battery of escape and abuse attempts:\n"
      "the host's files, processes and network, privilege, the kernel's attack surface,\n"
      "devices, /proc and /sys, the terminal, leaked descriptors, /proc/self/exe, and\n"
      "resources. The host side sets up what they aim at: a secret file, a listener on\n"
      "127.0.0.1, an abstract unix socket, and a victim process in a second sandbox. Prints\n"
      "one row per attempt: category, attempt, the safe result, what happened, and the\n"
      "evidence.\n",
      {{"Options", kAuditOptions}},
      "0 when every attempt was stopped, 1 when one escaped, 64 usage error,\n"
      "125 the audit could not run. See docs/audit.md.\n");
}

Result<AuditArgs> parse_audit_args(const std::vector<std::string>& args,
                                   const std::vector<OptionSpec>& run_options) {
  std::vector<OptionSpec> specs = kAuditOptions;
  specs.insert(specs.end(), run_options.begin(), run_options.end());
  ASSIGN_OR_RETURN(ParsedArgs p, parse_args(args, specs));
  if (!p.operands.empty())
    return logic_error("usage", p.operands[0],
                       "unexpected argument: the battery is the command (see cordon audit --help)");
  AuditArgs a;
  a.help = p.help;
  for (const auto& [name, value] : p.options) {
    if (name == "--json") {
      a.json = true;
    } else if (name == "--no-resources") {
      a.resources = false;
    } else {
      // One of run's: passed on to every cordon run, whose parser checks its value.
      a.run_options.push_back(name);
      auto s = std::find_if(run_options.begin(), run_options.end(),
                            [&](const OptionSpec& o) { return o.name == name; });
      if (s != run_options.end() && s->takes_value) a.run_options.push_back(value);
    }
  }
  return a;
}

int run_audit_cli(const std::vector<std::string>& args, const std::vector<OptionSpec>& run_options,
                  const RunOptionsCheck& check_run) {
  auto parsed = parse_audit_args(args, run_options);
  if (!parsed.ok()) {
    log(LogLevel::kError, parsed.error().to_string());
    return kExitUsage;
  }
  if (parsed->help) {
    std::fputs(audit_usage().c_str(), stdout);
    return 0;
  }
  // A bad value or a missing host path is told now, as cordon run would tell it, rather
  // than as a victim sandbox that never appeared.
  std::string why;
  if (int status = check_run(parsed->run_options, &why); status != 0) {
    log(LogLevel::kError, "the settings to audit: " + why);
    return status;
  }
  Options o;
  o.resources = parsed->resources;
  o.run_options = parsed->run_options;
  bool json = parsed->json;
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
