// Plain file-descriptor calls: one read or write, pipes, dup2, close, status flags,
// poll, terminals, anonymous memory files. Every call is one syscall, with no retry
// unless said (the callers decide what EINTR and EAGAIN mean to them), and allocates
// nothing on its success path: usable between clone/fork and exec.
#pragma once

#include <poll.h>
#include <sys/types.h>

#include <cstddef>
#include <utility>

#include "base/result.h"
#include "base/unique_fd.h"

namespace cordon::sys {

// read(2) once: bytes read, 0 at EOF. EINTR and EAGAIN come back as errors.
Result<size_t> read_fd(int fd, void* buf, size_t len) noexcept;
// write(2) once: bytes written (maybe fewer than len). EINTR and EAGAIN come back as errors.
Result<size_t> write_fd(int fd, const void* data, size_t len) noexcept;

// pipe2(O_CLOEXEC): {read end, write end}.
Result<std::pair<UniqueFd, UniqueFd>> make_pipe();
// dup2(fd, target): target now names fd's file (and is not close-on-exec). what names
// target in the error ("stdout").
Status dup_onto(int fd, int target, const char* what) noexcept;
// close(2) of an fd this code does not hold in a UniqueFd (the error is of no use).
void close_fd(int fd) noexcept;

// fcntl(F_GETFL): the file status flags (O_ACCMODE, O_NONBLOCK, O_PATH, ...).
Result<int> fd_status_flags(int fd) noexcept;
// fcntl(F_SETFL) with O_NONBLOCK added to the current flags.
Status set_nonblocking(int fd) noexcept;

// poll(2) once: the number of ready entries, 0 on timeout (timeout_ms < 0: no timeout).
// EINTR comes back as an error.
Result<int> poll_fds(struct pollfd* fds, size_t count, int timeout_ms) noexcept;

// isatty(3) (TCGETS): whether fd is a terminal.
bool is_terminal(int fd) noexcept;
// ioctl(TIOCGPTN) succeeds: fd is the master side of a pseudo-terminal (/dev/ptmx).
bool is_pty_master(int fd) noexcept;

// memfd_create(name, MFD_CLOEXEC): an anonymous memory file, gone with its last fd.
Result<UniqueFd> memory_file(const char* name);

}  // namespace cordon::sys
