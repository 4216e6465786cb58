#include "client/subcommand.h"

#include <cstdio>

#include "client/output.h"

namespace cordon::client {

size_t command_word(const std::vector<std::string>& args, size_t from) {
  size_t i = from;
  while (i < args.size() && is_global_option(args[i]))
    i += args[i].find('=') == std::string::npos ? 2 : 1;
  return i;
}

std::string every_command_options(const std::vector<OptionSpec>& shared) {
  std::vector<OptionSpec> all = shared;
  all.insert(all.end(), kGlobalOptions.begin(), kGlobalOptions.end());
  all.push_back(kHelpOption);
  return "Options of every command:\n" + options_text(all);
}

std::string command_help(const Command& cmd) {
  return client_help_text(cmd.usage, cmd.about, cmd.options, kClientExitStatus);
}

int run_command(const std::vector<Command>& commands, const char* group, const std::string& name,
                const std::vector<std::string>& rest, const Getenv& getenv) {
  for (const auto& cmd : commands) {
    if (name != cmd.name) continue;
    auto parsed = parse_client_args(rest, cmd.options);
    if (!parsed.ok()) return usage_error(parsed.error());
    if (parsed->help) {
      std::fputs(command_help(cmd).c_str(), stdout);
      return kExitOk;
    }
    const size_t most = cmd.max_operands == 0 ? cmd.operands : cmd.max_operands;
    const size_t got = parsed->operands.size();
    if (got < cmd.operands || got > most) {
      std::fprintf(stderr, "Usage: %s\n", cmd.usage);
      std::string expected = std::to_string(cmd.operands);
      if (most != cmd.operands) expected += " to " + std::to_string(most);
      return usage_error(std::string(group) + " " + name + ": expected " + expected +
                         " argument(s), got " + std::to_string(got));
    }
    auto target = resolve_target(*parsed, getenv);
    if (!target.ok()) return usage_error(target.error());
    Connection conn(std::move(target).value());
    return cmd.run(conn, *parsed);
  }
  return usage_error(std::string(group) + ": unknown command '" + name + "' (see cordon " + group +
                     " --help)");
}

}  // namespace cordon::client
