// The body of POST /v1/jobs, built from `cordon job submit`'s options. Values are checked
// here with the daemon's own parsers, so a typo is a usage error before anything is sent;
// they are sent as written ("256M", "30s") and the daemon parses them again.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "client/args.h"
#include "client/connection.h"

namespace cordon::client {

// The options `job submit` takes besides the global ones.
extern const std::vector<OptionSpec> kSubmitOptions;

// Reads --file contents (a local failure is an error with the path); the upload, when
// one was stored first, goes in as upload_id.
Result<nlohmann::json> job_body(const ParsedArgs& args, const Getenv& getenv,
                                const std::string& upload_id);

// A whole local file, at most max bytes.
Result<std::string> read_local_file(const std::string& path, size_t max);

// Strict UTF-8 (what a JSON string may hold): no overlongs, surrogates or values past
// U+10FFFF.
bool valid_utf8(std::string_view s);
std::string base64_encode(std::string_view bytes);

}  // namespace cordon::client
