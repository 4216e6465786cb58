// Run a cleanup at scope exit unless dismissed: for one-off undo steps that
// have no owning type of their own.
#pragma once

#include <utility>

namespace cordon {

template <typename F>
class Defer {
 public:
  explicit Defer(F f) : f_(std::move(f)) {}
  Defer(const Defer&) = delete;
  Defer& operator=(const Defer&) = delete;
  ~Defer() {
    if (armed_) f_();
  }
  void dismiss() { armed_ = false; }

 private:
  F f_;
  bool armed_ = true;
};

}  // namespace cordon
