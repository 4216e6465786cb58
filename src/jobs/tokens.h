// Bearer tokens: 256 random bits, shown once to whoever asked for them and stored only
// as a SHA-256 hash, so that a copy of the state database grants nothing.
#pragma once

#include <string>

#include "base/result.h"

namespace cordon::jobs {

// "cdt_" and 43 base64url characters (32 bytes from the kernel's CSPRNG).
Result<std::string> new_token();
// An id: prefix and `hex_digits` random hex digits ("j-…", "t-…").
Result<std::string> new_id(const std::string& prefix, size_t hex_digits);
// The SHA-256 of a token, as 64 hex digits: how tokens are stored and looked up.
std::string token_hash(const std::string& token);

}  // namespace cordon::jobs
