// Owner-mapped binds (docs/threat-model.md, "Owner-mapped binds"): a bind of a tree owned
// by a normal user is idmapped so that the sandbox's user is that owner, both ways; root's
// and system trees stay plain; nothing set-ID can be made through such a bind. And the
// daemon's workspace is the job's own to write. Checked from the host on real sandboxes.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/capability.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
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

// An ID (between login.defs' default UID_MIN and UID_MAX) that no user and no group of
// this host has, from start on.
uint32_t unused_id(uint32_t start = 47000) {
  std::set<uint32_t> users = ids_in("/etc/passwd");
  std::set<uint32_t> groups = ids_in("/etc/group");
  for (uint32_t id = start; id < 59000; ++id)
    if (!users.count(id) && !groups.count(id)) return id;
  return 0;
}

// A throwaway group (cordon-t-gID) and, with a user, a throwaway account (cordon-t-ID) of
// that primary group, the owner of the trees below, on a free ID; removed at the end
// whatever happened. Tests in parallel may take the same ID: useradd and groupadd refuse a
// taken one, and the next is tried.
class TestGroup {
 public:
  TestGroup() {
    for (uint32_t id = unused_id(); id != 0; id = unused_id(id + 1)) {
      std::string name = "cordon-t-g" + std::to_string(id);
      if (run_program({"/usr/sbin/groupadd", "-g", std::to_string(id), name}).status == 0) {
        gid_ = id;
        name_ = name;
        return;
      }
    }
  }
  ~TestGroup() {
    if (gid_ != 0) run_program({"/usr/sbin/groupdel", name_});
  }
  uint32_t gid() const { return gid_; }
  const std::string& name() const { return name_; }

 private:
  uint32_t gid_ = 0;
  std::string name_;
};

class TestUser {
 public:
  // extra: a group that lists the user (group(5)), or none.
  explicit TestUser(const TestGroup* extra = nullptr) {
    if (group_.gid() == 0) return;
    for (uint32_t id = group_.gid(); id != 0; id = unused_id(id + 1)) {
      std::string name = "cordon-t-" + std::to_string(id);
      std::vector<std::string> argv = {"/usr/sbin/useradd",
                                       "-M",
                                       "-N",
                                       "-u",
                                       std::to_string(id),
                                       "-g",
                                       std::to_string(group_.gid()),
                                       "-s",
                                       "/usr/sbin/nologin"};
      if (extra != nullptr) {
        argv.push_back("-G");
        argv.push_back(extra->name());
      }
      argv.push_back(name);
      if (run_program(argv).status == 0) {
        uid_ = id;
        name_ = name;
        return;
      }
    }
  }
  ~TestUser() {
    if (uid_ != 0) run_program({"/usr/sbin/userdel", name_});
  }
  bool ok() const { return uid_ != 0; }
  uint32_t uid() const { return uid_; }
  uint32_t gid() const { return group_.gid(); }

 private:
  TestGroup group_;  // made first, removed last
  uint32_t uid_ = 0;
  std::string name_;
};

