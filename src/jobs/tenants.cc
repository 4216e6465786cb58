#include "jobs/tenants.h"

#include "jobs/tokens.h"

namespace cordon::jobs {

Result<Tenant> Tenants::create(const TenantRequest& r) {
  Tenant t;
  ASSIGN_OR_RETURN(t.id, new_id("t-", 16));
  t.name = r.name;
  t.quota = r.quota;
  t.created_ms = now_ms();
  TRY(store_.put_tenant(t));
  on_change_(t);
  return t;
}

Result<Tenant> Tenants::update(const Tenant& t) {
  TRY(store_.put_tenant(t));
  on_change_(t);
  return t;
}

std::optional<Tenant> Tenants::find(const std::string& id_or_name) {
  if (is_tenant_id_form(id_or_name)) return store_.tenant(id_or_name);
  return store_.tenant_by_name(id_or_name);
}

std::vector<Tenant> Tenants::list() {
  return store_.tenants();
}

Result<std::pair<std::string, TokenInfo>> Tenants::issue_token(const std::string& tenant_id) {
  ASSIGN_OR_RETURN(std::string secret, new_token());
  TokenInfo info;
  ASSIGN_OR_RETURN(info.id, new_id("k-", 16));
  info.tenant_id = tenant_id;
  info.created_ms = now_ms();
  TRY(store_.add_token(info, token_hash(secret)));
  return std::make_pair(secret, info);
}

std::vector<TokenInfo> Tenants::tokens(const std::string& tenant_id) {
  return store_.tokens(tenant_id);
}

Result<bool> Tenants::revoke_token(const std::string& tenant_id, const std::string& token_id) {
  return store_.delete_token(tenant_id, token_id);
}

std::optional<TokenInfo> Tenants::token_by_hash(const std::string& hash) {
  return store_.token_by_hash(hash);
}

}  // namespace cordon::jobs
