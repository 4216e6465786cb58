#include "sys/file_lock.h"

#include <sys/file.h>

#include <cerrno>

namespace cordon::sys {

Status lock_wait(int fd) {
  while (::flock(fd, LOCK_EX) != 0) {
    if (errno != EINTR) return sys_error("flock");
  }
  return {};
}

}  // namespace cordon::sys
