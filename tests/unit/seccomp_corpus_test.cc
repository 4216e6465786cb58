// The seed corpus of the seccomp profile fuzzer (fuzz/corpus/seccomp), run through the
// parser on every build, with the compiler CI uses: good-*.json must parse and compile,
// bad-*.json must be rejected, anything else must only not crash. (This is the one unit
// test that reads files: the seeds in the source tree.)
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "corpus.h"
#include "plan/seccomp_policy.h"
#include "spec/seccomp_profile.h"

namespace cordon {
namespace {

TEST(SeccompCorpus, Seeds) {
  ASSERT_TRUE(std::filesystem::is_directory(CORDON_SECCOMP_CORPUS)) << CORDON_SECCOMP_CORPUS;
  int good = 0, bad = 0;
  for (const auto& [name, text] : cordon::testing::read_corpus(CORDON_SECCOMP_CORPUS)) {
    auto r = spec::parse_oci_profile(text);
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
