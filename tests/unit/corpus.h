// The seed corpora of fuzz/ (fuzz/corpus/NAME), read for the unit tests that run every
// seed through its parser on each build.
#pragma once

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace cordon::testing {

// Each regular file of dir as (file name, bytes), by name; empty when dir is absent.
inline std::vector<std::pair<std::string, std::string>> read_corpus(const std::string& dir) {
  std::vector<std::pair<std::string, std::string>> out;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    if (!entry.is_regular_file()) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    std::stringstream bytes;
    bytes << in.rdbuf();
    out.emplace_back(entry.path().filename().string(), bytes.str());
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace cordon::testing
