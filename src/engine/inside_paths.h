// What a start would trip on inside the sandbox's filesystem, found before anything is
// created: a --bind target or a --workdir that the mount plan cannot make (a path inside
// a read-only host tree that does not exist there, a folder on the host view's read-only
// root), and a --cgroup-parent that does not exist. Without these checks the start fails
// half-way with exit 125 and an error naming cordon's own staging paths.
#pragma once

#include <string>

#include "base/result.h"
#include "spec/spec.h"

namespace cordon::engine {

// A mistake in the spec itself (exit 64) or a missing host object it names (exit 66).
struct InsideProblem {
  Error error;  // step: the flag; path: its value; detail: what is wrong and what to do
  bool missing_input = false;
};

// spec's host paths are resolved already (isolate::resolve_host_paths). Empty: none found.
std::optional<InsideProblem> check_inside_paths(const spec::SandboxSpec& spec);

// cgroup_root: where the cgroup hierarchies are mounted.
std::optional<InsideProblem> check_cgroup_parent(const spec::SandboxSpec& spec,
                                                 const std::string& cgroup_root = "/sys/fs/cgroup");

}  // namespace cordon::engine