// A directory below d owned by uid:gid, with a file "pre" in it (also theirs).
std::string user_tree(const TempDir& d, uint32_t uid, uint32_t gid,
                      const std::string& name = "tree") {
  std::string dir = d.path() + "/" + name;
  EXPECT_EQ(::mkdir(dir.c_str(), 0755), 0);
  { std::ofstream(dir + "/pre") << "before\n"; }
  EXPECT_EQ(::chown(dir.c_str(), uid, gid), 0);
  EXPECT_EQ(::chown((dir + "/pre").c_str(), uid, gid), 0);
  return dir;
}
std::string user_tree(const TempDir& d, const TestUser& u, const std::string& name = "tree") {
  return user_tree(d, u.uid(), u.gid(), name);
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
  TestUser owner;
  ASSERT_TRUE(owner.ok());
  TempDir d;
  std::string tree = user_tree(d, owner);
  RunOut r = run_cordon({"run", "--json", "--bind", tree + ":/out:rw", "--", "sh", "-c",
                         "stat -c 'pre=%u:%g' /out/pre; stat -c 'dir=%u:%g' /out; "
                         "echo made > /out/new && mkdir /out/sub && echo deep > /out/sub/f"});
  ASSERT_EQ(r.status, 0) << r.err;
  // Inside, the owner's files are the sandbox's root's.
  EXPECT_EQ(printed(r), "pre=0:0\ndir=0:0\n");
  // On the host, what the sandbox made is the owner's.
  for (const char* f : {"/new", "/sub", "/sub/f"}) {
    struct stat st = stat_of(tree + f);
    EXPECT_EQ(st.st_uid, owner.uid()) << f;
    EXPECT_EQ(st.st_gid, owner.gid()) << f;
  }
  EXPECT_EQ(read_file(tree + "/sub/f"), "deep\n");
  const json& bind = r.result["isolation"]["binds"][0];
  EXPECT_EQ(bind["requested"], "auto");
  EXPECT_EQ(bind["ids"], "owner");
  EXPECT_EQ(bind["owner"]["uid"], owner.uid());
  EXPECT_EQ(bind["owner"]["gid"], owner.gid());
  EXPECT_TRUE(bind["plain_because"].is_null());

  // A second sandbox (another slot, other host IDs) changes and removes them.
  RunOut again = run_cordon({"run", "--bind", tree + ":/out:rw", "--", "sh", "-c",
                             "echo changed > /out/new && rm -r /out/sub && echo x >> /out/pre"});
  ASSERT_EQ(again.status, 0) << again.err;
  EXPECT_EQ(read_file(tree + "/new"), "changed\n");
  EXPECT_EQ(read_file(tree + "/pre"), "before\nx\n");
  EXPECT_FALSE(std::filesystem::exists(tree + "/sub"));
  EXPECT_EQ(stat_of(tree + "/new").st_uid, owner.uid());
}

