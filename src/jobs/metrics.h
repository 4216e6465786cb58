// Prometheus text exposition (version 0.0.4) of the service: histograms kept here, the
// rest read from the service's state when scraped.
#pragma once

#include <array>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

namespace cordon::jobs {

class Histogram {
 public:
  static constexpr std::array<double, 12> kBounds = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                     0.1,   0.25,   0.5,   1,    2.5,   10};
  void observe(double seconds);
  // name_bucket{le=...}, name_sum, name_count, with HELP and TYPE lines.
  std::string render(const std::string& name, const std::string& help) const;

 private:
  mutable std::mutex mu_;
  std::array<uint64_t, kBounds.size()> buckets_{};
  uint64_t count_ = 0;
  double sum_ = 0;
};

// A label value escaped for the text format (backslash, quote, newline).
std::string label_value(const std::string& v);

}  // namespace cordon::jobs
