#include "sys/loop.h"

#include <fcntl.h>
#include <linux/loop.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace cordon::sys {

Result<LoopDevice> attach_loop(int file_fd, const std::string& file_path) {
  UniqueFd control(::open("/dev/loop-control", O_RDWR | O_CLOEXEC));
  if (!control.valid()) return errno_error(errno, "open loop control", "/dev/loop-control");
  for (int attempt = 0; attempt < 16; ++attempt) {
    int n = ::ioctl(control.get(), LOOP_CTL_GET_FREE);
    if (n < 0) return errno_error(errno, "find a free loop device", "/dev/loop-control");
    LoopDevice dev;
    dev.path = "/dev/loop" + std::to_string(n);
    dev.fd = UniqueFd(::open(dev.path.c_str(), O_RDWR | O_CLOEXEC));
    if (!dev.fd.valid()) return errno_error(errno, "open loop device", dev.path);
    struct loop_config cfg;
    std::memset(&cfg, 0, sizeof(cfg));
    cfg.fd = static_cast<uint32_t>(file_fd);
    cfg.info.lo_flags = LO_FLAGS_AUTOCLEAR;
    std::strncpy(reinterpret_cast<char*>(cfg.info.lo_file_name), file_path.c_str(),
                 LO_NAME_SIZE - 1);
    if (::ioctl(dev.fd.get(), LOOP_CONFIGURE, &cfg) == 0) return dev;
    if (errno != EBUSY) return errno_error(errno, "configure loop device", dev.path);
    // Another taker got this one between GET_FREE and CONFIGURE: ask again.
  }
  return errno_error(EBUSY, "configure loop device", file_path);
}

}  // namespace cordon::sys
