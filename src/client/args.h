// The command line of `cordon job` and `cordon tenant`: options in any order, as
// "--name value" or "--name=value", some repeatable, and the operands. The client's
// global options (--url, --socket, --ca, --token-file) are accepted by every subcommand,
// so they may come before or after it. Help is made from the same tables (help_text).
// Nothing here but kGlobalOptions is the client's: `cordon run`, `launcher` and `doctor`
// (src/cli/) still parse with loops of their own, and one parser for every command means
// moving this file to base/ (the static cordon cannot link client/) and porting those.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"

namespace cordon::client {

struct OptionSpec {
  std::string_view name;  // "--memory", "-o"
  bool takes_value = false;
  std::string_view value = {};  // its value in help: "SIZE"
  std::string_view help = {};   // one line, or more separated by '\n'
};

struct ParsedArgs {
  std::vector<std::pair<std::string, std::string>> options;  // in the order given
  std::vector<std::string> operands;
  std::vector<std::string> command;  // submit's: after "--", or from the first operand on
  bool help = false;

  bool has(std::string_view name) const;
  // The last value given for name, or empty.
  std::string get(std::string_view name) const;
  std::vector<std::string> all(std::string_view name) const;
};

// The global options, in a form that parse_args takes.
extern const std::vector<OptionSpec> kGlobalOptions;
bool is_global_option(std::string_view arg);

// A command's help in the style of every cordon command's (cordon run --help): the usage
// line, what it does, its options from the same table the parser reads (so that the two
// cannot drift apart), and the exit status. about and exit_status end with a newline.
std::string help_text(std::string_view usage, std::string_view about,
                      const std::vector<OptionSpec>& options, std::string_view exit_status);
// The options, aligned as in help_text (two spaces in, help from column 24).
std::string options_text(const std::vector<OptionSpec>& options);

// command_mode: everything after "--" or from the first operand on is the command (not
// parsed as options, so `submit -- sh -c 'x' --flag` keeps --flag for sh). An unknown
// option or a missing value is an error naming it (a usage error: exit 64).
Result<ParsedArgs> parse_args(const std::vector<std::string>& args,
                              const std::vector<OptionSpec>& specs, bool command_mode = false);

}  // namespace cordon::client