TEST(BindOwner, NoSetIdFileCanBeMadeThroughAnOwnerMappedBind) {
  REQUIRE_ROOT();
  TestUser owner;
  ASSERT_TRUE(owner.ok());
  TempDir d;
  std::string tree = user_tree(d, owner);
  { std::ofstream(tree + "/tool") << "#!/bin/sh\n"; }
  ASSERT_EQ(::chown((tree + "/tool").c_str(), owner.uid(), owner.gid()), 0);
  // chmod, fchmod (install -m) and a mode given at creation all fail with EPERM; the
  // bind is nosuid.
  RunOut r = run_cordon(
      {"run", "--json", "--bind", tree + ":/out:rw", "--", "sh", "-c",
       "cd /out; chmod u+s tool 2>/dev/null && echo suid-set; chmod g+s tool 2>/dev/null && "
       "echo sgid-set; chmod 6755 tool 2>/dev/null && echo both-set; "
       "install -m 4755 tool copy 2>/dev/null && echo install-set; "
       "chmod u+s tool 2>&1 | grep -q 'Operation not permitted' && echo eperm; "
       "chmod 755 tool && echo plain-chmod-ok; "
       "grep ' /out ' /proc/self/mountinfo | grep -q nosuid && echo nosuid"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(printed(r), "eperm\nplain-chmod-ok\nnosuid\n");
  EXPECT_EQ(r.result["isolation"]["binds"][0]["ids"], "owner");
  struct stat st = stat_of(tree + "/tool");
  EXPECT_EQ(st.st_mode & 07777, 0755u);
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

  // Asked for explicitly, it is a refusal before anything starts, and the result claims
  // no bind made.
  RunOut owner = run_cordon({"run", "--json", "--bind", d.path() + ":/out:rw,owner", "--", "true"});
  EXPECT_EQ(owner.status, 64) << owner.err;
  ASSERT_TRUE(owner.result.is_object()) << owner.out;
  const json& refused = owner.result["isolation"]["binds"][0];
  EXPECT_TRUE(refused["ids"].is_null()) << refused;
  EXPECT_TRUE(refused["owner"].is_null()) << refused;
  EXPECT_NE(owner.err.find("owner-mapped bind"), std::string::npos) << owner.err;
  EXPECT_NE(owner.err.find("root"), std::string::npos) << owner.err;
}

// A ramfs (or another filesystem) mounted for a test, detached at the end whatever
// happened.
class RamfsMount {
 public:
  explicit RamfsMount(const std::string& at, const char* type = "ramfs") : at_(at) {
    ok_ = ::mkdir(at.c_str(), 0755) == 0 &&
          ::mount((std::string("cordon-") + type).c_str(), at.c_str(), type, 0, "") == 0;
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
  TestUser owner;
  ASSERT_TRUE(owner.ok());
  TempDir d;
  // ramfs takes no idmapped mount.
  std::string ram = d.path() + "/ram";
  RamfsMount mount(ram);
  ASSERT_TRUE(mount.ok()) << std::strerror(errno);
  ASSERT_EQ(::chown(ram.c_str(), owner.uid(), owner.gid()), 0);
  RunOut r = run_cordon({"run", "--json", "--bind", ram + ":/out:rw", "--", "true"});
  ASSERT_EQ(r.status, 0) << r.err;
  const json& bind = r.result["isolation"]["binds"][0];
  EXPECT_EQ(bind["ids"], "plain");
  EXPECT_NE(bind["plain_because"].get<std::string>().find("idmapped"), std::string::npos) << bind;
  RunOut asked = run_cordon({"run", "--bind", ram + ":/out:rw,owner", "--", "true"});
  EXPECT_EQ(asked.status, 64) << asked.err;
  EXPECT_NE(asked.err.find("idmapped"), std::string::npos) << asked.err;

  // Without a filter the set-ID rule cannot hold: a writable bind stays plain.
  std::string tree = user_tree(d, owner);
  RunOut unconfined = run_cordon(
      {"run", "--json", "--seccomp", "unconfined", "--bind", tree + ":/out:rw", "--", "true"});
  ASSERT_EQ(unconfined.status, 0) << unconfined.err;
  EXPECT_EQ(unconfined.result["isolation"]["binds"][0]["ids"], "plain");
  EXPECT_NE(unconfined.result["isolation"]["binds"][0]["plain_because"].get<std::string>().find(
                "unconfined"),
            std::string::npos);
}

// Writes "MMAPPED" over the start of the file named by its argument through a shared
// writable mapping (the one write the kernel does not clear set-ID bits and file
// capabilities on), or says "refused".
const char* kMmapWrite =
    "python3 -c 'import mmap,sys; f=open(sys.argv[1],\"r+b\"); m=mmap.mmap(f.fileno(),0); "
    "m[0:7]=b\"MMAPPED\"; m.flush(); print(\"written\")' \"$0\" 2>/dev/null || echo refused";

// The red team's weakness: a set-UID, set-GID or capability file of the owner, written
// through a shared mapping from an owner-mapped bind, kept its bit with the sandbox's code
// in it. A writable bind of a tree holding one now stays plain (the sandbox cannot open
// the file for writing), and an explicit owner mapping is refused.
TEST(BindOwner, SharedMmapWriteCannotKeepASetIdOrCapabilityFile) {
  REQUIRE_ROOT();
  ASSERT_EQ(::access("/usr/bin/python3", X_OK), 0);
  TestUser owner;
  ASSERT_TRUE(owner.ok());
  TempDir d;
  auto owned_file = [&](const std::string& path, mode_t mode) {
    { std::ofstream(path) << "original\n"; }
    EXPECT_EQ(::chown(path.c_str(), owner.uid(), owner.gid()), 0);
    EXPECT_EQ(::chmod(path.c_str(), mode), 0);
  };

  // The writer works: on a tree with no such file the bind is owner-mapped and the shared
  // mapping's write reaches the owner's file on the host.
  std::string clean = user_tree(d, owner, "clean");
  owned_file(clean + "/tool", 0755);
  RunOut ok = run_cordon(
      {"run", "--json", "--bind", clean + ":/w:rw", "--", "sh", "-c", kMmapWrite, "/w/tool"});
  ASSERT_EQ(ok.status, 0) << ok.err;
  EXPECT_EQ(printed(ok), "written\n");
  EXPECT_EQ(ok.result["isolation"]["binds"][0]["ids"], "owner");
  EXPECT_EQ(read_file(clean + "/tool"), "MMAPPEDl\n");  // over "original\n"

  struct Case {
    std::string name;  // where the file is, below the tree
    mode_t mode;
    bool caps;
    bool submount;  // the file is on a tmpfs mounted below the tree
  };
  const std::vector<Case> cases = {{"tool", 04755, false, false},
                                   {"tool", 02644, false, false},  // set-GID, no group exec
                                   {"tool", 0755, true, false},
                                   {"a/b/tool", 06755, false, false},
                                   {"sub/tool", 04755, false, true}};
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name + " mode " + std::to_string(c.mode) + (c.caps ? " caps" : ""));
    TempDir cd;
    std::string tree = user_tree(cd, owner);
    std::unique_ptr<RamfsMount> sub;
    if (c.submount) {
      sub = std::make_unique<RamfsMount>(tree + "/sub", "tmpfs");
      ASSERT_TRUE(sub->ok()) << std::strerror(errno);
      ASSERT_EQ(::chown((tree + "/sub").c_str(), owner.uid(), owner.gid()), 0);
    } else if (c.name != "tool") {
      ASSERT_EQ(::mkdir((tree + "/a").c_str(), 0755), 0);
      ASSERT_EQ(::mkdir((tree + "/a/b").c_str(), 0755), 0);
    }
    std::string file = tree + "/" + c.name;
    owned_file(file, c.mode);
    if (c.caps) {
      // What `setcap cap_chown,cap_dac_read_search+ep` writes.
      vfs_cap_data cap{};
      cap.magic_etc = VFS_CAP_REVISION_2 | VFS_CAP_FLAGS_EFFECTIVE;
      cap.data[0].permitted = (1u << CAP_CHOWN) | (1u << CAP_DAC_READ_SEARCH);
      ASSERT_EQ(::setxattr(file.c_str(), "security.capability", &cap, XATTR_CAPS_SZ_2, 0), 0)
          << std::strerror(errno);
    }
    RunOut r = run_cordon(
        {"run", "--json", "--bind", tree + ":/w:rw", "--", "sh", "-c", kMmapWrite, "/w/" + c.name});
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(printed(r), "refused\n");
    const json& bind = r.result["isolation"]["binds"][0];
    EXPECT_EQ(bind["ids"], "plain");
    EXPECT_EQ(bind["plain_because"], "it holds a set-ID or capability file: " + file) << bind;
    // The file is as it was, bit and capabilities included.
    EXPECT_EQ(read_file(file), "original\n");
    EXPECT_EQ(stat_of(file).st_mode & 07777, c.mode);
    if (c.caps) {
      EXPECT_GT(::getxattr(file.c_str(), "security.capability", nullptr, 0), 0)
          << std::strerror(errno);
    }

    RunOut owner_asked = run_cordon({"run", "--bind", tree + ":/w:rw,owner", "--", "true"});
    EXPECT_EQ(owner_asked.status, 64) << owner_asked.err;
    EXPECT_NE(owner_asked.err.find("set-ID or capability file: " + file), std::string::npos)
        << owner_asked.err;

    // Read-only, nothing can be written: it stays owner-mapped.
    RunOut ro = run_cordon({"run", "--json", "--bind", tree + ":/w:ro", "--", "true"});
    ASSERT_EQ(ro.status, 0) << ro.err;
    EXPECT_EQ(ro.result["isolation"]["binds"][0]["ids"], "owner");
  }
}

// The walk is bounded: a writable tree of more entries than it walks is not owner-mapped.
TEST(BindOwner, WritableTreeLargerThanTheCheckStaysPlain) {
  REQUIRE_ROOT();
  TestUser owner;
  ASSERT_TRUE(owner.ok());
  TempDir d;
  // pre, many and 99,999 files in it: 100,001 entries, one more than the walk takes.
  std::string tree = user_tree(d, owner);
  ASSERT_EQ(::mkdir((tree + "/many").c_str(), 0755), 0);
  for (int i = 0; i < 99999; ++i) {
    int fd =
        ::open((tree + "/many/" + std::to_string(i)).c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
    ASSERT_GE(fd, 0) << std::strerror(errno);
    ::close(fd);
  }
  RunOut r = run_cordon({"run", "--json", "--bind", tree + ":/w:rw", "--", "true"});
  ASSERT_EQ(r.status, 0) << r.err;
  const json& bind = r.result["isolation"]["binds"][0];
  EXPECT_EQ(bind["ids"], "plain");
  EXPECT_NE(bind["plain_because"].get<std::string>().find("more than 100000 entries"),
            std::string::npos)
      << bind;
  RunOut owner_asked = run_cordon({"run", "--bind", tree + ":/w:rw,owner", "--", "true"});
  EXPECT_EQ(owner_asked.status, 64) << owner_asked.err;
  EXPECT_NE(owner_asked.err.find("more than 100000 entries"), std::string::npos) << owner_asked.err;
  // One entry fewer, and it is owner-mapped.
  ASSERT_EQ(::unlink((tree + "/pre").c_str()), 0);
  RunOut fits = run_cordon({"run", "--json", "--bind", tree + ":/w:rw", "--", "true"});
  ASSERT_EQ(fits.status, 0) << fits.err;
  EXPECT_EQ(fits.result["isolation"]["binds"][0]["ids"], "owner");
}

// The red team's second weakness: the source's group was mapped whatever it was, so the
// sandbox acted as a group its owner is not in. Only the owner's primary group or a group
// listing the owner is mapped; an owner with no account is not mapped at all.
TEST(BindOwner, GroupIsMappedOnlyWhenTheOwnerIsInIt) {
  REQUIRE_ROOT();
  TestGroup other;
  TestGroup listing;
  ASSERT_NE(other.gid(), 0u);
  ASSERT_NE(listing.gid(), 0u);
  TestUser owner(&listing);
  ASSERT_TRUE(owner.ok());
  TempDir d;

  // A group the owner is not in: another user's file of that group stays out of reach.
  std::string theirs = user_tree(d, owner.uid(), other.gid(), "theirs");
  { std::ofstream(theirs + "/bobs") << "secret\n"; }
  ASSERT_EQ(::chown((theirs + "/bobs").c_str(), owner.uid() + 1, other.gid()), 0);
  ASSERT_EQ(::chmod((theirs + "/bobs").c_str(), 0640), 0);
  RunOut r = run_cordon({"run", "--json", "--bind", theirs + ":/w:rw", "--", "sh", "-c",
                         "cat /w/bobs 2>/dev/null || echo unreadable"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(printed(r), "unreadable\n");
  const json& bind = r.result["isolation"]["binds"][0];
  EXPECT_EQ(bind["ids"], "plain");
  EXPECT_NE(bind["plain_because"].get<std::string>().find("group " + std::to_string(other.gid())),
            std::string::npos)
      << bind;
  RunOut refused = run_cordon({"run", "--bind", theirs + ":/w:ro,owner", "--", "true"});
  EXPECT_EQ(refused.status, 64) << refused.err;
  EXPECT_NE(refused.err.find("group " + std::to_string(other.gid())), std::string::npos)
      << refused.err;

  // A group that lists the owner: mapped, and what the sandbox makes is of that group.
  std::string listed = user_tree(d, owner.uid(), listing.gid(), "listed");
  RunOut m = run_cordon(
      {"run", "--json", "--bind", listed + ":/w:rw", "--", "sh", "-c", "echo x > /w/new"});
  ASSERT_EQ(m.status, 0) << m.err;
  EXPECT_EQ(m.result["isolation"]["binds"][0]["ids"], "owner");
  EXPECT_EQ(m.result["isolation"]["binds"][0]["owner"]["gid"], listing.gid());
  EXPECT_EQ(stat_of(listed + "/new").st_uid, owner.uid());
  EXPECT_EQ(stat_of(listed + "/new").st_gid, listing.gid());

  // An owner with no account.
  uint32_t none = unused_id();
  ASSERT_NE(none, 0u);
  std::string orphan = user_tree(d, none, none, "orphan");
  RunOut o = run_cordon({"run", "--json", "--bind", orphan + ":/w:ro", "--", "true"});
  ASSERT_EQ(o.status, 0) << o.err;
  EXPECT_EQ(o.result["isolation"]["binds"][0]["ids"], "plain");
  EXPECT_NE(
      o.result["isolation"]["binds"][0]["plain_because"].get<std::string>().find("no account"),
      std::string::npos);
  RunOut oo = run_cordon({"run", "--bind", orphan + ":/w:ro,owner", "--", "true"});
  EXPECT_EQ(oo.status, 64) << oo.err;
}

TEST(BindOwner, PlainModeKeepsTheHostsIds) {
  REQUIRE_ROOT();
  TestUser owner;
  ASSERT_TRUE(owner.ok());
  TempDir d;
  std::string tree = user_tree(d, owner);
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
  TestUser owner;
  ASSERT_TRUE(owner.ok());
  TempDir d;
  std::string repo = d.path() + "/repo";
  bool git = ::access("/usr/bin/git", X_OK) == 0;
  if (git) {
    RunOut made = run_program(
        {"/bin/sh", "-c",
         "git init -q " + repo + " && cd " + repo +
             " && echo content > file && git add file && git -c user.name=t -c "
             "user.email=t@t commit -qm first && chown -R " +
             std::to_string(owner.uid()) + ":" + std::to_string(owner.gid()) + " " + repo});
    ASSERT_EQ(made.status, 0) << made.err;
  } else {
    user_tree(d, owner, "repo");
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
