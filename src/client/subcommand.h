// The subcommands of `cordon job` and `cordon tenant`: a table of them, and the one way a
// command line is matched against it (help, operand count, where to connect).
#pragma once

#include <string>
#include <vector>

#include "client/args.h"
#include "client/connection.h"

namespace cordon::client {

struct Command {
  const char* name;  // "get", "token issue"
  const char* usage;
  std::vector<OptionSpec> options;
  size_t operands;  // exactly as many
  int (*run)(Connection&, const ParsedArgs&);
};

// Where the command word is, past any global options given before it.
size_t command_word(const std::vector<std::string>& args, size_t from);

// Runs the command of that name with the rest of the command line; group names the
// family in messages ("job", "tenant"). Returns the exit status.
int run_command(const std::vector<Command>& commands, const char* group, const std::string& name,
                const std::vector<std::string>& rest, const Getenv& getenv);

}  // namespace cordon::client
