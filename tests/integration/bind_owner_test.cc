// Owner-mapped binds (docs/threat-model.md, "Owner-mapped binds"): a bind of a tree owned
// by a normal user is idmapped so that the sandbox's user is that owner, both ways; root's
// and system trees stay plain; nothing set-ID can be made through such a bind. And the
// daemon's workspace is the job's own to write. Checked from the host on real sandboxes.
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "daemon_harness.h"
#include "harness.h"

namespace cordon::testing {
namespace {

using nlohmann::json;

// The IDs named in a passwd or group file.
std::set<uint32_t> ids_in(const std::string& path) {
  std::set<uint32_t> ids;
  std::istringstream in(read_file(path));
  for (std::string line; std::getline(in, line);) {
    std::istringstream fields(line);
    std::string name, pw, id;
    if (std::getline(fields, name, ':') && std::getline(fields, pw, ':') &&
        std::getline(fields, id, ':'))
      ids.insert(static_cast<uint32_t>(std::strtoul(id.c_str(), nullptr, 10)));
  }
  return ids;
}

// A normal-user ID (between login.defs' default UID_MIN and UID_MAX) that no user and no
// group of this host has: the throwaway owner of the trees below. No account is made, so
// nothing is left to remove but the trees, which TempDir removes.
uint32_t unused_user_id() {
  std::set<uint32_t> users = ids_in("/etc/passwd");
  std::set<uint32_t> groups = ids_in("/etc/group");
  for (uint32_t id = 47000; id < 59000; ++id)
    if (!users.count(id) && !groups.count(id)) return id;
  return 0;
}

// A directory below d owned by id:id, with a file "pre" in it (also id's).
std::string user_tree(const TempDir& d, uint32_t id, const std::string& name = "tree") {
  std::string dir = d.path() + "/" + name;
  EXPECT_EQ(::mkdir(dir.c_str(), 0755), 0);
  { std::ofstream(dir + "/pre") << "before\n"; }
  EXPECT_EQ(::chown(dir.c_str(), id, id), 0);
  EXPECT_EQ(::chown((dir + "/pre").c_str(), id, id), 0);
  return dir;
}

// The command's own output: stdout less the result line.
std::string printed(const RunOut& r) {
  return r.out.substr(0, r.out.rfind('\n', r.out.size() - 2) + 1);
}

struct stat stat_of(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::lstat(path.c_str(), &st), 0) << path;
  return st;
}

TEST(BindOwner, WritableBindOfAUsersTreeWritesAsThatUser) {
  REQUIRE_ROOT();
  uint32_t id = unused_user_id();
  ASSERT_NE(id, 0u);
  TempDir d;
  std::string tree = user_tree(d, id);
  RunOut r = run_cordon({"run", "--json", "--bind", tree + ":/out:rw", "--", "sh", "-c",
                         "stat -c 'pre=%u:%g' /out/pre; stat -c 'dir=%u:%g' /out; "
                         "echo made > /out/new && mkdir /out/sub && echo deep > /out/sub/f"});
  ASSERT_EQ(r.status, 0) << r.err;
  // Inside, the owner's files are the sandbox's root's.
  EXPECT_EQ(printed(r), "pre=0:0\ndir=0:0\n");
  // On the host, what the sandbox made is the owner's.
  for (const char* f : {"/new", "/sub", "/sub/f"}) {
    struct stat st = stat_of(tree + f);
    EXPECT_EQ(st.st_uid, id) << f;
    EXPECT_EQ(st.st_gid, id) << f;
  }
  EXPECT_EQ(read_file(tree + "/sub/f"), "deep\n");
  const json& bind = r.result["isolation"]["binds"][0];
  EXPECT_EQ(bind["requested"], "auto");
  EXPECT_EQ(bind["ids"], "owner");
  EXPECT_EQ(bind["owner"]["uid"], id);
  EXPECT_EQ(bind["owner"]["gid"], id);
  EXPECT_TRUE(bind["plain_because"].is_null());

  // A second sandbox (another slot, other host IDs) changes and removes them.
  RunOut again = run_cordon({"run", "--bind", tree + ":/out:rw", "--", "sh", "-c",
                             "echo changed > /out/new && rm -r /out/sub && echo x >> /out/pre"});
  ASSERT_EQ(again.status, 0) << again.err;
  EXPECT_EQ(read_file(tree + "/new"), "changed\n");
  EXPECT_EQ(read_file(tree + "/pre"), "before\nx\n");
  EXPECT_FALSE(std::filesystem::exists(tree + "/sub"));
  EXPECT_EQ(stat_of(tree + "/new").st_uid, id);
}

TEST(BindOwner, NoSetIdFileCanBeMadeThroughAnOwnerMappedBind) {
  REQUIRE_ROOT();
  uint32_t id = unused_user_id();
  ASSERT_NE(id, 0u);
  TempDir d;
  std::string tree = user_tree(d, id);
  { std::ofstream(tree + "/tool") << "#!/bin/sh\n"; }
  ASSERT_EQ(::chown((tree + "/tool").c_str(), id, id), 0);
  // Set-ID files the owner already had: a write from the sandbox clears their bits.
  for (const char* f : {"/had-suid", "/had-sgid"}) {
    { std::ofstream(tree + f) << "old\n"; }
    ASSERT_EQ(::chown((tree + f).c_str(), id, id), 0);
  }
  ASSERT_EQ(::chmod((tree + "/had-suid").c_str(), 04755), 0);
  ASSERT_EQ(::chmod((tree + "/had-sgid").c_str(), 02755), 0);
  // chmod, fchmod (install -m) and a mode given at creation all fail with EPERM; the
  // bind is nosuid.
  RunOut r = run_cordon(
      {"run", "--json", "--bind", tree + ":/out:rw", "--", "sh", "-c",
       "cd /out; chmod u+s tool 2>/dev/null && echo suid-set; chmod g+s tool 2>/dev/null && "
       "echo sgid-set; chmod 6755 tool 2>/dev/null && echo both-set; "
       "install -m 4755 tool copy 2>/dev/null && echo install-set; "
       "chmod u+s tool 2>&1 | grep -q 'Operation not permitted' && echo eperm; "
       "chmod 755 tool && echo plain-chmod-ok; "
       "grep ' /out ' /proc/self/mountinfo | grep -q nosuid && echo nosuid; "
       "echo new >> had-suid; echo new >> had-sgid"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(printed(r), "eperm\nplain-chmod-ok\nnosuid\n");
  EXPECT_EQ(r.result["isolation"]["binds"][0]["ids"], "owner");
  struct stat st = stat_of(tree + "/tool");
  EXPECT_EQ(st.st_mode & 07777, 0755u);
  EXPECT_EQ(stat_of(tree + "/had-suid").st_mode & 07777, 0755u);
  EXPECT_EQ(stat_of(tree + "/had-sgid").st_mode & 07777, 0755u);
  EXPECT_EQ(read_file(tree + "/had-sgid"), "old\nnew\n");
  if (std::filesystem::exists(tree + "/copy")) {
    EXPECT_EQ(stat_of(tree + "/copy").st_mode & 06000, 0u);
  }
}

TEST(BindOwner, RootOwnedSourceStaysPlainAndOwnerIsRefusedForIt) {
  REQUIRE_ROOT();
  TempDir d;  // root's
  ::chmod(d.path().c_str(), 0777);
  RunOut r = run_cordon(
      {"run", "--json", "--bind", d.path() + ":/out:rw", "--", "sh", "-c", "echo x > /out/f"});
  ASSERT_EQ(r.status, 0) << r.err;
  uint64_t base = r.result["id_slot"]["uid_base"].get<uint64_t>();
  struct stat st = stat_of(d.path() + "/f");
  EXPECT_EQ(st.st_uid, base);  // the slot's root, as before
  const json& bind = r.result["isolation"]["binds"][0];
  EXPECT_EQ(bind["ids"], "plain");
  EXPECT_TRUE(bind["owner"].is_null());
  EXPECT_NE(bind["plain_because"].get<std::string>().find("root"), std::string::npos) << bind;

  // Asked for explicitly, it is a refusal before anything starts.
  RunOut owner = run_cordon({"run", "--bind", d.path() + ":/out:rw,owner", "--", "true"});
  EXPECT_EQ(owner.status, 64) << owner.err;
  EXPECT_NE(owner.err.find("owner-mapped bind"), std::string::npos) << owner.err;
  EXPECT_NE(owner.err.find("root"), std::string::npos) << owner.err;
}

// A ramfs mounted for a test, detached at the end whatever happened.
class RamfsMount {
 public:
  explicit RamfsMount(const std::string& at) : at_(at) {
    ok_ =
        ::mkdir(at.c_str(), 0755) == 0 && ::mount("cordon-ramfs", at.c_str(), "ramfs", 0, "") == 0;
  }
  ~RamfsMount() {
    if (ok_) ::umount2(at_.c_str(), MNT_DETACH);
  }
  bool ok() const { return ok_; }

 private:
  std::string at_;
  bool ok_ = false;
};

TEST(BindOwner, AutomaticFallsBackToPlainVisiblyAndExplicitOwnerFails) {
  REQUIRE_ROOT();
  uint32_t id = unused_user_id();
  ASSERT_NE(id, 0u);
  TempDir d;
  // ramfs takes no idmapped mount.
  std::string ram = d.path() + "/ram";
  RamfsMount mount(ram);
  ASSERT_TRUE(mount.ok()) << std::strerror(errno);
  ASSERT_EQ(::chown(ram.c_str(), id, id), 0);
  RunOut r = run_cordon({"run", "--json", "--bind", ram + ":/out:rw", "--", "true"});
  ASSERT_EQ(r.status, 0) << r.err;
  const json& bind = r.result["isolation"]["binds"][0];
  EXPECT_EQ(bind["ids"], "plain");
  EXPECT_NE(bind["plain_because"].get<std::string>().find("idmapped"), std::string::npos) << bind;
  RunOut owner = run_cordon({"run", "--bind", ram + ":/out:rw,owner", "--", "true"});
  EXPECT_EQ(owner.status, 64) << owner.err;
  EXPECT_NE(owner.err.find("idmapped"), std::string::npos) << owner.err;

  // Without a filter the set-ID rule cannot hold: a writable bind stays plain.
  std::string tree = user_tree(d, id);
  RunOut unconfined = run_cordon(
      {"run", "--json", "--seccomp", "unconfined", "--bind", tree + ":/out:rw", "--", "true"});
  ASSERT_EQ(unconfined.status, 0) << unconfined.err;
  EXPECT_EQ(unconfined.result["isolation"]["binds"][0]["ids"], "plain");
  EXPECT_NE(unconfined.result["isolation"]["binds"][0]["plain_because"].get<std::string>().find(
                "unconfined"),
            std::string::npos);
}

TEST(BindOwner, PlainModeKeepsTheHostsIds) {
  REQUIRE_ROOT();
  uint32_t id = unused_user_id();
  ASSERT_NE(id, 0u);
  TempDir d;
  std::string tree = user_tree(d, id);
  ::chmod(tree.c_str(), 0777);
  RunOut r = run_cordon({"run", "--json", "--bind", tree + ":/out:rw,plain", "--", "sh", "-c",
                         "stat -c 'pre=%u' /out/pre; echo x > /out/f"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(printed(r), "pre=65534\n");  // another ID's file: nobody
  uint64_t base = r.result["id_slot"]["uid_base"].get<uint64_t>();
  EXPECT_EQ(stat_of(tree + "/f").st_uid, base);
  EXPECT_EQ(r.result["isolation"]["binds"][0]["requested"], "plain");
  EXPECT_EQ(r.result["isolation"]["binds"][0]["ids"], "plain");
}

TEST(BindOwner, ReadOnlyRepositoryOfAUserClonesInside) {
  REQUIRE_ROOT();
  uint32_t id = unused_user_id();
  ASSERT_NE(id, 0u);
  TempDir d;
  std::string repo = d.path() + "/repo";
  bool git = ::access("/usr/bin/git", X_OK) == 0;
  if (git) {
    RunOut made =
        run_program({"/bin/sh", "-c",
                     "git init -q " + repo + " && cd " + repo +
                         " && echo content > file && git add file && git -c user.name=t -c "
                         "user.email=t@t commit -qm first && chown -R " +
                         std::to_string(id) + ":" + std::to_string(id) + " " + repo});
    ASSERT_EQ(made.status, 0) << made.err;
  } else {
    user_tree(d, id, "repo");
  }
  std::string script =
      git ? "git clone -q /repo /tmp/clone && cat /tmp/clone/file" : "stat -c '%u:%g' /repo/pre";
  RunOut r = run_cordon({"run", "--json", "--bind", repo + ":/repo", "--", "sh", "-c", script});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(printed(r), git ? "content\n" : "0:0\n");
  EXPECT_EQ(r.result["isolation"]["binds"][0]["ids"], "owner");
  EXPECT_EQ(r.result["isolation"]["binds"][0]["writable"], false);
  // Still read-only.
  RunOut w = run_cordon({"run", "--bind", repo + ":/repo", "--", "sh", "-c",
                         "touch /repo/new 2>/dev/null && echo wrote; true"});
  EXPECT_EQ(w.out, "");
  EXPECT_FALSE(std::filesystem::exists(repo + "/new"));
}

TEST(BindOwner, DaemonJobWritesIntoTheFoldersItIsGiven) {
  REQUIRE_ROOT();
  Daemon d;
  ASSERT_TRUE(d.start()) << d.log();
  std::string tok = d.tenant("alpha");
  // docs/api.md's example: an input file in out/, and the job writes next to it.
  json job = sh_job("mkdir -p out && echo hi > out/result.txt && stat -c '%u' out out/x");
  job["files"] = {{{"path", "out/x"}, {"content", "given\n"}}};
  std::string id = d.submit(tok, job);
  ASSERT_FALSE(id.empty());
  json ended = d.wait_ended(tok, id);
  ASSERT_TRUE(ended.is_object()) << d.log();
  EXPECT_EQ(ended["state"], "succeeded") << ended.dump();
  EXPECT_EQ(d.call("GET", "/v1/jobs/" + id + "/logs", "", tok).body, "0\n0\n");
  EXPECT_EQ(d.call("GET", "/v1/jobs/" + id + "/files/out/result.txt", "", tok).body, "hi\n");
  EXPECT_EQ(d.call("GET", "/v1/jobs/" + id + "/files/out/x", "", tok).body, "given\n");
  EXPECT_EQ(ended["result"]["isolation"]["binds"][0]["ids"], "sandbox");
}

}  // namespace
}  // namespace cordon::testing
