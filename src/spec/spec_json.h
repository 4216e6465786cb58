// The one JSON form of a SandboxSpec: what `cordon run` fills from its options, what a
// daemon job maps to, what the launcher's wire carries, and what a result refers to.
// Every field is optional on the way in (a missing one keeps its default), unknown fields
// and wrong types are refused, sizes are bounded, and the spec that comes out has passed
// validate(). docs/spec.md; fuzz/spec_json_fuzz.cc.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "base/result.h"
#include "spec/spec.h"

namespace cordon::spec {

// The most bytes of one spec's JSON text: argv and env (kMaxArgBytes) and everything else.
inline constexpr size_t kMaxSpecJsonBytes = kMaxArgBytes + (256u << 10);

nlohmann::json to_json(const SandboxSpec& spec);
// The field path of a refusal is in the error's path ("limits.memory_bytes").
Result<SandboxSpec> spec_from_json(const nlohmann::json& j);
// From text: bounded by kMaxSpecJsonBytes, duplicate keys refused.
Result<SandboxSpec> spec_from_json_text(std::string_view text);

}  // namespace cordon::spec
