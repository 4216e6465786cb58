#include "registry/registry.h"

#include <fcntl.h>
#include <openssl/evp.h>

#include <cctype>
#include <cstdlib>
#include <memory>
#include <nlohmann/json.hpp>

#include "base/json_strict.h"
#include "registry/http.h"
#include "sys/fs.h"

namespace cordon::registry {
namespace {

constexpr size_t kReadChunk = 1 << 20;
constexpr int kMaxRedirects = 5;
constexpr size_t kMaxErrorExcerpt = 200;

class Sha256 {
 public:
  Sha256() : ctx_(EVP_MD_CTX_new()) { reset(); }
  void reset() { EVP_DigestInit_ex(ctx_.get(), EVP_sha256(), nullptr); }
  void update(std::string_view d) { EVP_DigestUpdate(ctx_.get(), d.data(), d.size()); }
  std::string digest() {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    EVP_DigestFinal_ex(ctx_.get(), md, &n);
    static const char* hex = "0123456789abcdef";
    std::string out = "sha256:";
    for (unsigned int i = 0; i < n; ++i) {
      out += hex[md[i] >> 4];
      out += hex[md[i] & 15];
    }
    return out;
  }

 private:
  struct Free {
    void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
  };
  std::unique_ptr<EVP_MD_CTX, Free> ctx_;
};

std::string sha256_of(std::string_view data) {
  Sha256 h;
  h.update(data);
  return h.digest();
}

// Hashes the first `size` bytes of an open file into h.
Status hash_file(int fd, uint64_t size, Sha256& h, const std::string& path) {
  std::string buf(kReadChunk, '\0');
  uint64_t off = 0;
  while (off < size) {
    size_t want = static_cast<size_t>(std::min<uint64_t>(kReadChunk, size - off));
    ASSIGN_OR_RETURN(size_t n, sys::read_at(fd, buf.data(), want, off));
    if (n == 0) return logic_error("read", path, "file shorter than expected");
    h.update(std::string_view(buf.data(), n));
    off += n;
  }
  return {};
}

std::string excerpt(const std::string& body) {
  std::string s = body.substr(0, kMaxErrorExcerpt);
  for (char& c : s)
    if (!std::isprint(static_cast<unsigned char>(c))) c = ' ';
  return s;
}

bool valid_tag(const std::string& t) {
  if (t.empty() || t.size() > 128) return false;
  if (!std::isalnum(static_cast<unsigned char>(t[0])) && t[0] != '_') return false;
  for (char c : t)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '.' && c != '-')
      return false;
  return true;
}

class Session {
 public:
  Session(HttpClient http, const RegistryRef& ref, const FetchOptions& opts, Url url,
          std::string base)
      : http_(std::move(http)),
        ref_(ref),
        opts_(opts),
        url_(std::move(url)),
        base_(std::move(base)) {}

  // GET base/v2/REPO/path, authenticating on a 401 and following redirects. Only a 401
  // from the registry's own origin is answered: one from a server a redirect led to would
  // otherwise choose the token realm that the credentials go to.
  Result<HttpResponse> get(const std::string& path, const Headers& extra, size_t max_body,
                           const BodySink* sink) {
    std::string url = base_ + "/v2/" + ref_.repository + path;
    for (int attempt = 0;; ++attempt) {
      Headers h = extra;
      if (!authorization_.empty()) h.emplace_back("Authorization", authorization_);
      Url last;
      ASSIGN_OR_RETURN(HttpResponse r, get_following(url, h, max_body, sink, last));
      if (r.status != 401) return r;
      if (last.origin() != url_.origin())
        return logic_error("HTTP GET", url,
                           "blob storage at " + last.origin() +
                               " answered HTTP 401; the registry's credentials are not sent "
                               "there");
      if (attempt > 0)
        return logic_error("registry authentication", ref_.registry,
                           opts_.credentials ? "the registry refused the credentials (HTTP 401)"
                                             : "the registry wants credentials (HTTP 401)");
      TRY(authenticate(r));
    }
  }

  HttpClient& http() { return http_; }

