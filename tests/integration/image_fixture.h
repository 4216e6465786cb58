// A test on the images of image_fixtures.py: made in a temp folder (fixtures_), with a
// store beside them (store_) that import() fills. Skipped without root (the layers keep
// their owners) or without a static busybox to build them from.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <initializer_list>
#include <string>

#include "harness.h"

namespace cordon::testing {

class ImageFixtureTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!have_root()) GTEST_SKIP() << "needs root (layers keep their owners)";
    std::string busybox = find_busybox();
    if (busybox.empty()) GTEST_SKIP() << "needs busybox-static";
    fixtures_ = dir_.path() + "/fx";
    store_ = dir_.path() + "/store";
    std::filesystem::create_directories(fixtures_);
    auto made = run_program({"/usr/bin/python3", IMAGE_FIXTURES, fixtures_, busybox});
    ASSERT_EQ(made.status, 0) << made.err;
  }
  // `cordon image import` of each fixture layout (app, oci, ...) into the store.
  void import(std::initializer_list<const char*> layouts) {
    for (const char* layout : layouts) {
      auto r = run_cordon({"image", "import", fixtures_ + "/" + layout, "--store", store_});
      ASSERT_EQ(r.status, 0) << layout << ": " << r.err;
    }
  }
  // Whether SetUp (this class's, or a subclass's so far) skipped or failed.
  bool stopped() const { return IsSkipped() || HasFatalFailure(); }

  TempDir dir_;
  std::string fixtures_, store_;
};

}  // namespace cordon::testing
