// image::resolve_user: an image's USER as Docker reads it, against the image's own
// /etc/passwd and /etc/group (untrusted text).
#include <gtest/gtest.h>

#include "image/run_config.h"

namespace cordon::image {
namespace {

const ImageAccounts kAccounts = {
    "root:x:0:0:root:/root:/bin/sh\n# a comment\napp:x:1500:1501::/home/app:/bin/sh\n"
    "big:x:70000:1::/:/bin/sh\nshort:x:12\nodd:x:abc:1::/:/bin/sh\n",
    "root:x:0:\nstaff:x:50:\nhuge:x:99999:\n"};

TEST(ImageUser, NamesAndNumbersAsDockerReadsThem) {
  auto r = resolve_user("", kAccounts);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->uid, 0u);
  EXPECT_EQ(r->gid, 0u);
  r = resolve_user("app", kAccounts);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->uid, 1500u);
  EXPECT_EQ(r->gid, 1501u);
  EXPECT_EQ(r->home, "/home/app");
  r = resolve_user("1500", kAccounts);  // a number with an entry: its group and home
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->gid, 1501u);
  r = resolve_user("4242", kAccounts);  // without one: GID 0, no home
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->uid, 4242u);
  EXPECT_EQ(r->gid, 0u);
  EXPECT_FALSE(r->home);
  r = resolve_user("app:staff", kAccounts);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->gid, 50u);
  r = resolve_user("7:8", {});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->uid, 7u);
  EXPECT_EQ(r->gid, 8u);
}

TEST(ImageUser, WhatCannotBeASandboxsIdIsRefused) {
  for (const char* bad : {"ghost", "app:ghost", "big", "70000", "1:65536", "app:huge", ":1",
                          "1:", "odd", "-1", "1x", "short"})
    EXPECT_FALSE(resolve_user(bad, kAccounts).ok()) << bad;
  // No /etc/passwd at all: names cannot be looked up, numbers still work.
  EXPECT_FALSE(resolve_user("app", {}).ok());
  EXPECT_TRUE(resolve_user("0", {}).ok());
}

}  // namespace
}  // namespace cordon::image
