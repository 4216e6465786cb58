#include "client/args.h"

#include <algorithm>

namespace cordon::client {

const std::vector<OptionSpec> kGlobalOptions = {
    {"--url", true, "URL",
     "unix:/PATH, http://HOST:PORT or https://HOST:PORT (env CORDON_URL;\n"
     "default unix:/run/cordon/cordon.sock)"},
    {"--socket", true, "PATH", "the daemon's Unix socket"},
    {"--ca", true, "FILE", "CAs to trust for https (env CORDON_CA; default: the system's)"},
    {"--token-file", true, "FILE",
     "the tenant's token (else env CORDON_TOKEN, else\n"
     "~/.config/cordon/token; none: root on the socket is the operator)"},
};

std::string client_help_text(std::string_view usage, std::string_view about,
                             const std::vector<OptionSpec>& options, std::string_view exit_status) {
  std::vector<OptionSpec> own = options;
  own.push_back(kHelpOption);
  return help_text(usage, about, {{"Options", own}, {"Connection (every command)", kGlobalOptions}},
                   exit_status);
}

bool is_global_option(std::string_view arg) {
  std::string_view name = arg.substr(0, arg.find('='));
  return std::any_of(kGlobalOptions.begin(), kGlobalOptions.end(),
                     [&](const OptionSpec& s) { return s.name == name; });
}

Result<ParsedArgs> parse_client_args(const std::vector<std::string>& args,
                                     const std::vector<OptionSpec>& specs, bool command_mode) {
  std::vector<OptionSpec> all = specs;
  all.insert(all.end(), kGlobalOptions.begin(), kGlobalOptions.end());
  return parse_args(args, all, command_mode);
}

}  // namespace cordon::client