 private:
  // GET first, following redirects; `last` is set to the URL of the final hop.
  Result<HttpResponse> get_following(const std::string& first, Headers h, size_t max_body,
                                     const BodySink* sink, Url& last) {
    std::string url = first;
    ASSIGN_OR_RETURN(last, parse_url(first));
    for (int hop = 0;; ++hop) {
      ASSIGN_OR_RETURN(HttpResponse r, http_.get(url, h, max_body, sink));
      bool redirect = r.status == 301 || r.status == 302 || r.status == 303 || r.status == 307 ||
                      r.status == 308;
      if (!redirect) return r;
      if (r.redirect_url.empty())
        return logic_error("HTTP GET", url, "a redirect without a Location");
      if (hop >= kMaxRedirects) return logic_error("HTTP GET", first, "more than 5 redirects");
      ASSIGN_OR_RETURN(Url u, parse_url(r.redirect_url));
      if (u.scheme != "https" && !(opts_.insecure_http && is_loopback_host(u.host)))
        return logic_error("HTTP GET", url, "redirect to a plain http URL refused");
      // The registry's credentials stay with the registry: a blob store gets none.
      if (u.origin() != url_.origin())
        std::erase_if(h, [](const auto& kv) { return kv.first == "Authorization"; });
      url = r.redirect_url;
      last = std::move(u);
    }
  }

  Status authenticate(const HttpResponse& r) {
    std::vector<Challenge> all;
    for (const auto& [k, v] : r.headers)
      if (k == "www-authenticate")
        for (auto& c : parse_challenges(v)) all.push_back(std::move(c));
    const Credentials* creds = opts_.credentials ? &*opts_.credentials : nullptr;
    for (const auto& c : all) {
      if (c.scheme != "bearer") continue;
      ASSIGN_OR_RETURN(std::string token,
                       fetch_bearer_token(http_, c, "repository:" + ref_.repository + ":pull",
                                          creds, opts_.insecure_http));
      authorization_ = "Bearer " + token;
      return {};
    }
    for (const auto& c : all) {
      if (c.scheme != "basic") continue;
      if (creds == nullptr)
        return logic_error("registry authentication", ref_.registry,
                           "the registry wants credentials (Basic) and none were given");
      authorization_ = basic_authorization(*creds);
      return {};
    }
    return logic_error("registry authentication", ref_.registry,
                       "HTTP 401 without a Bearer or Basic challenge");
  }

  HttpClient http_;
  const RegistryRef& ref_;
  const FetchOptions& opts_;
  Url url_;
  std::string base_;
  std::string authorization_;
};

struct Fetched {
  std::string body;
  std::string digest;
  Manifest manifest;
};

Result<Fetched> fetch_manifest(Session& s, const RegistryRef& ref, const std::string& reference,
                               const FetchOptions& opts, const Descriptor* expect) {
  std::string what = ref.registry + "/" + ref.repository +
                     (reference.rfind("sha256:", 0) == 0 ? "@" : ":") + reference;
  Headers h{{"Accept", std::string(kOciIndex) + ", " + kOciManifest + ", " + kDockerList + ", " +
                           kDockerManifest}};
  ASSIGN_OR_RETURN(HttpResponse r,
                   s.get("/manifests/" + reference, h, opts.max_manifest_bytes, nullptr));
  if (r.status == 404)
    return logic_error("fetch manifest", what, "not found in the registry (HTTP 404)");
  if (r.status != 200)
    return logic_error("fetch manifest", what,
                       "HTTP " + std::to_string(r.status) + ": " + excerpt(r.body));
  Fetched f;
  f.digest = sha256_of(r.body);
  if (reference.rfind("sha256:", 0) == 0 && f.digest != reference)
    return logic_error("verify manifest", what, "its content has digest " + f.digest);
  if (expect != nullptr && (f.digest != expect->digest || r.body.size() != expect->size))
    return logic_error("verify manifest", what,
                       "content does not match the index entry (" + f.digest + ", " +
                           std::to_string(r.body.size()) + " bytes)");
  std::string header = r.header("docker-content-digest");
  if (!header.empty() && header != f.digest)
    return logic_error("verify manifest", what,
                       "Docker-Content-Digest " + header + " but the content has " + f.digest);
  ASSIGN_OR_RETURN(f.manifest,
                   parse_manifest(r.body, r.header("content-type"), opts.max_blob_bytes, what));
  f.body = std::move(r.body);
  return f;
}

std::string hex_of(const std::string& digest) {
  return digest.substr(7);
}

// A small blob (an index or manifest) already verified in memory: written as
// HEX.partial, then renamed.
Status store_bytes(const std::string& blobs, const std::string& digest, const std::string& body) {
  std::string final_path = blobs + "/" + hex_of(digest);
  std::string partial = final_path + ".partial";
  TRY(sys::unlink_path(partial));
  TRY(sys::write_new_file(partial, body, 0644));
  return sys::rename_path(partial, final_path);
}

Status write_small(const std::string& path, const std::string& content) {
  std::string tmp = path + ".tmp";
  TRY(sys::unlink_path(tmp));
  TRY(sys::write_new_file(tmp, content, 0644));
  return sys::rename_path(tmp, path);
}

struct BlobJob {
  const Descriptor* desc;
  std::string kind;
  size_t index;
};

class BlobFetcher {
 public:
  BlobFetcher(Session& s, std::string blobs, const ProgressFn& progress, size_t layers,
              uint64_t all_total, const std::atomic<bool>* cancel)
      : s_(s),
        blobs_(std::move(blobs)),
        progress_(progress),
        layers_(layers),
        all_total_(all_total),
        cancel_(cancel) {}

