// ids.subuid and ids.subgid: the host IDs that sandboxes get, picked as
// isolate/id_slot.cc picks them ("cordon" entries, else the fallback; never root's), and
// whether anyone else holds some of them. ids.paired: a slot is the same numbers as UIDs
// and GIDs, so the slots are the IDs both files give cordon.
#include <set>

#include "base/text.h"
#include "diag/rules.h"
#include "plan/id_range.h"

namespace cordon::diag::rules {
namespace {

// Field i of a ':'-separated line, or "" when it has fewer fields.
std::string field(std::string_view line, size_t i) {
  size_t start = 0;
  for (size_t k = 0; k < i; ++k) {
    start = line.find(':', start);
    if (start == std::string_view::npos) return {};
    ++start;
  }
  return std::string(line.substr(start, line.find(':', start) - start));
}

bool overlaps(const plan::IdRange& a, const plan::IdRange& b) {
  return a.start < b.start + b.count && b.start < a.start + a.count;
}

bool inside(uint64_t id, const std::vector<plan::IdRange>& ranges) {
  for (const auto& r : ranges)
    if (id >= r.start && id - r.start < r.count) return true;
  return false;
}

std::string range_text(const plan::IdRange& r) {
  return std::to_string(r.start) + "-" + std::to_string(r.start + r.count - 1);
}

std::string slots_text(size_t n) {
  return std::to_string(n) + (n == 1 ? " slot" : " slots");
}

// file: "/etc/subuid"; accounts: /etc/passwd for UIDs, /etc/group for GIDs. Returns the
// ranges cordon takes from the file.
std::vector<plan::IdRange> one(const std::string& id, const std::string& file, const Probe& subid,
                               const std::string& accounts_file, const Probe& accounts,
                               Findings* out) {
  std::string text = subid.ok() ? subid.text : "";
  std::vector<plan::IdRange> chosen = plan::parse_subid(text, {"cordon"});
  std::set<std::string> chosen_owners = {"cordon"};
  const std::string source = "cordon";
  bool had_entries = !chosen.empty();
  bool fallback = plan::SlotSpace(chosen).size() == 0;
  if (fallback) {
    chosen = {{plan::kFallbackStart, plan::kFallbackCount}};
    chosen_owners.clear();
  }
  size_t slots = plan::SlotSpace(chosen).size();

  std::string seen;
  if (!fallback) {
    seen = source + ":";
    for (const auto& r : chosen) seen += " " + range_text(r);
  } else {
    seen = (subid.state == Probe::State::kValue ? std::string() : unreadable(file, subid) + "; ") +
           (had_entries ? "the entries of " + source + " hold no full slot of 65536 IDs"
                        : "no entry for cordon") +
           ": the fallback range " + range_text(chosen[0]);
  }
  seen += " (" + slots_text(slots) + ")";

  // Everyone else's ranges, and the host's own accounts, that meet the slots' IDs.
  std::vector<std::string> clashes;
  std::set<std::string> owners;
  for (std::string_view line : split_lines(text)) {
    std::string owner = field(line, 0);
    if (!owner.empty() && owner[0] != '#' && !chosen_owners.count(owner)) owners.insert(owner);
  }
  for (const auto& owner : owners) {
    for (const auto& r : plan::parse_subid(text, {owner})) {
      for (const auto& c : chosen) {
        if (overlaps(r, c)) {
          clashes.push_back(owner + "'s range " + range_text(r));
          break;
        }
      }
    }
  }
  if (accounts.ok()) {
    for (std::string_view line : split_lines(accounts.text)) {
      std::string name = field(line, 0), num = field(line, 2);
      if (name.empty() || num.empty() || num.find_first_not_of("0123456789") != std::string::npos ||
          num.size() > 10)
        continue;
      if (inside(std::stoull(num), chosen))
        clashes.push_back(accounts_file + " entry " + name + " (" + num + ")");
    }
  }

  std::string why =
      "a sandbox's root is the base of its slot on the host, and every ID inside maps into "
      "the slot: if another user's containers or a host account hold the same IDs, files "
      "and processes of the one are the other's (file access, signals, ptrace)";
  std::string own_range_fix =
      "give cordon a range of its own in /etc/subuid and /etc/subgid, disjoint from every "
      "other entry and account, e.g. cordon:1000000000:268435456";
  if (!clashes.empty()) {
    std::string list;
    for (size_t i = 0; i < clashes.size() && i < 5; ++i) list += (i ? "; " : "") + clashes[i];
    if (clashes.size() > 5) list += "; and " + std::to_string(clashes.size() - 5) + " more";
    out->push_back(make(id, Status::kFail, seen + "; overlaps " + list, why, own_range_fix));
    return chosen;
  }
  if (slots == 0) {
    out->push_back(
        make(id, Status::kFail, seen, "no sandbox can start without a slot", own_range_fix));
    return chosen;
  }
  if (subid.state == Probe::State::kError || (fallback && had_entries)) {
    out->push_back(make(id, Status::kWarn, seen,
                        "cordon falls back to its own range, which may not be what the host's "
                        "administrator meant",
                        own_range_fix));
    return chosen;
  }
  out->push_back(make(id, Status::kOk, seen));
  return chosen;
}

// The slots are the IDs both files give cordon.
void paired(const std::vector<plan::IdRange>& uids, const std::vector<plan::IdRange>& gids,
            Findings* out) {
  size_t both = plan::SlotSpace(plan::intersect(uids, gids)).size();
  std::string why =
      "a slot is the same 65536 numbers as UIDs and as GIDs, so that its GIDs can never go "
      "with another slot's UIDs: cordon uses only the IDs that /etc/subuid and /etc/subgid "
      "both give it";
  std::string fix = "give the cordon user the same range in /etc/subuid and /etc/subgid";
  std::string seen = slots_text(both) + " in both files";
  if (both == 0) {
    out->push_back(make("ids.paired", Status::kFail, seen + ": no sandbox can start", why, fix));
  } else if (both < plan::SlotSpace(uids).size() || both < plan::SlotSpace(gids).size()) {
    out->push_back(make("ids.paired", Status::kWarn,
                        seen + " (of " + slots_text(plan::SlotSpace(uids).size()) + " in subuid, " +
                            slots_text(plan::SlotSpace(gids).size()) + " in subgid)",
                        why, fix));
  } else {
    out->push_back(make("ids.paired", Status::kOk, seen));
  }
}

}  // namespace

void ids(const HostFacts& f, Findings* out) {
  auto uids = one("ids.subuid", "/etc/subuid", f.subuid, "/etc/passwd", f.passwd, out);
  auto gids = one("ids.subgid", "/etc/subgid", f.subgid, "/etc/group", f.group, out);
  paired(uids, gids, out);
}

}  // namespace cordon::diag::rules
