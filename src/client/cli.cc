#include "client/cli.h"

#include "client/args.h"
#include "client/connection.h"
#include "client/job_cli.h"
#include "client/output.h"
#include "client/tenant_cli.h"

namespace cordon::client {

bool handles(std::string_view first_arg) {
  return first_arg == "job" || first_arg == "tenant" || is_global_option(first_arg);
}

int run(const std::vector<std::string>& args, const Getenv& getenv) {  // Getenv: connection.h
  size_t i = 0;
  while (i < args.size() && is_global_option(args[i]))
    i += args[i].find('=') == std::string::npos ? 2 : 1;
  if (i >= args.size() || (args[i] != "job" && args[i] != "tenant"))
    return usage_error(
        "--url, --socket, --ca and --token-file go with 'job' or 'tenant' (see cordon --help)");
  std::vector<std::string> rest = args;
  rest.erase(rest.begin() + static_cast<std::ptrdiff_t>(i));
  return args[i] == "job" ? run_job_cli(rest, getenv) : run_tenant_cli(rest, getenv);
}

}  // namespace cordon::client
