// `run --image`: an image of the store made the sandbox's root, and its config applied to
// the spec as Docker applies it (docs/images.md, "Running an image"):
//   Env         the image's variables, under those the caller sets (--env wins)
//   WorkingDir  the working directory unless the caller gave one (made if missing)
//   User        NAME|UID[:GROUP|GID], names looked up in the image's /etc/passwd and
//               /etc/group, unless the caller gave --user, --uid or --gid; HOME from the
//               user's passwd entry (unless an Env or --env sets it)
//   Entrypoint  argv's head, unless the caller gave --entrypoint ("" clears it)
//   Cmd         argv's tail, unless the caller gave a command (or --entrypoint, which
//               drops Cmd, as Docker does)
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "image/store.h"
#include "spec/spec.h"

namespace cordon::image {

// What the caller asked for beyond the spec's own fields.
struct ImageAsk {
  std::string ref;
  std::string store = kDefaultStore;
  std::optional<std::vector<std::string>> entrypoint;  // --entrypoint; empty vector: none
  std::optional<std::string> user;                     // --user NAME|UID[:GROUP|GID]
  bool ids_given = false;                              // --uid or --gid: they win over User
};

// The image's /etc/passwd and /etc/group as its layers stack them (the top layer that has
// the file wins; a whiteout or an opaque /etc above hides the lower ones). Never follows a
// symlink: an /etc or a file that is one counts as absent. At most 1 MiB each.
struct ImageAccounts {
  std::optional<std::string> passwd;
  std::optional<std::string> group;
};
Result<ImageAccounts> read_accounts(const std::vector<std::string>& layer_dirs);

struct ResolvedUser {
  uint32_t uid = 0;
  uint32_t gid = 0;
  std::optional<std::string> home;  // from the passwd entry, when there is one
};
// USER as Docker reads it; IDs must be below spec::kIdsPerSandbox.
Result<ResolvedUser> resolve_user(std::string_view user, const ImageAccounts& accounts);

// The image's config applied to spec (which holds what the caller gave), and spec.image
// set from the resolved image. Errors name the image and the field.
Status apply_config(spec::SandboxSpec* spec, const ImageAsk& ask, const std::string& store_root,
                    const ResolvedImage& img);

// Opens ask.store (ENOENT when missing), resolves ask.ref (ENOENT when no image matches)
// and applies it with apply_config.
Status use_image(spec::SandboxSpec* spec, const ImageAsk& ask);

}  // namespace cordon::image
