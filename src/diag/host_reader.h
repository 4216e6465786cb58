// Fills HostFacts from the running host: /proc, /sys, /etc and a few syscalls (through
// sys/). Reads only; changes nothing. Never fails as a whole: a value that cannot be
// read is recorded as absent or as an error, for the rules to judge.
#pragma once

#include "diag/host_facts.h"

namespace cordon::diag {

HostFacts read_host_facts();

}  // namespace cordon::diag
