// Image references, parsed and normalized as Docker does (distribution/reference):
//   busybox                      -> docker.io/library/busybox:latest
//   user/app:1                   -> docker.io/user/app:1
//   localhost:5000/x             -> localhost:5000/x:latest
//   quay.io/a/b@sha256:HEX       -> a digest reference (no default tag)
// The first component is a registry host when it holds '.' or ':', is "localhost", or has
// an upper-case letter; otherwise the registry is docker.io ("index.docker.io" is too), and
// a one-component name there is under "library/".
#pragma once

#include <string>
#include <string_view>

#include "base/result.h"

namespace cordon::image {

struct Reference {
  std::string registry;    // "docker.io", "localhost:5000"
  std::string repository;  // "library/busybox"
  std::string tag;         // "latest"; empty for a digest reference given without a tag
  std::string digest;      // "sha256:HEX" or empty

  // registry/repository: "docker.io/library/busybox"
  std::string name() const;
  // The full form: name:tag, name@digest, or name:tag@digest.
  std::string str() const;
};

inline constexpr size_t kMaxReferenceLength = 512;
inline constexpr size_t kMaxNameLength = 255;  // registry/repository, as Docker

// A reference as a user gives it; the error says what is wrong and what is allowed.
Result<Reference> parse_reference(std::string_view text);

// The registry part of the names that pin instances' images in the store
// (instance/instance.h): never pulled from, never a tenant's to name.
inline constexpr const char* kInstancePinRegistry = "instances.cordon.internal";

// What a tenant may name as an image (a job's or an instance's "image"): an ID
// (sha256:HEX), 12 to 64 hex digits of one, or a reference that is not one of the store's
// names for instances' images. At most max_len bytes; never starts with '-'.
bool tenant_image_ref(std::string_view ref, size_t max_len);

}  // namespace cordon::image
