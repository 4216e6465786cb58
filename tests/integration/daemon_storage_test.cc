// What the daemon keeps on the state disk for a tenant's jobs, checked from the host: the
// entries (inodes) and allocated blocks a job leaves count against its tenant's quotas
// (job_files, max_files, log_bytes), a job over job_files keeps none and says why, and a
// sparse file stays sparse when it is copied out. A real daemon, real sandboxes.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "daemon_harness.h"
#include "harness.h"

namespace cordon::testing {
namespace {

using nlohmann::json;

// Trees of many files take their time to make on a busy machine.
json sh(const std::string& script) {
  return sh_job(script, "120s");
}

// A shell script that makes `folders` folders under d/, each with `files` empty files
// (no fork per file: `: >` is a builtin).
std::string make_tree(int folders, int files) {
  std::string s = "mkdir d && cd d && i=0; while [ $i -lt " + std::to_string(folders) +
                  " ]; do mkdir $i; j=0; while [ $j -lt " + std::to_string(files) +
                  " ]; do : > $i/$j; j=$((j+1)); done; i=$((i+1)); done; echo made";
  return s;
}

// Entries under path (itself included), counted from the host without following links.
uint64_t entries_under(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return 0;
  uint64_t n = 1;
  for (auto it = std::filesystem::recursive_directory_iterator(path, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec))
    ++n;
  return n;
}

// Runs `n` jobs of script one after the other, each to a plain exit; their ids in order.
void run_in_turn(Daemon& d, const std::string& tok, const std::string& script, int n,
                 std::vector<std::string>* ids) {
  for (int i = 0; i < n; ++i) {
    ids->push_back(d.submit(tok, sh(script)));
    json j = d.wait_ended(tok, ids->back(), 120000);
    ASSERT_TRUE(j.is_object());
    ASSERT_EQ(j["reason"], "exited") << j.dump();
  }
}

TEST(DaemonStorage, JobOverJobFilesKeepsNoneAndSaysWhy) {
  REQUIRE_ROOT();
  Daemon d;
  ASSERT_TRUE(d.start()) << d.log();
  std::string tok = d.tenant("alpha", {{"job_files", 1000}});
  ASSERT_FALSE(tok.empty());
  // 300 folders of 6 empty files: 2,101 entries, over 1,000. It holds no byte of data.
  std::string over = d.submit(tok, sh(make_tree(300, 6)));
  json j = d.wait_ended(tok, over, 120000);
  ASSERT_TRUE(j.is_object()) << d.log();
  EXPECT_EQ(j["state"], "succeeded");  // the job itself did what it was asked
  std::string reason = j["reason"].get<std::string>();
  EXPECT_EQ(reason.rfind("exited (workspace not collected: quota job_files", 0), 0u) << reason;
  EXPECT_NE(reason.find("more than 1000"), std::string::npos) << reason;
  EXPECT_EQ(d.call("GET", "/v1/jobs/" + over + "/logs", "", tok).body, "made\n");
  EXPECT_EQ(d.call("GET", "/v1/jobs/" + over + "/files/d/0/0", "", tok).status, 404);
  // From the host: its folder holds its logs and result, not the 2,101 entries.
  uint64_t kept = entries_under(d.state_dir() + "/jobs/" + over);
  std::printf("job over job_files: %llu entries kept on the state disk\n",
              static_cast<unsigned long long>(kept));
  EXPECT_LE(kept, 8u);
  // Under the quota, everything is kept: 100 folders of 6 files, 701 entries.
  std::string under = d.submit(tok, sh(make_tree(100, 6)));
  json u = d.wait_ended(tok, under, 120000);
  ASSERT_TRUE(u.is_object());
  EXPECT_EQ(u["reason"], "exited");
  EXPECT_EQ(d.call("GET", "/v1/jobs/" + under + "/files/d/99/5", "", tok).status, 200);
  EXPECT_GE(entries_under(d.state_dir() + "/jobs/" + under + "/files"), 702u);
  // The daemon still serves, and the quota reads back.
  EXPECT_EQ(d.call("GET", "/v1/tenants/alpha").json["quota"]["job_files"], 1000);
}

TEST(DaemonStorage, TenantsKeptEntriesAreCappedOldestJobsFirst) {
  REQUIRE_ROOT();
  Daemon d;
  ASSERT_TRUE(d.start()) << d.log();
  // Each job leaves 1 folder of 600 empty files (and its own few entries): two fit in
  // 1,500, a third does not. No byte of data: only entries can tell.
  std::string tok = d.tenant("alpha", {{"max_files", 1500}});
  ASSERT_FALSE(tok.empty());
  std::vector<std::string> ids;
  ASSERT_NO_FATAL_FAILURE(run_in_turn(d, tok, make_tree(1, 600), 3, &ids));
  EXPECT_TRUE(wait_until(10000, [&] {
    return d.call("GET", "/v1/jobs/" + ids[0], "", tok).json.value("files_expired", false);
  }));
  EXPECT_EQ(d.call("GET", "/v1/jobs/" + ids[0] + "/files/d/0/0", "", tok).status, 410);
  for (int i = 1; i < 3; ++i) {
    EXPECT_EQ(d.call("GET", "/v1/jobs/" + ids[i], "", tok).json["files_expired"], false);
    EXPECT_EQ(d.call("GET", "/v1/jobs/" + ids[i] + "/files/d/0/599", "", tok).status, 200);
  }
  uint64_t total = 0;
  for (const auto& id : ids) total += entries_under(d.state_dir() + "/jobs/" + id);
  EXPECT_LE(total, 1500u);
  EXPECT_GE(total, 1200u);
}

TEST(DaemonStorage, FoldersCountTheBlocksTheyHold) {
  REQUIRE_ROOT();
  Daemon d;
  ASSERT_TRUE(d.start()) << d.log();
  // Only meaningful where an empty folder takes a block (ext4, xfs; not tmpfs).
  std::string probe = d.state_dir() + "/probe";
  ASSERT_EQ(::mkdir(probe.c_str(), 0700), 0);
  struct stat st;
  ASSERT_EQ(::stat(probe.c_str(), &st), 0);
  ::rmdir(probe.c_str());
  if (st.st_blocks == 0) GTEST_SKIP() << "the state folder's filesystem gives folders no block";
  uint64_t folder = static_cast<uint64_t>(st.st_blocks) * 512;
  // Each job leaves 120 empty folders: about 120 blocks and no byte of file data. Three
  // jobs' folders are over a log_bytes of 2.5 jobs' worth: the oldest goes.
  uint64_t cap = folder * 120 * 5 / 2;
  std::string tok = d.tenant("alpha", {{"log_bytes", cap}});
  ASSERT_FALSE(tok.empty());
  std::vector<std::string> ids;
  ASSERT_NO_FATAL_FAILURE(run_in_turn(d, tok, make_tree(120, 0), 3, &ids));
  EXPECT_TRUE(wait_until(
      10000,
      [&] {
        return d.call("GET", "/v1/jobs/" + ids[0], "", tok).json.value("files_expired", false);
      }))
      << "log_bytes " << cap;
  EXPECT_EQ(d.call("GET", "/v1/jobs/" + ids[2], "", tok).json["files_expired"], false);
}

TEST(DaemonStorage, SparseFilesStaySparseWhenCopiedOut) {
  REQUIRE_ROOT();
  Daemon d;
  ASSERT_TRUE(d.start()) << d.log();
  // A log_bytes far below the sparse file's size: if its holes were written out or
  // counted, the job's files would be removed at once.
  std::string tok = d.tenant("alpha", {{"log_bytes", "16M"}});
  ASSERT_FALSE(tok.empty());
  // 400 MB apparent, three small pieces of data; the job's disk is the default 512M.
  std::string id = d.submit(
      tok, sh("truncate -s 400M big && printf head | dd of=big conv=notrunc 2>/dev/null && "
              "printf mid | dd of=big bs=1M seek=200 conv=notrunc 2>/dev/null && "
              "printf tail | dd of=big bs=1 seek=$((400*1024*1024-4)) conv=notrunc 2>/dev/null "
              "&& truncate -s 3M small && printf x | dd of=small bs=1M seek=1 conv=notrunc "
              "2>/dev/null && du -k big"));
  json j = d.wait_ended(tok, id, 120000);
  ASSERT_TRUE(j.is_object());
  EXPECT_EQ(j["state"], "succeeded") << j.dump();
  EXPECT_EQ(j["reason"], "exited");
  // From the host: the copy has the same size, holds only the data, and reads the same.
  std::string big = d.state_dir() + "/jobs/" + id + "/files/big";
  struct stat st;
  ASSERT_EQ(::stat(big.c_str(), &st), 0);
  EXPECT_EQ(static_cast<uint64_t>(st.st_size), 400ull << 20);
  uint64_t allocated = static_cast<uint64_t>(st.st_blocks) * 512;
  std::printf("sparse file: apparent %llu bytes, copied out holding %llu bytes\n",
              static_cast<unsigned long long>(st.st_size),
              static_cast<unsigned long long>(allocated));
  EXPECT_LT(allocated, 1u << 20);
  int fd = ::open(big.c_str(), O_RDONLY);
  ASSERT_GE(fd, 0);
  char buf[4];
  EXPECT_EQ(::pread(fd, buf, 4, 0), 4);
  EXPECT_EQ(std::string(buf, 4), "head");
  EXPECT_EQ(::pread(fd, buf, 3, 200ll << 20), 3);
  EXPECT_EQ(std::string(buf, 3), "mid");
  EXPECT_EQ(::pread(fd, buf, 4, (400ll << 20) - 4), 4);
  EXPECT_EQ(std::string(buf, 4), "tail");
  EXPECT_EQ(::pread(fd, buf, 4, 100ll << 20), 4);  // a hole reads as zeros
  EXPECT_EQ(std::string(buf, 4), std::string(4, '\0'));
  ::close(fd);
  // Through the API, byte for byte (a smaller one).
  auto small = d.call("GET", "/v1/jobs/" + id + "/files/small", "", tok);
  ASSERT_EQ(small.status, 200);
  std::string want(3u << 20, '\0');
  want[1u << 20] = 'x';
  EXPECT_TRUE(small.body == want) << small.body.size();
  // What the tenant's quota counts is what the disk holds: the job is well under 16M.
  EXPECT_EQ(d.call("GET", "/v1/jobs/" + id, "", tok).json["files_expired"], false);
  auto du = run_program({"/usr/bin/du", "-sk", d.state_dir() + "/jobs/" + id});
  EXPECT_LT(std::stoull(du.out), 1024u) << du.out;
}

}  // namespace
}  // namespace cordon::testing
