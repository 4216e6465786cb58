// The small pieces of HTTP/1.1's grammar (RFC 9110) that requests and responses share.
#pragma once

#include <string>
#include <string_view>

namespace cordon::http {

// A tchar: what header names and methods are made of.
bool is_token_char(char c);
std::string lower(std::string_view s);
// Without the optional whitespace (spaces and tabs) around a header value.
std::string_view trim(std::string_view s);
// A hexadecimal digit's value, or -1.
int hex_digit(char c);

}  // namespace cordon::http