  uint64_t all_done() const { return all_done_; }

  Result<BlobFetch> fetch(const BlobJob& job) {
    const Descriptor& d = *job.desc;
    BlobFetch out{d.digest, d.size, 0, 0, false};
    std::string final_path = blobs_ + "/" + hex_of(d.digest);
    std::string partial = final_path + ".partial";

    // Already there: kept when its content matches, else fetched again.
    if (auto fd = sys::open_path(final_path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW); fd.ok()) {
      ASSIGN_OR_RETURN(sys::DirEntry st, sys::stat_fd(fd->get()));
      Sha256 h;
      if (S_ISREG(st.mode) && st.size == d.size &&
          hash_file(fd->get(), d.size, h, final_path).ok() && h.digest() == d.digest) {
        out.present = true;
        all_done_ += d.size;
        report(job, d.size);
        return out;
      }
      TRY(sys::unlink_path(final_path));
    }

    ASSIGN_OR_RETURN(UniqueFd fd,
                     sys::open_path(partial, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644));
    ASSIGN_OR_RETURN(sys::DirEntry st, sys::stat_fd(fd.get()));
    uint64_t have = st.size;
    Sha256 h;
    if (have > d.size) have = 0;
    if (have > 0 && !hash_file(fd.get(), have, h, partial).ok()) have = 0;
    if (have == 0) {
      h.reset();
      TRY(sys::truncate_fd(fd.get(), 0, partial));
    }
    uint64_t written = have;
    uint64_t base_done = all_done_;
    std::string failure;     // why the sink stopped the transfer (bad content)
    bool cancelled = false;  // the caller asked to stop

    BodySink sink;
    bool range_sent = false;
    sink.on_start = [&](int status, const Headers& headers) {
      if (status == 206 && range_sent) {
        std::string cr;
        for (const auto& [k, v] : headers)
          if (k == "content-range") cr = v;
        std::string want = "bytes " + std::to_string(have) + "-";
        if (cr.rfind(want, 0) != 0) {
          failure = "a Range answer starting elsewhere (Content-Range '" + excerpt(cr) + "')";
          return false;
        }
        out.resumed_from = have;
        return true;
      }
      if (status != 200) {
        failure = "unexpected HTTP " + std::to_string(status);
        return false;
      }
      // The whole blob: whatever was resumed is replaced.
      if (written > 0) {
        if (!sys::truncate_fd(fd.get(), 0, partial).ok()) {
          failure = "truncate failed";
          return false;
        }
        h.reset();
        written = 0;
      }
      return true;
    };
    sink.on_chunk = [&](std::string_view data) {
      if (cancel_ != nullptr && cancel_->load()) {
        cancelled = true;
        return false;
      }
      if (data.size() > d.size - written) {
        failure = "more bytes than the descriptor's " + std::to_string(d.size);
        return false;
      }
      if (auto st2 = sys::write_at(fd.get(), data, written, partial); !st2.ok()) {
        failure = st2.error().to_string();
        return false;
      }
      h.update(data);
      written += data.size();
      out.fetched += data.size();
      all_done_ = base_done + written;
      report(job, written);
      return true;
    };

    if (written < d.size) {
      Headers headers;
      if (written > 0) {
        headers.emplace_back("Range", "bytes=" + std::to_string(written) + "-");
        range_sent = true;
      }
      auto r = s_.get("/blobs/" + d.digest, headers, 1 << 16, &sink);
      if (!r.ok()) {
        if (cancelled)
          return logic_error("fetch blob", d.digest,
                             "cancelled after " + std::to_string(written) + " of " +
                                 std::to_string(d.size) + " bytes (kept for the next pull)");
        if (!failure.empty()) {
          // The content was wrong, not the connection: nothing of it is kept.
          (void)sys::unlink_path(partial);
          return logic_error("fetch blob", d.digest, failure);
        }
        return std::move(r).error();  // the partial file stays: a later pull resumes it
      }
      if (r->status == 416 && range_sent) {
        // The server will not resume: start over.
        TRY(sys::truncate_fd(fd.get(), 0, partial));
        return fetch(job);
      }
      if (r->status == 404)
        return logic_error("fetch blob", d.digest, "not found in the registry (HTTP 404)");
      if (r->status < 200 || r->status >= 300)
        return logic_error("fetch blob", d.digest,
                           "HTTP " + std::to_string(r->status) + ": " + excerpt(r->body));
      if (!r->streamed && d.size > 0 && written == have && r->status == 200) {
        // An empty 200 body for a non-empty blob.
        return logic_error("fetch blob", d.digest, "empty response");
      }
    }
    if (written != d.size)
      return logic_error("fetch blob", d.digest,
                         "truncated: " + std::to_string(written) + " of " + std::to_string(d.size) +
                             " bytes (the partial download is kept and resumed by the next pull)");
    std::string got = h.digest();
    if (got != d.digest) {
      (void)sys::unlink_path(partial);
      return logic_error("verify blob", d.digest,
                         "content has digest " + got + "; refused and not kept");
    }
    TRY(sys::rename_path(partial, final_path));
    all_done_ = base_done + d.size;
    report(job, d.size);
    return out;
  }

