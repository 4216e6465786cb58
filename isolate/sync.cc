#include "isolate/sync.h"

#include <algorithm>
#include <cstring>

#include "sys/socket.h"

namespace cordon::isolate {
namespace {

void copy_text(char* dst, size_t cap, const std::string& src) {
  size_t n = std::min(cap - 1, src.size());
  std::memcpy(dst, src.data(), n);
  dst[n] = '\0';
}

}  // namespace

Status send_phase(int sock, Phase phase, const std::vector<int>& fds) {
  SyncMsg m;
  std::memset(&m, 0, sizeof(m));
  m.phase = phase;
  return sys::send_msg(sock, &m, sizeof(m), fds);
}

void send_error(int sock, Phase phase, const Error& e) noexcept {
  SyncMsg m;
  std::memset(&m, 0, sizeof(m));
  m.phase = phase;
  m.err = e.err;
  std::string step = e.step;
  if (!e.detail.empty()) step += ": " + e.detail;
  copy_text(m.step, sizeof(m.step), step);
  copy_text(m.path, sizeof(m.path), e.path);
  (void)sys::send_msg(sock, &m, sizeof(m));
}

void send_exit(int sock, bool signaled, int code) noexcept {
  SyncMsg m;
  std::memset(&m, 0, sizeof(m));
  m.phase = Phase::kExited;
  m.signaled = signaled ? 1 : 0;
  m.code = code;
  (void)sys::send_msg(sock, &m, sizeof(m));
}

Result<SyncMsg> recv_phase(int sock, std::vector<UniqueFd>* fds_out) {
  SyncMsg m;
  std::memset(&m, 0, sizeof(m));
  ASSIGN_OR_RETURN(size_t n, sys::recv_msg(sock, &m, sizeof(m), fds_out));
  if (n == 0) return logic_error("sync", "", "the other side exited");
  if (n != sizeof(m)) return logic_error("sync", "", "malformed message");
  m.step[sizeof(m.step) - 1] = '\0';
  m.path[sizeof(m.path) - 1] = '\0';
  return m;
}

Error to_error(const SyncMsg& m) {
  return Error{m.err, m.step, m.path, {}};
}

}  // namespace cordon::isolate
