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

std::string options_text(const std::vector<OptionSpec>& options) {
  constexpr size_t kColumn = 24;  // as in cordon run --help
  std::string out;
  for (const auto& o : options) {
    std::string left = "  " + std::string(o.name);
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
                      const std::vector<OptionSpec>& options, std::string_view exit_status) {
  std::vector<OptionSpec> all = options;
  all.push_back({"-h, --help", false, "", "this help"});
  return "Usage: " + std::string(usage) + "\n\n" + std::string(about) + "\nOptions:\n" +
         options_text(all) + "\nConnection (every command):\n" + options_text(kGlobalOptions) +
         "\nExit status: " + std::string(exit_status);
}

bool is_global_option(std::string_view arg) {
  std::string_view name = arg.substr(0, arg.find('='));
  return std::any_of(kGlobalOptions.begin(), kGlobalOptions.end(),
                     [&](const OptionSpec& s) { return s.name == name; });
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
    for (const auto* list : {&specs, &kGlobalOptions})
      for (const auto& s : *list)
        if (s.name == name) return &s;
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
    if (s == nullptr) return logic_error("usage", name, "unknown option (see --help)");
    if (!s->takes_value) {
      if (eq != std::string::npos) return logic_error("usage", name, "takes no value");
      out.options.emplace_back(name, "");
      continue;
    }
    if (eq != std::string::npos) {
      out.options.emplace_back(name, a.substr(eq + 1));
    } else if (i + 1 < args.size()) {
      out.options.emplace_back(name, args[++i]);
    } else {
      return logic_error("usage", name, "needs a value");
    }
  }
  return out;
}

}  // namespace cordon::client
