#include "launcher/client.h"

#include "sys/socket.h"

namespace cordon::launcher {

Result<Reply> run_via(const std::string& socket_path, const Request& request,
                      const CallOptions& options) {
  ASSIGN_OR_RETURN(std::string bytes, encode_request(request));
  ASSIGN_OR_RETURN(UniqueFd conn, sys::connect_unix(socket_path));
  const auto& io = options.stdio;
  TRY(send_message(conn.get(), bytes, {io[0], io[1], io[2]}));
  for (;;) {
    std::vector<UniqueFd> fds;
    ASSIGN_OR_RETURN(std::string msg, recv_message(conn.get(), kMaxReplyBytes, &fds));
    if (msg.empty())
      return errno_error(ECONNRESET, "launcher", "the supervisor ended without a reply");
    int32_t pid = 0;
    if (decode_started(msg, &pid)) {
      if (options.on_started)
        options.on_started(static_cast<pid_t>(pid),
                           fds.size() == 1 ? std::move(fds[0]) : UniqueFd());
      continue;
    }
    return decode_reply(msg);
  }
}

}  // namespace cordon::launcher
