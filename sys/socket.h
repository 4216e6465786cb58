// A SOCK_SEQPACKET pair: each send is one message, delivered whole or not at all,
// and a peer's death is an EOF. Optionally carries fds (SCM_RIGHTS).
#pragma once

#include <cstddef>
#include <utility>
#include <vector>

#include "base/result.h"
#include "base/unique_fd.h"

namespace cordon::sys {

Result<std::pair<UniqueFd, UniqueFd>> seqpacket_pair();
inline constexpr size_t kMaxPassedFds = 128;
Status send_msg(int sock, const void* data, size_t len, const std::vector<int>& fds = {});
// Returns bytes received (0 on EOF); passed fds (at most kMaxPassedFds) go to *fds_out,
// or are closed when fds_out is null.
Result<size_t> recv_msg(int sock, void* data, size_t len, std::vector<UniqueFd>* fds_out = nullptr);

}  // namespace cordon::sys
