// Entry names of a tar archive: what a name may be (normalize_entry_path) and how the names
// of one archive may relate (check_tree). Split from tar.cc, which reads blocks and headers.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "archive/tar.h"
#include "base/result.h"

namespace cordon::archive {

// A name as it may appear in an error message: bytes outside printable ASCII escaped as
// \xNN, cut at 200 bytes (the name is the tenant's, the log is ours).
std::string printable_name(std::string_view raw);

// The normalized path of an entry: relative, components joined by single '/', no "." and
// no empty components. Refuses an empty name, one over max_path bytes or max_depth
// components, NUL, a leading '/', any ".." and a file name ending in '/'. An empty result
// means the archive's root ("./"), allowed for directories only.
Result<std::string> normalize_entry_path(std::string_view raw, bool is_dir,
                                         const TarLimits& limits);

// Every path once, and no path both a file and the parent of another entry: what extract()
// could not create without overwriting or failing half way.
Status check_tree(const std::vector<TarEntry>& entries);

}  // namespace cordon::archive
