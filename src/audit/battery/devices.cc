// devices: reach hardware or the kernel's memory through a device node. The sandbox's
// /dev holds only null, zero, full, random, urandom, tty and a private devpts; it cannot
// make device nodes, and its writable filesystems are nodev. Device files are only
// opened read-only (with O_NONBLOCK) and closed; nothing is read or written, and an
// unknown character device is never opened at all (a watchdog reboots on open).
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <set>
#include <sstream>

#include "battery.h"

namespace audit {
namespace {

Outcome open_device(const char* path) {
  int e = try_open(path, O_RDONLY | O_NONBLOCK);
  if (e == 0) return escaped(std::string(path) + " opened read-only (nothing read)");
  return stopped(err_name(e));
}

Outcome dev_mem(const Context&) {
  return open_device("/dev/mem");
}
Outcome dev_kmem(const Context&) {
  return open_device("/dev/kmem");
}
Outcome dev_port(const Context&) {
  return open_device("/dev/port");
}
Outcome dev_kmsg(const Context&) {
  return open_device("/dev/kmsg");
}

// Makes a node in /tmp (removed at once), then opens it. mknod of a real device needs
// CAP_MKNOD in the host's user namespace: it working at all is the escape, even where the
// open then fails on a nodev filesystem (the node could be made on another one).
Outcome make_node(const std::string& id, mode_t type, dev_t dev, const std::string& what) {
  std::string path = escape_name("/tmp", id);
  if (::mknod(path.c_str(), type | 0600, dev) != 0)
    return stopped("mknod " + what + ": " + err_name(errno));
  int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
  int e = errno;
  ::unlink(path.c_str());
  if (fd < 0) return escaped("mknod " + what + " allowed (removed); open " + err_name(e));
  ::close(fd);
  return escaped("mknod " + what + " in /tmp and opened it (removed)");
}

// Character device 1:3 is /dev/null: harmless if it ever works.
Outcome mknod_char(const Context&) {
  return make_node("mknod-char", S_IFCHR, makedev(1, 3), "c 1:3");
}

// A block device: the first one /proc/partitions lists (else loop0, 7:0). Only opened
// read-only.
Outcome mknod_block(const Context&) {
  unsigned int maj = 7, min = 0;
  if (auto s = read_text("/proc/partitions")) {
    std::istringstream in(*s);
    std::string line;
    while (std::getline(in, line)) {
      unsigned int a, b;
      unsigned long long blocks;
      char name[64];
      if (sscanf(line.c_str(), "%u %u %llu %63s", &a, &b, &blocks, name) == 4) {
        maj = a;
        min = b;
        break;
      }
    }
  }
  return make_node("mknod-block", S_IFBLK, makedev(maj, min),
                   "b " + std::to_string(maj) + ":" + std::to_string(min));
}

void scan_dev(const std::string& dir, int depth, std::vector<std::pair<std::string, dev_t>>* blk,
              std::vector<std::pair<std::string, dev_t>>* chr) {
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return;
  while (struct dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    std::string path = dir + "/" + name;
    struct stat st;
    if (::lstat(path.c_str(), &st) != 0) continue;
    if (S_ISBLK(st.st_mode)) blk->push_back({path, st.st_rdev});
    if (S_ISCHR(st.st_mode)) chr->push_back({path, st.st_rdev});
    if (S_ISDIR(st.st_mode) && depth < 2) scan_dev(path, depth + 1, blk, chr);
  }
  ::closedir(d);
}

// Every block device node visible under /dev, opened read-only.
Outcome block_devices(const Context&) {
  std::vector<std::pair<std::string, dev_t>> blk, chr;
  scan_dev("/dev", 0, &blk, &chr);
  if (blk.empty()) return stopped("no block device under /dev");
  std::string opened, refused;
  for (const auto& [path, dev] : blk) {
    int e = try_open(path, O_RDONLY | O_NONBLOCK);
    if (e == 0) {
      opened += " " + path;
    } else {
      refused += " " + path + ":" + err_name(e);
    }
  }
  if (!opened.empty()) return escaped("opened read-only:" + opened);
  return stopped(std::to_string(blk.size()) + " block devices, none opens:" + refused);
}

// Character devices beyond the minimal set (presence only: none is opened).
Outcome unexpected_char_devices(const Context&) {
  std::vector<std::pair<std::string, dev_t>> blk, chr;
  scan_dev("/dev", 0, &blk, &chr);
  // null zero full random urandom (1:3,5,7,8,9), tty (5:0), ptmx (5:2), pts (136-143).
  static const std::set<std::pair<unsigned, unsigned>> kAllowed = {{1, 3}, {1, 5}, {1, 7}, {1, 8},
                                                                   {1, 9}, {5, 0}, {5, 2}};
  std::string extra;
  int n = 0;
  for (const auto& [path, dev] : chr) {
    unsigned ma = major(dev), mi = minor(dev);
    if (kAllowed.count({ma, mi}) != 0 || (ma >= 136 && ma <= 143)) continue;
    if (++n <= 8) extra += " " + path + "(" + std::to_string(ma) + ":" + std::to_string(mi) + ")";
  }
  if (n > 0) return escaped(std::to_string(n) + " unexpected character devices:" + extra);
  return stopped(std::to_string(chr.size()) + " character devices, all in the minimal set");
}

// /dev/null is the host's own inode, bound writable (its data is the device's). Root inside
// may hold CAP_FOWNER, which must not reach an inode whose owner is outside the slot.
// chmod to the mode it already has: allowed, it would change nothing.
Outcome host_inode_owner(const Context&) {
  struct stat st;
  if (::stat("/dev/null", &st) != 0) return skipped("stat /dev/null: " + err_name(errno));
  if (::chmod("/dev/null", st.st_mode & 07777) == 0)
    return escaped("chmod of the host's /dev/null (owner " + std::to_string(st.st_uid) +
                   " inside) allowed");
  return stopped("chmod /dev/null: " + err_name(errno));
}

}  // namespace

const Category& devices_category() {
  static const Category c = {
      "devices",
      false,
      {
          {"mknod-char", "mknod c 1:3 in /tmp, then open it", mknod_char},
          {"mknod-block", "mknod of the first disk in /tmp, then open it read-only", mknod_block},
          {"dev-mem", "open /dev/mem read-only", dev_mem},
          {"dev-kmem", "open /dev/kmem read-only", dev_kmem},
          {"dev-port", "open /dev/port read-only", dev_port},
          {"dev-kmsg", "open /dev/kmsg read-only", dev_kmsg},
          {"block-devices", "open every block device under /dev read-only", block_devices},
          {"unexpected-char-devices", "character devices beyond the minimal /dev (not opened)",
           unexpected_char_devices},
          {"host-inode-owner", "chmod of /dev/null, a host inode, to its own mode",
           host_inode_owner},
      },
  };
  return c;
}

}  // namespace audit
