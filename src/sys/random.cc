#include "sys/random.h"

#include <sys/random.h>

#include <cerrno>

namespace cordon::sys {

Result<std::string> random_bytes(size_t n) {
  std::string out(n, '\0');
  size_t got = 0;
  while (got < n) {
    ssize_t r = ::getrandom(out.data() + got, n - got, 0);
    if (r < 0) {
      if (errno == EINTR) continue;
      return sys_error("getrandom");
    }
    got += static_cast<size_t>(r);
  }
  return out;
}

bool random_fill_nonblocking(void* buf, size_t len) noexcept {
  return ::getrandom(buf, len, GRND_NONBLOCK) == static_cast<ssize_t>(len);
}

}  // namespace cordon::sys
