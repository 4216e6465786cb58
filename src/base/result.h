// Errors as values: every fallible call returns Result<T>; the error names the
// step (usually the syscall), the object it acted on, and errno. It is logged
// once, at the edge (cmd/), never deep inside.
#pragma once

#include <cerrno>
#include <string>
#include <utility>
#include <variant>

namespace cordon {

struct Error {
  int err = 0;         // errno, 0 when the failure is not a syscall's
  std::string step;    // what was being done: "mount", "write uid_map", ...
  std::string path;    // the object: a path, a pid, an option name
  std::string detail;  // free text for failures that errno does not explain

  // "mount /proc on /newroot/proc: Operation not permitted"
  std::string to_string() const;
};

// The errno of the failing syscall, captured at once so that later calls do not clobber it.
inline Error sys_error(std::string step, std::string path = {}) {
  return Error{errno, std::move(step), std::move(path), {}};
}
inline Error errno_error(int err, std::string step, std::string path = {}) {
  return Error{err, std::move(step), std::move(path), {}};
}
inline Error logic_error(std::string step, std::string path, std::string detail) {
  return Error{0, std::move(step), std::move(path), std::move(detail)};
}

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Error e) : v_(std::move(e)) {}      // NOLINT
  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() & { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  const T& value() const& { return std::get<0>(v_); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const Error& error() const& { return std::get<1>(v_); }
  Error&& error() && { return std::get<1>(std::move(v_)); }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error e) : err_(std::move(e)), ok_(false) {}  // NOLINT
  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const& { return err_; }
  Error&& error() && { return std::move(err_); }

 private:
  Error err_;
  bool ok_ = true;
};

using Status = Result<void>;

}  // namespace cordon

// TRY(expr): evaluate a Result; on error return it from the enclosing function.
#define CORDON_CONCAT_(a, b) a##b
#define CORDON_CONCAT(a, b) CORDON_CONCAT_(a, b)
#define TRY(expr)                                                \
  do {                                                           \
    auto CORDON_CONCAT(try_r_, __LINE__) = (expr);               \
    if (!CORDON_CONCAT(try_r_, __LINE__).ok())                   \
      return std::move(CORDON_CONCAT(try_r_, __LINE__)).error(); \
  } while (0)

// ASSIGN_OR_RETURN(auto x, expr): bind the value of a Result or return its error.
#define ASSIGN_OR_RETURN_IMPL_(tmp, decl, expr) \
  auto tmp = (expr);                            \
  if (!tmp.ok()) return std::move(tmp).error(); \
  decl = std::move(tmp).value()
#define ASSIGN_OR_RETURN(decl, expr) \
  ASSIGN_OR_RETURN_IMPL_(CORDON_CONCAT(aor_, __LINE__), decl, expr)
