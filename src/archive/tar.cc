#include "archive/tar.h"

#include <algorithm>
#include <optional>

#include "archive/tar_path.h"
#include "base/parse.h"

namespace cordon::archive {
namespace {

constexpr size_t kBlock = 512;
// A pax header holds a path and a size for us, and at most a few other records; a larger
// one is not from a tar we know.
constexpr uint64_t kMaxPaxHeader = 64 << 10;

// ustar header layout (POSIX.1-1988, extended by GNU and pax).
constexpr size_t kNameOff = 0, kNameLen = 100;
constexpr size_t kModeOff = 100, kModeLen = 8;
constexpr size_t kSizeOff = 124, kSizeLen = 12;
constexpr size_t kChksumOff = 148, kChksumLen = 8;
constexpr size_t kTypeOff = 156;
constexpr size_t kMagicOff = 257;
constexpr size_t kPrefixOff = 345, kPrefixLen = 155;

// What a GNU 'L' or pax 'x' header says about the entry that follows it.
struct Pending {
  bool present = false;  // one extended header seen, its entry not yet
  std::optional<std::string> path;
  std::optional<uint64_t> size;
};

// Where a header sits, for errors: the entry's name when known, else the byte offset.
struct Where {
  std::string name;
  size_t offset;
};

Error refuse(const Where& w, const std::string& why) {
  return logic_error("parse tar",
                     w.name.empty() ? "header at byte " + std::to_string(w.offset) : w.name, why);
}

bool all_zero(std::string_view block) {
  return std::all_of(block.begin(), block.end(), [](char c) { return c == '\0'; });
}

// A header string field: up to its first NUL, or all of it.
std::string_view c_field(std::string_view block, size_t off, size_t len) {
  std::string_view f = block.substr(off, len);
  size_t nul = f.find('\0');
  return nul == std::string_view::npos ? f : f.substr(0, nul);
}

// A numeric header field: octal digits after optional spaces, ended by NUL or space (all
// blank is 0), or GNU base-256 (first byte's top bit set, 0x40 the sign). nullopt on junk,
// a negative number, or a value beyond 64 bits.
std::optional<uint64_t> number_field(std::string_view block, size_t off, size_t len) {
  std::string_view f = block.substr(off, len);
  const auto first = static_cast<unsigned char>(f[0]);
  uint64_t v = 0;
  if ((first & 0x80) != 0) {
    if ((first & 0x40) != 0) return std::nullopt;
    v = first & 0x3f;
    for (size_t i = 1; i < f.size(); ++i) {
      if (v > (UINT64_MAX >> 8)) return std::nullopt;
      v = (v << 8) | static_cast<unsigned char>(f[i]);
    }
    return v;
  }
  size_t i = 0;
  while (i < f.size() && f[i] == ' ') ++i;
  for (; i < f.size() && f[i] >= '0' && f[i] <= '7'; ++i) {
    if (v > (UINT64_MAX >> 3)) return std::nullopt;
    v = (v << 3) | static_cast<uint64_t>(f[i] - '0');
  }
  for (; i < f.size(); ++i)
    if (f[i] != '\0' && f[i] != ' ') return std::nullopt;
  return v;
}

// The sum of the header's bytes, unsigned, with the checksum field counted as spaces.
Status check_checksum(std::string_view block, const Where& w) {
  auto stored = number_field(block, kChksumOff, kChksumLen);
  uint64_t sum = 0;
  for (size_t i = 0; i < kBlock; ++i) {
    bool in_field = i >= kChksumOff && i < kChksumOff + kChksumLen;
    sum += in_field ? ' ' : static_cast<unsigned char>(block[i]);
  }
  if (!stored || *stored != sum) return refuse(w, "bad header checksum");
  return {};
}

// The records of a pax extended header: "LEN key=value\n", LEN counting the whole record.
// Only "path" and "size" matter to us; sparse files would need a map we do not read.
Status read_pax(std::string_view data, Pending* p, const Where& w) {
  while (!data.empty()) {
    size_t space = data.find(' ');
    if (space == std::string_view::npos || space == 0) return refuse(w, "bad pax record");
    auto len = parse_uint(data.substr(0, space), space + 2, data.size());
    if (!len.ok()) return refuse(w, "bad pax record length");
    std::string_view record = data.substr(space + 1, len.value() - space - 1);
    data.remove_prefix(len.value());
    if (record.back() != '\n') return refuse(w, "pax record without its newline");
    record.remove_suffix(1);
    size_t eq = record.find('=');
    if (eq == std::string_view::npos || eq == 0) return refuse(w, "pax record without a key");
    std::string_view key = record.substr(0, eq);
    std::string_view value = record.substr(eq + 1);
    // An empty value removes the key: the header's own field applies again.
    if (key == "path") {
      p->path = value.empty() ? std::nullopt : std::optional<std::string>(value);
    } else if (key == "size") {
      if (value.empty()) {
        p->size.reset();
      } else {
        auto size = parse_uint(value, 0, UINT64_MAX);
        if (!size.ok()) return refuse(w, "bad pax size");
        p->size = size.value();
      }
    } else if (key.substr(0, 11) == "GNU.sparse.") {
      return refuse(w, "sparse files are not supported");
    }
  }
  return {};
}

// The refusal for a type that is neither a file nor a directory nor metadata we read.
std::string type_refusal(char type) {
  switch (type) {
    case '1':
      return "hard links are not allowed";
    case '2':
      return "symbolic links are not allowed";
    case '3':
      return "character devices are not allowed";
    case '4':
      return "block devices are not allowed";
    case '6':
      return "fifos are not allowed";
    case 'K':
      return "long link names (links) are not allowed";
    default:
      break;
  }
  return "entry type '" + printable_name(std::string_view(&type, 1)) + "' is not supported";
}

}  // namespace

Result<std::vector<TarEntry>> parse_tar(std::string_view bytes, const TarLimits& limits) {
  std::vector<TarEntry> entries;
  Pending pending;
  uint64_t total = 0;
  size_t off = 0;
  while (off < bytes.size()) {
    Where where{{}, off};
    if (bytes.size() - off < kBlock) return refuse(where, "truncated header");
    std::string_view block = bytes.substr(off, kBlock);
    if (all_zero(block)) {
      // The end: two zero blocks, or one at the very end of the input. A lone zero block
      // with more after it would hide entries from some readers and not from others.
      size_t next = off + kBlock;
      if (next == bytes.size()) break;
      if (bytes.size() - next >= kBlock && all_zero(bytes.substr(next, kBlock))) break;
      return refuse(where, "a lone zero block before more data");
    }
    TRY(check_checksum(block, where));
    // GNU and POSIX ustar only: a v7 header (no magic) has neither prefix nor long names,
    // and is more likely noise with a lucky checksum than an archive a tenant made.
    std::string_view magic = block.substr(kMagicOff, 8);
    const bool posix = magic.substr(0, 6) == std::string_view("ustar\0", 6);
    const bool gnu = magic == std::string_view("ustar  \0", 8);
    if (!posix && !gnu) return refuse(where, "not a ustar header");

    const char type = block[kTypeOff];
    std::string header_name(c_field(block, kNameOff, kNameLen));
    // The prefix field is POSIX's; in GNU headers those bytes hold other things.
    std::string_view prefix = posix ? c_field(block, kPrefixOff, kPrefixLen) : "";
    if (!prefix.empty()) header_name = std::string(prefix) + "/" + header_name;
    const bool is_meta = type == 'L' || type == 'x' || type == 'g';
    const bool is_entry = type == '0' || type == '\0' || type == '5';
    std::string raw_name = header_name;
    if (!is_meta && pending.path) raw_name = *pending.path;
    where.name = printable_name(raw_name);

    if (!is_meta && !is_entry) return refuse(where, type_refusal(type));
    auto header_size = number_field(block, kSizeOff, kSizeLen);
    if (!header_size) return refuse(where, "bad size field");
    uint64_t size = *header_size;
    if (is_entry && pending.size) size = *pending.size;
    // Limits before bounds: a size over a limit is refused as such even when the input
    // was cut short, and nothing below adds a size that could overflow.
    if (type == 'L' && size > limits.max_path + 1)
      return refuse(where, "long name longer than " + std::to_string(limits.max_path) + " bytes");
    if ((type == 'x' || type == 'g') && size > kMaxPaxHeader)
      return refuse(where, "pax header larger than " + std::to_string(kMaxPaxHeader) + " bytes");
    if (type == '5' && size != 0) return refuse(where, "a directory with data");
    if (is_entry && type != '5') {
      if (size > limits.max_file_bytes)
        return refuse(where,
                      "file larger than " + std::to_string(limits.max_file_bytes) + " bytes");
      if (size > limits.max_total_bytes - total)
        return refuse(
            where, "files larger than " + std::to_string(limits.max_total_bytes) + " bytes in all");
    }
    const size_t data_off = off + kBlock;
    const size_t room = bytes.size() - data_off;
    // Data comes in whole blocks; a missing tail of padding is a cut archive too.
    if (size > room || (size + kBlock - 1) / kBlock * kBlock > room)
      return refuse(where, "truncated data");
    std::string_view data = bytes.substr(data_off, static_cast<size_t>(size));
    off = data_off + (static_cast<size_t>(size) + kBlock - 1) / kBlock * kBlock;

    if (type == 'g') continue;  // global pax records: nothing there that we use
    if (type == 'L' || type == 'x') {
      if (pending.present) return refuse(where, "two extended headers for one entry");
      pending.present = true;
      if (type == 'x') {
        TRY(read_pax(data, &pending, where));
      } else {
        // GNU writes the name and its terminating NUL; the size counts both.
        while (!data.empty() && data.back() == '\0') data.remove_suffix(1);
        pending.path = std::string(data);
      }
      continue;
    }

    pending = Pending{};
    const bool is_dir = type == '5';
    ASSIGN_OR_RETURN(std::string path, normalize_entry_path(raw_name, is_dir, limits));
    if (path.empty()) continue;  // "./": the directory extracted into
    if (entries.size() >= limits.max_entries)
      return refuse(where, "more than " + std::to_string(limits.max_entries) + " entries");
    auto mode = number_field(block, kModeOff, kModeLen);
    if (!mode) return refuse(where, "bad mode field");
    if (!is_dir) total += size;
    entries.push_back(
        TarEntry{std::move(path), is_dir ? TarEntry::Type::kDir : TarEntry::Type::kFile,
                 static_cast<uint32_t>(*mode & 0777), is_dir ? std::string_view() : data});
  }
  if (pending.present)
    return refuse(Where{{}, off}, "an extended header without an entry after it");
  TRY(check_tree(entries));
  return entries;
}

}  // namespace cordon::archive
