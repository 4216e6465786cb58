// The seed corpus of the seccomp profile fuzzer (fuzz/corpus/seccomp), run through the
// parser on every build, with the compiler CI uses: good-*.json must parse and compile,
// bad-*.json must be rejected, anything else must only not crash. (This is the one unit
// test that reads files: the seeds in the source tree.)
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "plan/seccomp_policy.h"
#include "spec/seccomp_profile.h"

namespace cordon {
namespace {

TEST(SeccompCorpus, Seeds) {
  namespace fs = std::filesystem;
  const fs::path dir = CORDON_SECCOMP_CORPUS;
  ASSERT_TRUE(fs::is_directory(dir)) << dir;
  int good = 0, bad = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    const std::string name = entry.path().filename().string();
    auto r = spec::parse_oci_profile(text.str());
    if (name.rfind("good-", 0) == 0) {
      ++good;
      ASSERT_TRUE(r.ok()) << name << ": " << r.error().to_string();
      auto policy = plan::policy_from_profile(r.value(), {{}, 6, 1});
      ASSERT_TRUE(policy.ok()) << name;
      auto program = plan::compile(policy.value());
      EXPECT_TRUE(program.ok()) << name << ": " << program.error().to_string();
      // The report needs sendmsg allowed; a profile without it is refused, clearly.
      auto report = plan::compile(policy.value(), {.report = true});
      if (!report.ok()) {
        EXPECT_EQ(report.error().path, "--seccomp-report") << name;
      }
    } else if (name.rfind("bad-", 0) == 0) {
      ++bad;
      EXPECT_FALSE(r.ok()) << name << " parsed";
    }
  }
  EXPECT_GE(good, 3);
  EXPECT_GE(bad, 3);
}

}  // namespace
}  // namespace cordon
