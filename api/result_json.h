// The result of a run as JSON: the wire form that `cordon run --json` prints and the
// service will return. Field reference: docs/result.md.
#pragma once

#include <string>

#include "engine/run.h"

namespace cordon::api {

std::string result_to_json(const engine::RunResult& r);

}  // namespace cordon::api
