// The command line of `cordon job` and `cordon tenant`: base/args.h's parser, plus the
// client's global options (--url, --socket, --ca, --token-file), which every subcommand
// accepts, so they may come before or after it, and which every subcommand's help lists.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/args.h"
#include "base/result.h"

namespace cordon::client {

using cordon::options_text;
using cordon::OptionSpec;
using cordon::ParsedArgs;

// The global options, in a form that parse_args takes.
extern const std::vector<OptionSpec> kGlobalOptions;
bool is_global_option(std::string_view arg);

// A subcommand's help (help_text of base/args.h): its options and -h, --help under
// "Options", then the global options under "Connection (every command)".
std::string client_help_text(std::string_view usage, std::string_view about,
                             const std::vector<OptionSpec>& options, std::string_view exit_status);

// parse_args of base/args.h with the subcommand's options and the global ones.
Result<ParsedArgs> parse_client_args(const std::vector<std::string>& args,
                                     const std::vector<OptionSpec>& specs,
                                     bool command_mode = false);

}  // namespace cordon::client
