// One command-line parser for every cordon command (run, launcher, doctor, audit, and
// cordon-client's job and tenant): options as "--name value" or "--name=value", some
// repeatable, in the order given; the operands, or (command_mode) the command. A
// command's --help is made from the same tables (help_text), so the two cannot drift.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"

namespace cordon {

struct OptionSpec {
  std::string_view name;  // "--memory", "-o"
  bool takes_value = false;
  std::string_view value = {};  // its value in help: "SIZE"
  std::string_view help = {};   // one line, or more separated by '\n'
  std::string_view alias = {};  // another name ("-v" of "--verbose"); parsed as name
};

// Options under a heading in help ("Options", "Limits (each has a default...)").
struct OptionGroup {
  std::string_view title;
  std::vector<OptionSpec> options;
};

// -h and --help, which parse_args takes for every command; put it in a table where help
// should list it.
inline constexpr OptionSpec kHelpOption = {"-h, --help", false, "", "this help"};

struct ParsedArgs {
  std::vector<std::pair<std::string, std::string>> options;  // in the order given
  std::vector<std::string> operands;
  std::vector<std::string> command;  // command_mode: after "--", or from the first operand on
  bool help = false;

  bool has(std::string_view name) const;
  // The last value given for name, or empty.
  std::string get(std::string_view name) const;
  std::vector<std::string> all(std::string_view name) const;
};

// The options, aligned: two spaces in, help from column 24 (on the next line when the
// option and its value are too long).
std::string options_text(const std::vector<OptionSpec>& options);

// A command's help: "Usage: " usage, a blank line, about, then each group as "Title:" and
// its options_text, then "Exit status: " exit_status. about and exit_status end with a
// newline.
std::string help_text(std::string_view usage, std::string_view about,
                      const std::vector<OptionGroup>& groups, std::string_view exit_status);

// A usage line made from the table, so it names every option: "cordon launcher [--socket
// PATH] [--mode MODE]" (kHelpOption left out; --help lists it).
std::string usage_line(std::string_view command, const std::vector<OptionSpec>& options);

// A program's own help, before any command: no argument prints usage on stderr and gives
// 64 (a usage error); "-h", "--help" or "help" print it on stdout and give 0; nullopt for
// anything else (args[0] is a command).
std::optional<int> program_help(const std::vector<std::string>& args, std::string_view usage);

// Every option of the groups, in order: the table parse_args takes.
std::vector<OptionSpec> all_options(const std::vector<OptionGroup>& groups);

// command_mode: everything after "--" or from the first operand on is the command (not
// parsed as options, so `run -- sh -c 'x' --flag` keeps --flag for sh); otherwise "--"
// is an error. An unknown option or a value given to a switch is an error (step "usage":
// exit 64) naming the argument as given ("--nope=1"); a missing value, the option.
Result<ParsedArgs> parse_args(const std::vector<std::string>& args,
                              const std::vector<OptionSpec>& specs, bool command_mode = false);

}  // namespace cordon
