// Loop devices: a regular file as a block device, to mount a filesystem image (an
// instance's disk). Hand-written, two ioctls: libmount does the same but ships no static
// library for the static cordon.
#pragma once

#include <string>

#include "base/result.h"
#include "base/unique_fd.h"

namespace cordon::sys {

struct LoopDevice {
  std::string path;  // /dev/loopN
  UniqueFd fd;       // open: the device stays configured while it is (autoclear)
};

// A free loop device (LOOP_CTL_GET_FREE) configured on file_fd (LOOP_CONFIGURE) with
// LO_FLAGS_AUTOCLEAR: the kernel detaches it when its last user is gone (the fd closed and
// the filesystem on it unmounted), so nothing is left to clean after a crash. Retries
// when another taker configured the same free device first.
Result<LoopDevice> attach_loop(int file_fd, const std::string& file_path);

}  // namespace cordon::sys
