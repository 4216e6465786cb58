// Tenants and their tokens: the records (in the store) and every lookup the API needs,
// by id or name and by a token. Quota changes are passed to whoever schedules (the
// service), which keeps its own copy for dispatch.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/result.h"
#include "jobs/job_request.h"
#include "jobs/model.h"
#include "jobs/store.h"

namespace cordon::jobs {

class Tenants {
 public:
  // on_change: a tenant was created or its settings changed (called after the store).
  Tenants(Store& store, std::function<void(const Tenant&)> on_change)
      : store_(store), on_change_(std::move(on_change)) {}

  Result<Tenant> create(const TenantRequest& r);
  Result<Tenant> update(const Tenant& t);
  // By id ("t-...") or by name.
  std::optional<Tenant> find(const std::string& id_or_name);
  std::vector<Tenant> list();

  // The new token's secret (shown once) and its record.
  Result<std::pair<std::string, TokenInfo>> issue_token(const std::string& tenant_id);
  std::vector<TokenInfo> tokens(const std::string& tenant_id);
  // false: the tenant has no such token.
  Result<bool> revoke_token(const std::string& tenant_id, const std::string& token_id);
  // The token whose hash (token_hash of its secret) this is; an empty tenant_id is an
  // operator's token.
  std::optional<TokenInfo> token_by_hash(const std::string& hash);

 private:
  Store& store_;
  std::function<void(const Tenant&)> on_change_;
};

}  // namespace cordon::jobs
