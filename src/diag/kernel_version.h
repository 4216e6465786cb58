// Kernel release strings ("6.1.0-18-amd64", "6.8.0-rc3", "5.15.25") as comparable
// versions. Pure.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace cordon::diag {

struct KernelVersion {
  int major = 0;
  int minor = 0;
  int patch = 0;       // the stable sublevel; 0 when the release has none
  bool rc = false;     // "-rcN": a release candidate of major.minor, before its release
  std::string suffix;  // what follows the numbers ("-18-amd64", "-rc3", "+"); "" for upstream

  // A vendor's (or a local) build: its sublevel does not say which fixes it carries
  // (Debian's "6.1.0-18-amd64" is 6.1.76 or so, with its own backports).
  bool vendor() const { return !suffix.empty() && !rc; }
  // Whether this kernel is at least major.minor (a release candidate of it is not).
  bool at_least(int maj, int min) const;
  std::string numbers() const;  // "6.1.0"
};

// nullopt when text does not start with MAJOR.MINOR.
std::optional<KernelVersion> parse_kernel_release(std::string_view text);

}  // namespace cordon::diag