 private:
  void report(const BlobJob& job, uint64_t done) {
    if (!progress_) return;
    progress_(Progress{job.desc->digest, job.kind, job.index, layers_, done, job.desc->size,
                       all_done_, all_total_});
  }

  Session& s_;
  std::string blobs_;
  const ProgressFn& progress_;
  size_t layers_;
  uint64_t all_total_;
  uint64_t all_done_ = 0;
  const std::atomic<bool>* cancel_;
};

}  // namespace

Status check_ref(const RegistryRef& ref) {
  const std::string& h = ref.registry;
  if (h.empty() || h.size() > 255 ||
      h.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:[]") !=
          std::string::npos)
    return logic_error("check reference", "registry '" + h + "'",
                       "expected a host name or IP address with an optional :port");
  const std::string& r = ref.repository;
  bool ok = !r.empty() && r.size() <= 255 && r.front() != '/' && r.back() != '/' &&
            r.find("//") == std::string::npos && r.find("..") == std::string::npos &&
            r.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789._-/") == std::string::npos;
  if (!ok)
    return logic_error("check reference", "repository '" + r + "'",
                       "expected lowercase path components of a-z, 0-9, '.', '_' and '-'");
  if (!valid_tag(ref.reference) && !is_sha256_digest(ref.reference))
    return logic_error("check reference", "reference '" + ref.reference + "'",
                       "expected a tag ([A-Za-z0-9_][A-Za-z0-9._-]{0,127}) or sha256:<64 hex>");
  return {};
}

Result<Credentials> credentials_from_file(const std::string& path) {
  ASSIGN_OR_RETURN(std::string text, sys::read_small_file(path, 4096));
  std::string line = text.substr(0, text.find('\n'));
  if (!line.empty() && line.back() == '\r') line.pop_back();
  size_t colon = line.find(':');
  if (colon == std::string::npos || colon == 0)
    return logic_error("read credentials", path, "expected a first line \"user:password\"");
  return Credentials{line.substr(0, colon), line.substr(colon + 1)};
}

std::optional<Credentials> credentials_from_env() {
  const char* u = std::getenv("CORDON_REGISTRY_USER");
  const char* p = std::getenv("CORDON_REGISTRY_PASSWORD");
  if (u == nullptr || p == nullptr || *u == '\0') return std::nullopt;
  return Credentials{u, p};
}

