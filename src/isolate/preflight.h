// Host-side checks of what a spec names on the host, before anything is created: the
// image exists and is a directory, every bind source exists and is readable (writable for
// a rw bind), neither has a symlink anywhere in its path (the parent opens them the same
// way: sys::open_no_symlinks; "." and ".." are resolved in the text first), every io limit names a block device, a seccomp profile file
// reads and parses.
#pragma once

#include "base/result.h"
#include "spec/spec.h"

namespace cordon::isolate {

Status resolve_host_paths(spec::SandboxSpec* spec);

// With CallerEnv::netns_prepared, this process must sit in a network namespace that is
// not its parent's (the launcher's, the host's): else the sandbox would share that
// network. Fails closed.
Status check_prepared_netns();

}  // namespace cordon::isolate
