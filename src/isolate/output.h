// The sandbox's stdout and stderr pass through the supervisor, which counts them against
// the output limit: past it, what is over is cut and the sandbox is killed.
//
// Nothing the destination does may stop the supervisor: a reader that stops reading, or a
// terminal whose output the sandbox stopped (tcflow TCOOFF on the terminal it was given as
// stdin), would block a plain write forever, and with it the time limits. So the
// supervisor never blocks on a destination. It writes through a non-blocking file
// description of its own (the caller's may be shared with others, and is left as it is),
// holds what the destination did not take (one buffer per stream, after which the
// sandbox's own writes wait: a slow reader slows the sandbox, as a pipe would), and drops
// what is still held at the wall-time deadline.
#pragma once

#include <signal.h>

#include <cstdint>
#include <string>

#include "base/result.h"
#include "base/unique_fd.h"

namespace cordon::isolate {

class OutputPump {
 public:
  // The read ends of the sandbox's stdout and stderr pipes, copied to out_dest and
  // err_dest; limit counts both together.
  OutputPump(UniqueFd out, UniqueFd err, int out_dest, int err_dest, uint64_t limit);
  ~OutputPump();  // restores SIGPIPE's disposition
  OutputPump(const OutputPump&) = delete;
  OutputPump& operator=(const OutputPump&) = delete;

  enum Stream { kOut = 0, kErr = 1 };
  // A source given after construction, for a stream made without one: the master of the
  // sandbox's terminal (-t), which comes once PID 1 has made it. Its reads end at EOF or
  // at EIO (a master whose slaves are all closed).
  void set_source(Stream s, UniqueFd src);
  // What to poll for a stream, and with which events: its source for POLLIN while
  // nothing of it is held, its destination for POLLOUT while something is; -1 when done.
  int poll_fd(Stream s) const;
  short poll_events(Stream s) const;
  // Moves what it can after poll said poll_fd(s) is ready.
  Status on_ready(Stream s);
  // A source still open, or output still held.
  bool open() const;
  bool holding() const;
  // At the deadline: what the destinations have not taken is dropped and counted.
  void drop_held();
  bool over_limit() const { return over_; }
  uint64_t bytes() const { return bytes_; }            // taken from the sandbox, at most limit
  uint64_t dropped_bytes() const { return dropped_; }  // of those, never delivered
  // Whether what the destination took of s so far ends without a newline (so that what
  // cordon prints after it, the --json result, starts a line of its own).
  bool mid_line(Stream s) const { return ch_[s].last != '\n'; }

 private:
  // A destination that is gone (EPIPE and the like) closes its source too: the sandbox's
  // next write gets EPIPE (SIGPIPE) as it would writing to the gone reader itself, and
  // `cordon run -- yes | head -1` ends as `yes | head -1` does.
  struct Channel {
    UniqueFd src;
    int dest = -1;      // where writes go: the caller's fd, or own_dest
    UniqueFd own_dest;  // a non-blocking description of the caller's destination
    bool dest_socket = false;
    char last = '\n';  // the last byte the destination took ('\n' before any)
    std::string held;  // read from the sandbox, not yet taken by the destination
    size_t held_off = 0;
  };
  Status read_some(Channel& c);
  void write_some(Channel& c);

  Channel ch_[2];
  struct sigaction old_sigpipe_ = {};
  uint64_t limit_;
  uint64_t bytes_ = 0;
  uint64_t dropped_ = 0;
  bool over_ = false;
};

}  // namespace cordon::isolate
