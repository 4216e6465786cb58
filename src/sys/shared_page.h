// Anonymous shared memory that survives fork: the supervisor and the processes it clones
// (without CLONE_VM) see the same bytes. Gone from a process at its execve.
#pragma once

#include <cstddef>
#include <utility>

#include "base/result.h"

namespace cordon::sys {

class SharedPage {
 public:
  SharedPage() = default;
  SharedPage(const SharedPage&) = delete;
  SharedPage& operator=(const SharedPage&) = delete;
  SharedPage(SharedPage&& o) noexcept
      : data_(std::exchange(o.data_, nullptr)), size_(std::exchange(o.size_, 0)) {}
  SharedPage& operator=(SharedPage&& o) noexcept;
  ~SharedPage();

  // mmap(MAP_SHARED|MAP_ANONYMOUS) of at least bytes, zero-filled.
  static Result<SharedPage> create(size_t bytes);

  void* data() const { return data_; }
  size_t size() const { return size_; }

 private:
  void* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace cordon::sys
