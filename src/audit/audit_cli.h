// `cordon audit [--json] [--no-resources] [RUN OPTIONS]`: the scorecard on the command line.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "base/args.h"
#include "base/result.h"

namespace cordon::audit {

struct AuditArgs {
  bool json = false;
  bool resources = true;
  bool help = false;
  std::vector<std::string> run_options;  // "--name" [value]: for every cordon run
};

// The audit's own options: the table its help prints.
const std::vector<OptionSpec>& audit_options();
std::string audit_usage();

// args: what follows "audit". run_options: cordon run's table (cli::run_option_groups(),
// which this layer cannot include): RUN OPTIONS are parsed by the same parser, so an
// unknown option is a usage error here, and a value's check is cordon run's.
Result<AuditArgs> parse_audit_args(const std::vector<std::string>& args,
                                   const std::vector<OptionSpec>& run_options);

// Exit status: 0 when every attempt was stopped, 1 when one escaped, 64 on a usage
// error, 125 when the audit itself could not run.
// check_run: whether run's options would start a sandbox (cli::check_run_options, which
// this layer cannot include): run's exit status for a refusal, with its error, or 0.
using RunOptionsCheck = std::function<int(const std::vector<std::string>&, std::string*)>;
int run_audit_cli(const std::vector<std::string>& args, const std::vector<OptionSpec>& run_options,
                  const RunOptionsCheck& check_run);

}  // namespace cordon::audit