Result<PullResult> fetch_to_layout(const RegistryRef& ref, const std::string& layout_dir,
                                   const FetchOptions& opts, const ProgressFn& progress) {
  TRY(check_ref(ref));
  if (layout_dir.empty()) return logic_error("fetch image", "layout directory", "empty path");
  std::string scheme = opts.insecure_http ? "http" : "https";
  ASSIGN_OR_RETURN(Url url, parse_url(scheme + "://" + ref.registry));
  if (opts.insecure_http && !is_loopback_host(url.host))
    return logic_error("fetch image", "insecure http",
                       "plain http is allowed only for a loopback registry (localhost, "
                       "127.0.0.0/8, ::1), not '" +
                           ref.registry + "'");
  ASSIGN_OR_RETURN(HttpClient http, HttpClient::create(opts.ca_file, opts.timeout_ms));
  Session s(std::move(http), ref, opts, url, scheme + "://" + ref.registry);

  PullResult result;
  ASSIGN_OR_RETURN(Fetched top, fetch_manifest(s, ref, ref.reference, opts, nullptr));
  std::optional<Fetched> index;
  Fetched image;
  if (top.manifest.is_index) {
    std::string what = ref.registry + "/" + ref.repository + " " + top.digest;
    ASSIGN_OR_RETURN(Descriptor chosen, select_platform(top.manifest, opts.platform, what));
    ASSIGN_OR_RETURN(image, fetch_manifest(s, ref, chosen.digest, opts, &chosen));
    if (image.manifest.is_index)
      return logic_error("fetch manifest", chosen.digest, "an index inside an index");
    result.index_digest = top.digest;
    index = std::move(top);
  } else {
    image = std::move(top);
  }
  const Manifest& m = image.manifest;

  uint64_t total = m.config.size;
  for (const auto& l : m.layers) total += l.size;  // no overflow: 500 sizes under the cap each
  if (total > opts.max_image_bytes)
    return logic_error("check image size", image.digest,
                       "config and layers declare " + std::to_string(total) +
                           " bytes, over the limit of " + std::to_string(opts.max_image_bytes));

  // Only now, with a manifest in hand, does the layout get anything.
  std::string blobs = layout_dir + "/blobs/sha256";
  TRY(sys::make_dirs(blobs, 0755));
  TRY(write_small(layout_dir + "/oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}\n"));
  if (index) TRY(store_bytes(blobs, index->digest, index->body));
  TRY(store_bytes(blobs, image.digest, image.body));

  std::vector<BlobJob> jobs{{&m.config, "config", 0}};
  for (size_t i = 0; i < m.layers.size(); ++i) jobs.push_back({&m.layers[i], "layer", i});
  BlobFetcher fetcher(s, blobs, progress, m.layers.size(), total, opts.cancel);
  for (const auto& job : jobs) {
    if (opts.cancel != nullptr && opts.cancel->load())
      return logic_error("fetch image", ref.registry + "/" + ref.repository, "cancelled");
    ASSIGN_OR_RETURN(BlobFetch f, fetcher.fetch(job));
    result.bytes_fetched += f.fetched;
    result.blobs.push_back(std::move(f));
  }

  // The config says what the image runs on: a single manifest (no index to choose from)
  // for another platform is refused, as an index without this platform is.
  ASSIGN_OR_RETURN(std::string config_text,
                   sys::read_small_file(blobs + "/" + hex_of(m.config.digest),
                                        static_cast<size_t>(opts.max_manifest_bytes)));
  JsonError jerr;
  auto config = parse_json_strict(config_text, 64, &jerr);
  if (!config || !config->is_object())
    return logic_error("parse image config", m.config.digest, "not a JSON object: " + jerr.message);
  std::string os = config->value("os", std::string());
  std::string arch = config->value("architecture", std::string());
  if (os != opts.platform.os || arch != opts.platform.architecture)
    return logic_error("check platform", m.config.digest,
                       "the image is for " + os + "/" + arch + ", not " + opts.platform.os + "/" +
                           opts.platform.architecture);

  result.manifest_digest = image.digest;
  result.media_type = m.media_type;
  result.config_digest = m.config.digest;
  for (const auto& l : m.layers) result.layers.push_back(l.digest);
  result.size = total;

  nlohmann::json entry = {
      {"mediaType", m.media_type},
      {"digest", image.digest},
      {"size", image.body.size()},
      {"platform", {{"os", opts.platform.os}, {"architecture", opts.platform.architecture}}}};
  if (!opts.platform.variant.empty()) entry["platform"]["variant"] = opts.platform.variant;
  if (!is_sha256_digest(ref.reference))
    entry["annotations"] = {{"org.opencontainers.image.ref.name", ref.reference}};
  nlohmann::json layout_index = {{"schemaVersion", 2},
                                 {"mediaType", kOciIndex},
                                 {"manifests", nlohmann::json::array({entry})}};
  TRY(write_small(layout_dir + "/index.json", layout_index.dump() + "\n"));
  return result;
}

}  // namespace cordon::registry
