// isolate::v2_join_path: the cgroup2 group a `cordon exec` joins, from the sandbox's
// group and PID 1's. Never outside the sandbox's group, whatever PID 1's line says.
#include <gtest/gtest.h>

#include "isolate/enter.h"

namespace cordon::isolate {
namespace {

constexpr const char* kGroup = "/sys/fs/cgroup/system.slice/cordon-1000000";

TEST(V2JoinPath, PidOneStillInTheSandboxGroup) {
  EXPECT_EQ(v2_join_path(kGroup, "/system.slice/cordon-1000000"), kGroup);
}

TEST(V2JoinPath, ABootedInitMovedDeeper) {
  EXPECT_EQ(v2_join_path(kGroup, "/system.slice/cordon-1000000/init.scope"),
            std::string(kGroup) + "/init.scope");
  EXPECT_EQ(v2_join_path(kGroup, "/system.slice/cordon-1000000/a/b/c"),
            std::string(kGroup) + "/a/b/c");
  // A v1 host's unified hierarchy, mounted at /sys/fs/cgroup/unified.
  EXPECT_EQ(v2_join_path("/sys/fs/cgroup/unified/cordon-7", "/cordon-7/init.scope"),
            "/sys/fs/cgroup/unified/cordon-7/init.scope");
}

TEST(V2JoinPath, NeverOutsideTheSandboxGroup) {
  for (const char* pid1 : {"", "relative", "/", "/system.slice", "/system.slice/cordon-10000000",
                           "/system.slice/cordon-1000000/../x", "/system.slice/cordon-1000000/.",
                           "/system.slice/cordon-1000000//x", "/system.slice/cordon-1000000/x/",
                           "/other/cordon-1000000/x", "/../../system.slice/cordon-1000000"})
    EXPECT_EQ(v2_join_path(kGroup, pid1), kGroup) << pid1;
}

}  // namespace
}  // namespace cordon::isolate
