// The subcommands of `cordon job` and `cordon tenant`: a table of them, and the one way a
// command line is matched against it (help, operand count, where to connect).
#pragma once

#include <string>
#include <vector>

#include "client/args.h"
#include "client/connection.h"

namespace cordon::client {

struct Command {
  const char* name;   // "get", "token issue"
  const char* usage;  // "cordon job get ID [OPTIONS]"
  const char* about;  // what it does, ending with a newline
  std::vector<OptionSpec> options;
  size_t operands;  // at least as many
  int (*run)(Connection&, const ParsedArgs&);
  size_t max_operands = 0;  // at most as many; 0: exactly `operands`
};

// The exit status of a command that only talks to the daemon, for client_help_text.
inline constexpr const char* kClientExitStatus =
    "0 done, 1 refused by the daemon, 64 usage, 69 daemon unreachable.\n";

// The command's --help (client_help_text of client/args.h).
std::string command_help(const Command& cmd);

// The "Options of every command" block of a group's usage (`cordon job --help`): the
// options each of its commands takes (e.g. --json), the global ones and -h, --help, made
// from the parser's own tables.
std::string every_command_options(const std::vector<OptionSpec>& shared);

// Where the command word is, past any global options given before it.
size_t command_word(const std::vector<std::string>& args, size_t from);

// Runs the command of that name with the rest of the command line; group names the
// family in messages ("job", "tenant"). Returns the exit status.
int run_command(const std::vector<Command>& commands, const char* group, const std::string& name,
                const std::vector<std::string>& rest, const Getenv& getenv);

}  // namespace cordon::client
