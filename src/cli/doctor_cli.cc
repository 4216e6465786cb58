#include "cli/doctor_cli.h"

#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "base/args.h"
#include "base/log.h"
#include "diag/host_reader.h"
#include "diag/report.h"
#include "engine/run.h"

namespace cordon::cli {

using nlohmann::json;

namespace {

constexpr size_t kWidth = 100;  // the column limit of the human form

// text laid out from column start (the caller has written up to it) on lines of at most
// kWidth columns; continuation lines begin at column indent. A longer word stands alone.
std::string wrap(const std::string& text, size_t start, size_t indent) {
  std::string out;
  size_t column = start;
  bool line_empty = true;
  size_t i = 0;
  while (i < text.size()) {
    size_t j = text.find(' ', i);
    if (j == std::string::npos) j = text.size();
    std::string word = text.substr(i, j - i);
    i = j + 1;
    if (word.empty()) continue;
    if (!line_empty && column + 1 + word.size() > kWidth) {
      out += "\n" + std::string(indent, ' ');
      column = indent;
      line_empty = true;
    }
    if (!line_empty) {
      out += ' ';
      ++column;
    }
    out += word;
    column += word.size();
    line_empty = false;
  }
  return out;
}

std::string upper_status(diag::Status s) {
  switch (s) {
    case diag::Status::kWarn:
      return "WARN";
    case diag::Status::kFail:
      return "FAIL";
    default:
      return diag::status_name(s);
  }
}

}  // namespace

const std::vector<OptionSpec>& doctor_options() {
  static const std::vector<OptionSpec> options = {
      {"--json", false, "", "print one JSON object: {\"host\", \"findings\", \"summary\"}"},
      kHelpOption,
  };
  return options;
}

Result<DoctorOptions> parse_doctor_args(const std::vector<std::string>& args) {
  ASSIGN_OR_RETURN(ParsedArgs p, parse_args(args, doctor_options()));
  if (!p.operands.empty())
    return logic_error("usage", p.operands[0], "unexpected argument (see cordon doctor --help)");
  DoctorOptions o;
  o.help = p.help;
  o.json = p.has("--json");
  return o;
}

std::string doctor_usage() {
  return help_text(
      "cordon doctor [--json]",
      "Inspect this host for what weakens sandboxes of untrusted code, and say how to fix it:\n"
      "the kernel version against known container escapes, the features sandboxes need (user\n"
      "and time namespaces, idmapped mounts, tmpfs user xattrs), the cgroup layout, the host ID\n"
      "ranges of the slots (/etc/subuid, /etc/subgid), sysctls that widen the kernel's attack\n"
      "surface, cross-tenant side channels (SMT, CPU vulnerabilities, KSM), security modules,\n"
      "and /dev/kvm for the VM tier. Reads only; changes nothing.\n"
      "\n"
      "Each finding is ok, info, warn or fail, with what was seen, why it matters and the fix.\n",
      {{"Options", doctor_options()}},
      "0 no finding is \"fail\"; 1 at least one finding is \"fail\": sandboxes cannot\n"
      "start here, or a known escape is open that cordon's defaults do not block;\n"
      "64 usage error.\n");
}

std::string doctor_json(const diag::Report& r) {
  json findings = json::array();
  for (const auto& f : r.findings) {
    findings.push_back({{"id", f.id},
                        {"group", diag::group_of(f.id)},
                        {"status", diag::status_name(f.status)},
                        {"seen", f.seen},
                        {"why", f.why},
                        {"fix", f.fix}});
  }
  json j = {
      {"host",
       {{"kernel_release", r.kernel_release},
        {"cgroup_mode", r.cgroup_mode},
        {"cgroup_backend", r.cgroup_backend}}},
      {"findings", findings},
      {"summary",
       {{"ok", r.count(diag::Status::kOk)},
        {"info", r.count(diag::Status::kInfo)},
        {"warn", r.count(diag::Status::kWarn)},
        {"fail", r.count(diag::Status::kFail)},
        {"exit_status", r.exit_status()}}},
  };
  return j.dump();
}

std::string doctor_text(const diag::Report& r) {
  size_t id_width = 0;
  for (const auto& f : r.findings) id_width = std::max(id_width, f.id.size());
  const size_t seen_column = 2 + 6 + id_width + 2;  // "  WARN  id  seen"
  const size_t note_indent = 8;
  std::string out = "cordon doctor: Linux " + r.kernel_release + ", cgroup " + r.cgroup_mode;
  if (r.cgroup_mode != r.cgroup_backend) out += " (cordon uses " + r.cgroup_backend + ")";
  out += "\n";
  std::string group;
  for (const auto& f : r.findings) {
    std::string g = diag::group_of(f.id);
    if (g != group) {
      out += "\n" + g + "\n";
      group = g;
    }
    std::string status = upper_status(f.status);
    out += "  " + status + std::string(6 - status.size(), ' ') + f.id +
           std::string(id_width - f.id.size() + 2, ' ') + wrap(f.seen, seen_column, seen_column) +
           "\n";
    if (f.status == diag::Status::kOk) continue;
    if (!f.why.empty())
      out += std::string(note_indent, ' ') +
             "why: " + wrap(f.why, note_indent + 5, note_indent + 5) + "\n";
    if (!f.fix.empty())
      out += std::string(note_indent, ' ') +
             "fix: " + wrap(f.fix, note_indent + 5, note_indent + 5) + "\n";
  }
  out += "\nsummary: " + std::to_string(r.count(diag::Status::kOk)) + " ok, " +
         std::to_string(r.count(diag::Status::kInfo)) + " info, " +
         std::to_string(r.count(diag::Status::kWarn)) + " warn, " +
         std::to_string(r.count(diag::Status::kFail)) + " fail (exit status " +
         std::to_string(r.exit_status()) + ")\n";
  return out;
}

int run_doctor(const std::vector<std::string>& args) {
  auto opts = parse_doctor_args(args);
  if (!opts.ok()) {
    log(LogLevel::kError, opts.error().to_string());
    return kExitUsage;
  }
  if (opts->help) {
    std::fputs(doctor_usage().c_str(), stdout);
    return 0;
  }
  diag::Report report = diag::diagnose(diag::read_host_facts());
  std::string text = opts->json ? doctor_json(report) + "\n" : doctor_text(report);
  std::fputs(text.c_str(), stdout);
  return report.exit_status();
}

}  // namespace cordon::cli
