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

namespace {

constexpr char kCommandMagic[4] = {'C', 'M', 'D', '1'};

size_t command_size(const std::vector<std::string>& argv, const std::vector<std::string>& envp) {
  size_t n = 12;
  for (const auto& s : argv) n += s.size() + 1;
  for (const auto& s : envp) n += s.size() + 1;
  return n;
}

}  // namespace

bool command_fits(const std::vector<std::string>& argv, const std::vector<std::string>& envp) {
  return command_size(argv, envp) <= kMaxCommandBytes;
}

Status send_command(int sock, const std::vector<std::string>& argv,
                    const std::vector<std::string>& envp, int stdin_fd) {
  if (!command_fits(argv, envp)) return errno_error(E2BIG, "send command", "too large");
  std::string m(kCommandMagic, 4);
  for (uint32_t v : {static_cast<uint32_t>(argv.size()), static_cast<uint32_t>(envp.size())})
    m.append(reinterpret_cast<const char*>(&v), 4);
  for (const auto* list : {&argv, &envp})
    for (const auto& s : *list) {
      if (s.find('\0') != std::string::npos) return errno_error(EINVAL, "send command", "NUL");
      m.append(s);
      m.push_back('\0');
    }
  return sys::send_msg(sock, m.data(), m.size(), {stdin_fd});
}

Result<Command> recv_command(int sock) {
  std::string buf(kMaxCommandBytes + 1, '\0');
  std::vector<UniqueFd> fds;
  ASSIGN_OR_RETURN(size_t n, sys::recv_msg(sock, buf.data(), buf.size(), &fds));
  if (n == 0) return logic_error("sync", "", "the other side exited");
  if (n < 12 || n > kMaxCommandBytes || std::memcmp(buf.data(), kCommandMagic, 4) != 0 ||
      fds.size() != 1)
    return logic_error("sync", "", "malformed command");
  uint32_t counts[2];
  std::memcpy(counts, buf.data() + 4, 8);
  Command c;
  c.stdin_fd = std::move(fds[0]);
  size_t pos = 12;
  for (int list = 0; list < 2; ++list) {
    auto& out = list == 0 ? c.argv : c.envp;
    for (uint32_t i = 0; i < counts[list]; ++i) {
      size_t end = buf.find('\0', pos);
      if (end == std::string::npos || end >= n) return logic_error("sync", "", "malformed command");
      out.emplace_back(buf, pos, end - pos);
      pos = end + 1;
    }
  }
  if (pos != n || c.argv.empty()) return logic_error("sync", "", "malformed command");
  return c;
}

}  // namespace cordon::isolate
