#include "launcher/client.h"

#include "sys/socket.h"

namespace cordon::launcher {

Result<int> run_via(const std::string& socket_path, const Request& request) {
  ASSIGN_OR_RETURN(std::string bytes, encode_request(request));
  ASSIGN_OR_RETURN(UniqueFd conn, sys::connect_unix(socket_path));
  TRY(sys::send_msg(conn.get(), bytes.data(), bytes.size(), {0, 1, 2}));
  char reply[16];
  ASSIGN_OR_RETURN(size_t n, sys::recv_msg(conn.get(), reply, sizeof(reply)));
  if (n == 0) return errno_error(ECONNRESET, "launcher", "the supervisor ended without a reply");
  ASSIGN_OR_RETURN(int32_t status, decode_reply(std::string_view(reply, n)));
  return static_cast<int>(status);
}

}  // namespace cordon::launcher
