#include "base/args.h"

#include <algorithm>
#include <cstdio>

#include "base/exit_codes.h"

namespace cordon {

std::string options_text(const std::vector<OptionSpec>& options) {
  constexpr size_t kColumn = 24;
  std::string out;
  for (const auto& o : options) {
    std::string left = "  ";
    if (!o.alias.empty()) left += std::string(o.alias) + ", ";
    left += std::string(o.name);
    if (!o.value.empty()) left += " " + std::string(o.value);
    std::string_view help = o.help;
    if (help.empty()) {
      out += left + "\n";
      continue;
    }
    std::string pad = left.size() + 2 <= kColumn ? std::string(kColumn - left.size(), ' ')
                                                 : "\n" + std::string(kColumn, ' ');
    out += left + pad;
    for (size_t nl; (nl = help.find('\n')) != std::string_view::npos; help.remove_prefix(nl + 1))
      out += std::string(help.substr(0, nl)) + "\n" + std::string(kColumn, ' ');
    out += std::string(help) + "\n";
  }
  return out;
}

std::string help_text(std::string_view usage, std::string_view about,
                      const std::vector<OptionGroup>& groups, std::string_view exit_status) {
  std::string out = "Usage: " + std::string(usage) + "\n\n" + std::string(about);
  for (const auto& g : groups) out += "\n" + std::string(g.title) + ":\n" + options_text(g.options);
  return out + "\nExit status: " + std::string(exit_status);
}

std::string usage_line(std::string_view command, const std::vector<OptionSpec>& options) {
  std::string out(command);
  for (const auto& o : options) {
    if (o.name == kHelpOption.name) continue;
    out += " [" + std::string(o.name);
    if (!o.value.empty()) out += " " + std::string(o.value);
    out += "]";
  }
  return out;
}

std::optional<int> program_help(const std::vector<std::string>& args, std::string_view usage) {
  if (args.empty()) {
    std::fwrite(usage.data(), 1, usage.size(), stderr);
    return kExitUsage;
  }
  if (args[0] != "-h" && args[0] != "--help" && args[0] != "help") return std::nullopt;
  std::fwrite(usage.data(), 1, usage.size(), stdout);
  return 0;
}

std::vector<OptionSpec> all_options(const std::vector<OptionGroup>& groups) {
  std::vector<OptionSpec> out;
  for (const auto& g : groups) out.insert(out.end(), g.options.begin(), g.options.end());
  return out;
}

bool ParsedArgs::has(std::string_view name) const {
  return std::any_of(options.begin(), options.end(),
                     [&](const auto& o) { return o.first == name; });
}

std::string ParsedArgs::get(std::string_view name) const {
  std::string v;
  for (const auto& [k, val] : options)
    if (k == name) v = val;
  return v;
}

std::vector<std::string> ParsedArgs::all(std::string_view name) const {
  std::vector<std::string> out;
  for (const auto& [k, v] : options)
    if (k == name) out.push_back(v);
  return out;
}

Result<ParsedArgs> parse_args(const std::vector<std::string>& args,
                              const std::vector<OptionSpec>& specs, bool command_mode) {
  ParsedArgs out;
  auto find = [&](std::string_view name) -> const OptionSpec* {
    for (const auto& s : specs)
      if (s.name == name || (!s.alias.empty() && s.alias == name)) return &s;
    return nullptr;
  };
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--") {
      if (!command_mode)
        return logic_error("usage", "--", "this command takes no command after --");
      out.command.assign(args.begin() + static_cast<std::ptrdiff_t>(i) + 1, args.end());
      break;
    }
    if (a == "-h" || a == "--help") {
      out.help = true;
      continue;
    }
    if (a.size() < 2 || a[0] != '-') {
      if (command_mode) {
        out.command.assign(args.begin() + static_cast<std::ptrdiff_t>(i), args.end());
        break;
      }
      out.operands.push_back(a);
      continue;
    }
    size_t eq = a.find('=');
    std::string name = a.substr(0, eq);
    const OptionSpec* s = find(name);
    if (s == nullptr) return logic_error("usage", a, "unknown option (see --help)");
    if (!s->takes_value) {
      if (eq != std::string::npos) return logic_error("usage", a, "takes no value");
      out.options.emplace_back(s->name, "");
      continue;
    }
    if (eq != std::string::npos) {
      out.options.emplace_back(s->name, a.substr(eq + 1));
    } else if (i + 1 < args.size()) {
      out.options.emplace_back(s->name, args[++i]);
    } else {
      return logic_error("usage", name, "needs a value");
    }
  }
  return out;
}

}  // namespace cordon
