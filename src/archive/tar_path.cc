#include "archive/tar_path.h"

#include <cstdio>
#include <unordered_map>
#include <unordered_set>

namespace cordon::archive {

std::string printable_name(std::string_view raw) {
  constexpr size_t kMaxShown = 200;
  std::string out;
  for (size_t i = 0; i < raw.size() && i < kMaxShown; ++i) {
    unsigned char c = static_cast<unsigned char>(raw[i]);
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out.push_back(static_cast<char>(c));
    } else {
      char buf[5];
      std::snprintf(buf, sizeof(buf), "\\x%02x", c);
      out += buf;
    }
  }
  if (raw.size() > kMaxShown) out += "...";
  return out;
}

Result<std::string> normalize_entry_path(std::string_view raw, bool is_dir,
                                         const TarLimits& limits) {
  auto refuse = [&](const std::string& why) {
    return logic_error("parse tar", printable_name(raw), why);
  };
  if (raw.empty()) return refuse("empty name");
  if (raw.size() > limits.max_path)
    return refuse("name longer than " + std::to_string(limits.max_path) + " bytes");
  // Header fields end at their first NUL, but long names (GNU 'L', pax "path") are counted
  // bytes: a NUL inside would cut the name short in every later C call.
  if (raw.find('\0') != std::string_view::npos) return refuse("NUL in name");
  if (raw.front() == '/') return refuse("absolute path");
  if (!is_dir && raw.back() == '/') return refuse("file name ends in '/'");
  std::string out;
  size_t depth = 0;
  size_t start = 0;
  while (start <= raw.size()) {
    size_t slash = raw.find('/', start);
    if (slash == std::string_view::npos) slash = raw.size();
    std::string_view part = raw.substr(start, slash - start);
    start = slash + 1;
    if (part.empty() || part == ".") continue;
    if (part == "..") return refuse("\"..\" component");
    if (++depth > limits.max_depth)
      return refuse("deeper than " + std::to_string(limits.max_depth) + " components");
    if (!out.empty()) out.push_back('/');
    out.append(part);
  }
  if (out.empty() && !is_dir) return refuse("a file without a name");
  return out;
}

Status check_tree(const std::vector<TarEntry>& entries) {
  // Views into entries' paths: the vector no longer changes, and a hostile archive of
  // deep, distinct paths would otherwise cost a copy of every ancestor of every entry.
  std::unordered_map<std::string_view, TarEntry::Type> listed;
  std::unordered_set<std::string_view> parents;  // every proper ancestor of some entry
  listed.reserve(entries.size());
  for (const TarEntry& e : entries) {
    std::string_view path = e.path;
    auto refuse = [&](const std::string& why) {
      return logic_error("parse tar", printable_name(path), why);
    };
    if (!listed.emplace(path, e.type).second) return refuse("duplicate path");
    if (e.type == TarEntry::Type::kFile && parents.count(path) != 0)
      return refuse("a file where an earlier entry needs a directory");
    // Deepest ancestor first: once one is known, all of its own ancestors are too, so each
    // ancestor is walked once over the whole archive.
    for (size_t slash = path.rfind('/'); slash != std::string_view::npos;
         slash = slash == 0 ? std::string_view::npos : path.rfind('/', slash - 1)) {
      std::string_view parent = path.substr(0, slash);
      if (parents.count(parent) != 0) break;
      auto it = listed.find(parent);
      if (it != listed.end() && it->second == TarEntry::Type::kFile)
        return refuse("inside \"" + printable_name(parent) + "\", which is a file");
      parents.insert(parent);
    }
  }
  return {};
}

}  // namespace cordon::archive
