// Why the service refused a request, as a domain kind: the REST layer alone turns a kind
// into an HTTP status (api/api.cc), so that nothing below it knows HTTP.
#pragma once

#include <string>

namespace cordon::jobs {

enum class Refused {
  kNone,
  kInvalid,      // malformed, or names something that does not exist as asked
  kNotFound,     // no such tenant, job or upload (or not the caller's)
  kConflict,     // not in a state that allows it (a running job removed, a busy tenant)
  kNeverFits,    // well-formed, but over what the tenant may ever run
  kUnresolved,   // well-formed, but names what this host does not have (an image)
  kTooLarge,     // over a size limit
  kLimited,      // over a quota or rate for now: may succeed later
  kUnavailable,  // the daemon is stopping
  kInternal,     // the host failed (the store, the disk)
};

struct Refusal {
  Refused kind = Refused::kNone;
  std::string field;  // the quota or field to blame
  std::string message;
  bool ok() const { return kind == Refused::kNone; }
};

}  // namespace cordon::jobs
