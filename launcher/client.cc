#include "launcher/client.h"

#include "sys/socket.h"

namespace cordon::launcher {

Result<int> run_via(const std::string& socket_path, const Request& request,
                    const CallOptions& options) {
  ASSIGN_OR_RETURN(std::string bytes, encode_request(request));
  ASSIGN_OR_RETURN(UniqueFd conn, sys::connect_unix(socket_path));
  const auto& io = options.stdio;
  TRY(sys::send_msg(conn.get(), bytes.data(), bytes.size(), {io[0], io[1], io[2]}));
  for (;;) {
    char msg[16];
    std::vector<UniqueFd> fds;
    ASSIGN_OR_RETURN(size_t n, sys::recv_msg(conn.get(), msg, sizeof(msg), &fds));
    if (n == 0) return errno_error(ECONNRESET, "launcher", "the supervisor ended without a reply");
    int32_t pid = 0;
    if (decode_started(std::string_view(msg, n), &pid)) {
      if (options.on_started)
        options.on_started(static_cast<pid_t>(pid),
                           fds.size() == 1 ? std::move(fds[0]) : UniqueFd());
      continue;
    }
    ASSIGN_OR_RETURN(int32_t status, decode_reply(std::string_view(msg, n)));
    return static_cast<int>(status);
  }
}

}  // namespace cordon::launcher
