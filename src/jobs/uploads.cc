#include "jobs/uploads.h"

#include <fcntl.h>

#include <algorithm>

#include "archive/gzip.h"
#include "archive/tar.h"
#include "jobs/tokens.h"
#include "sys/fs.h"

namespace cordon::jobs {

Status Uploads::load() {
  TRY(sys::make_dirs(dir_, 0700));
  auto names = sys::list_dir(dir_);
  if (!names.ok()) return names.error();
  std::lock_guard lock(mu_);
  for (const auto& n : *names) {
    size_t dash = n.find("-u-");
    if (dash == std::string::npos || n.size() < 4 || n.compare(n.size() - 4, 4, ".tar") != 0)
      continue;
    waiting_[n.substr(0, dash)].push_back({n.substr(dash + 1, n.size() - dash - 5), now_ms()});
  }
  return {};
}

uint64_t max_unpacked_upload(const Quota& quota) {
  return std::min<uint64_t>(quota.job_disk + kTarOverheadBytes, kMaxUnpackedUpload);
}

Result<std::string> Uploads::store(const Tenant& tenant, const std::string& received,
                                   Refusal* refusal) {
  if (received.size() > max_bytes_) {
    *refusal = {Refused::kTooLarge, "",
                "the upload is over " + std::to_string(max_bytes_) + " bytes"};
    return errno_error(E2BIG, "upload");
  }
  // A .tar.gz is stored decompressed, as a plain tar: decompressed here once, within the
  // bound, and never again.
  std::string unpacked;
  const bool gzipped = archive::is_gzip(received);
  std::unique_lock<std::mutex> unpacking(unpack_mu_, std::defer_lock);
  if (gzipped) {
    unpacking.lock();  // until it is parsed and written, and its memory freed
    const uint64_t bound = max_unpacked_upload(tenant.quota);
    auto plain = archive::gunzip(received, bound);
    if (!plain.ok()) {
      bool too_big = plain.error().err == E2BIG;
      *refusal = {too_big ? Refused::kTooLarge : Refused::kInvalid, "",
                  too_big ? "the gzip upload decompresses to more than " + std::to_string(bound) +
                                " bytes (the tenant's job_disk plus room for the tar's headers, "
                                "at most 1 GiB); refused"
                          : "not an acceptable .tar.gz: " + plain.error().to_string()};
      return plain.error();
    }
    unpacked = std::move(plain).value();
  }
  const std::string& bytes = gzipped ? unpacked : received;
  archive::TarLimits limits;
  limits.max_total_bytes = tenant.quota.job_disk;
  limits.max_file_bytes = tenant.quota.job_disk;
  auto parsed = archive::parse_tar(bytes, limits);
  if (!parsed.ok()) {
    *refusal = {Refused::kInvalid, "",
                std::string("not an acceptable ") + (gzipped ? ".tar.gz" : "tar") +
                    " archive: " + parsed.error().to_string()};
    return parsed.error();
  }
  std::string id;
  ASSIGN_OR_RETURN(id, new_id("u-", 24));
  {
    std::lock_guard lock(mu_);
    if (closed_.count(tenant.id) != 0) {
      *refusal = {Refused::kNotFound, "", "no such tenant"};
      return errno_error(ENOENT, "upload");
    }
    if (waiting_[tenant.id].size() >= kMaxPendingUploads) {
      *refusal = {Refused::kLimited, "max_uploads",
                  "the tenant has " + std::to_string(kMaxPendingUploads) + " unused uploads"};
      return errno_error(EAGAIN, "upload");
    }
    if (!rates_.allow(tenant.id, tenant.quota.rate_per_minute, now_ms())) {
      *refusal = {Refused::kLimited, "rate_per_minute", "over the tenant's submission rate"};
      return errno_error(EAGAIN, "upload");
    }
    waiting_[tenant.id].push_back({id, now_ms()});
  }
  std::string file = path(tenant.id, id);
  auto fd = sys::open_path(file, O_WRONLY | O_CREAT | O_EXCL, 0600);
  Status written = fd.ok() ? sys::write_all(fd->get(), bytes, file) : Status(fd.error());
  if (!written.ok()) {
    remove_if([&](const std::string& t, const Upload& u) { return t == tenant.id && u.id == id; });
    *refusal = {Refused::kInternal, "", written.error().to_string()};
    return written.error();
  }
  return id;
}

Status Uploads::take(const std::string& tenant_id, const std::string& id, const std::string& dest) {
  TRY(sys::rename_path(path(tenant_id, id), dest));
  std::lock_guard lock(mu_);  // taken: no longer waiting
  auto& list = waiting_[tenant_id];
  list.erase(std::remove_if(list.begin(), list.end(), [&](const Upload& u) { return u.id == id; }),
             list.end());
  if (list.empty()) waiting_.erase(tenant_id);
  return {};
}

void Uploads::close_tenant(const std::string& tenant_id) {
  std::lock_guard lock(mu_);
  closed_.insert(tenant_id);
}

void Uploads::remove_tenant(const std::string& tenant_id) {
  remove_if([&](const std::string& tenant, const Upload&) { return tenant == tenant_id; });
  std::lock_guard lock(mu_);
  closed_.erase(tenant_id);
}

void Uploads::reopen_tenant(const std::string& tenant_id) {
  std::lock_guard lock(mu_);
  closed_.erase(tenant_id);
}

void Uploads::expire(int64_t now) {
  remove_if([&](const std::string&, const Upload& u) { return now - u.created_ms > kUploadTtlMs; });
}

std::string Uploads::path(const std::string& tenant_id, const std::string& id) const {
  return dir_ + "/" + tenant_id + "-" + id + ".tar";
}

void Uploads::remove_if(
    const std::function<bool(const std::string& tenant, const Upload& u)>& which) {
  std::lock_guard lock(mu_);
  for (auto it = waiting_.begin(); it != waiting_.end();) {
    auto& list = it->second;
    for (auto u = list.begin(); u != list.end();) {
      if (which(it->first, *u)) {
        (void)sys::unlink_path(path(it->first, u->id));
        u = list.erase(u);
      } else {
        ++u;
      }
    }
    it = list.empty() ? waiting_.erase(it) : std::next(it);
  }
}

}  // namespace cordon::jobs
