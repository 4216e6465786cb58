// The sandbox's stdout and stderr pass through the supervisor, which counts them against
// the output limit: past it, what is over is cut and the sandbox is killed.
#pragma once

#include <cstdint>

#include "base/result.h"
#include "base/unique_fd.h"

namespace cordon::isolate {

class OutputPump {
 public:
  // The read ends of the sandbox's stdout and stderr pipes, copied to out_dest and
  // err_dest; limit counts both together.
  OutputPump(UniqueFd out, UniqueFd err, int out_dest, int err_dest, uint64_t limit);

  int out_fd() const { return out_.get(); }
  int err_fd() const { return err_.get(); }
  // Copies what is readable on fd (out_fd() or err_fd()); closes it at EOF.
  Status pump(int fd);
  bool open() const { return out_.valid() || err_.valid(); }
  bool over_limit() const { return over_; }
  uint64_t bytes() const { return bytes_; }

 private:
  UniqueFd out_;
  UniqueFd err_;
  int out_dest_;
  int err_dest_;
  uint64_t limit_;
  uint64_t bytes_ = 0;  // passed on, at most limit_
  bool over_ = false;
};

}  // namespace cordon::isolate
