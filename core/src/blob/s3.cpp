// The blob store's S3 backend (syn/core/blob_store.hpp): libcurl, requests signed with AWS
// Signature Version 4 by libcurl itself (CURLOPT_AWS_SIGV4, curl >= 7.75).
//
// S3 API used (https://docs.aws.amazon.com/AmazonS3/latest/API/): HeadObject (does the blob
// exist, its size), PutObject (with `x-amz-content-sha256` set to the payload's SHA-256, which
// the signature covers and S3 checks: "XAmzContentSHA256Mismatch"), GetObject.
#include <curl/curl.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <functional>
#include <mutex>

#include "syn/core/blob_store.hpp"
#include "syn/core/sha256.hpp"

namespace syn::blob {
namespace {

constexpr std::string_view empty_sha256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

struct curl_handle_free {
  void operator()(CURL* c) const noexcept { curl_easy_cleanup(c); }
};
struct slist_free {
  void operator()(curl_slist* l) const noexcept { curl_slist_free_all(l); }
};
struct file_close {
  void operator()(std::FILE* f) const noexcept { std::fclose(f); }
};
using slist_ptr = std::unique_ptr<curl_slist, slist_free>;

void global_init() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

// The text of <Code> and <Message> in an S3 error body, "Code: Message" (empty when absent).
std::string s3_error_text(const std::string& body) {
  auto element = [&](std::string_view tag) -> std::string {
    const std::string open = "<" + std::string(tag) + ">";
    const std::string close = "</" + std::string(tag) + ">";
    const auto b = body.find(open);
    if (b == std::string::npos) return {};
    const auto e = body.find(close, b + open.size());
    if (e == std::string::npos) return {};
    return body.substr(b + open.size(), std::min<std::size_t>(e - b - open.size(), 200));
  };
  std::string code = element("Code");
  std::string message = element("Message");
  if (code.empty()) return message;
  return message.empty() ? code : code + ": " + message;
}

struct response {
  long status = 0;
  std::string body;
  bool truncated = false;  // the body went past the caller's limit
  curl_off_t length = -1;  // Content-Length, when given
};

class s3_store final : public store {
 public:
  explicit s3_store(s3_options o) : o_(std::move(o)), handle_(curl_easy_init()) {
    while (!o_.endpoint.empty() && o_.endpoint.back() == '/') o_.endpoint.pop_back();
    sigv4_ = "aws:amz:" + o_.region + ":s3";
  }

  result<ref> put(std::string_view bytes) override {
    sha256_stream h;
    h.update(bytes);
    ref r{h.hex(), bytes.size()};
    if (already_stored(r)) return r;
    std::string_view rest = bytes;
    auto reader = [&rest](char* buf, std::size_t max) -> std::size_t {
      const std::size_t n = std::min(max, rest.size());
      std::memcpy(buf, rest.data(), n);
      rest.remove_prefix(n);
      return n;
    };
    BOOST_OUTCOME_TRY(upload(r, reader));
    return r;
  }

  result<ref> put_file(const std::filesystem::path& file) override {
    // Hashed first (the key and the signed payload hash), then sent: two reads, never whole.
    const std::unique_ptr<std::FILE, file_close> in(std::fopen(file.c_str(), "rb"));
    if (!in) return error(errc::invalid, "cannot read " + file.string() + ": " + std::strerror(errno));
    sha256_stream h;
    std::array<char, 1 << 16> buf{};
    std::uint64_t total = 0;
    for (;;) {
      const std::size_t n = std::fread(buf.data(), 1, buf.size(), in.get());
      if (n > 0) {
        h.update({buf.data(), n});
        total += n;
      }
      if (n < buf.size()) {
        if (std::ferror(in.get()) != 0) return error(errc::invalid, "cannot read " + file.string());
        break;
      }
    }
    ref r{h.hex(), total};
    if (already_stored(r)) return r;
    std::rewind(in.get());
    std::uint64_t sent = 0;
    auto reader = [&](char* out, std::size_t max) -> std::size_t {
      const std::size_t n = std::fread(out, 1, max, in.get());
      sent += n;
      return n;
    };
    BOOST_OUTCOME_TRY(upload(r, reader));
    // A file that changed between the two reads was sent with the wrong length and hash: S3
    // refuses the hash mismatch; a short read ends here.
    if (sent != total) return error(errc::invalid, file.string() + " changed while it was stored");
    return r;
  }

  result<std::uint64_t> size(std::string_view sha256) override {
    BOOST_OUTCOME_TRY(check_name(sha256));
    BOOST_OUTCOME_TRY(res, request("HEAD", sha256, nullptr, 0, {}, 0));
    if (res.status == 200) return static_cast<std::uint64_t>(res.length < 0 ? 0 : res.length);
    return status_error(res, "HEAD", sha256);
  }

  result<std::string> get(std::string_view sha256, std::uint64_t max_bytes) override {
    BOOST_OUTCOME_TRY(check_name(sha256));
    BOOST_OUTCOME_TRY(res, request("GET", sha256, nullptr, 0, {}, max_bytes));
    if (res.status != 200) return status_error(res, "GET", sha256);
    if (res.truncated) {
      return error(errc::too_large,
                   "blob " + std::string(sha256) + " is larger than " + std::to_string(max_bytes) + " bytes");
    }
    sha256_stream h;
    h.update(res.body);
    if (h.hex() != sha256)
      return error(errc::corrupt,
                   "blob " + std::string(sha256) + " in " + describe() + " does not match its SHA-256");
    return std::move(res.body);
  }

  [[nodiscard]] std::string describe() const override {
    return "s3 " + o_.endpoint + "/" + o_.bucket + "/" + o_.prefix;
  }

 private:
  using reader_fn = std::function<std::size_t(char*, std::size_t)>;

  static result<void> check_name(std::string_view sha256) {
    if (!is_sha256_hex(sha256))
      return error(errc::invalid, "not a SHA-256: '" + std::string(sha256.substr(0, 80)) + "'");
    return success();
  }

  [[nodiscard]] std::string url_of(std::string_view sha256) const {
    const std::string key = o_.prefix + "sha256/" + std::string(sha256);
    if (o_.path_style) return o_.endpoint + "/" + o_.bucket + "/" + key;
    const auto scheme_end = o_.endpoint.find("://");
    const std::size_t host_at = scheme_end == std::string::npos ? 0 : scheme_end + 3;
    return o_.endpoint.substr(0, host_at) + o_.bucket + "." + o_.endpoint.substr(host_at) + "/" + key;
  }

  // Whether the blob is there already with its size (a failed HEAD is not fatal: the PUT tells).
  bool already_stored(const ref& r) {
    auto n = size(r.sha256);
    return n && n.value() == r.bytes;
  }

  result<void> upload(const ref& r, const reader_fn& reader) {
    BOOST_OUTCOME_TRY(res, request("PUT", r.sha256, &reader, r.bytes, r.sha256, 0));
    if (res.status == 200) return success();
    return status_error(res, "PUT", r.sha256);
  }

  [[nodiscard]] error status_error(const response& res, std::string_view verb,
                                   std::string_view sha256) const {
    const std::string what = std::string(verb) + " blob " + std::string(sha256) + " at " + describe() +
                             ": HTTP " + std::to_string(res.status);
    const std::string s3 = s3_error_text(res.body);
    const std::string line = s3.empty() ? what : what + " (" + s3 + ")";
    if (res.status == 404 && s3.find("NoSuchBucket") == std::string::npos) return {errc::not_found, line};
    if (res.status >= 500 || res.status == 429 || res.status == 408) return {errc::unavailable, line};
    return {errc::refused, line};
  }

  // One request on the shared handle (keep-alive), under its lock.
  result<response> request(const char* verb, std::string_view sha256, const reader_fn* body,
                           std::uint64_t body_bytes, std::string_view payload_sha256,
                           std::uint64_t max_body) {
    const std::lock_guard lock(mutex_);
    CURL* c = handle_.get();
    if (c == nullptr) return error(errc::unavailable, "libcurl could not make a handle");
    curl_easy_reset(c);
    response res;
    const std::string url = url_of(sha256);
    slist_ptr headers;
    auto add = [&headers](const std::string& h) {
      headers.reset(curl_slist_append(headers.release(), h.c_str()));
    };
    add("x-amz-content-sha256: " + std::string(payload_sha256.empty() ? empty_sha256 : payload_sha256));
    if (body != nullptr) add("Content-Type: application/octet-stream");
    // No "Expect:" override here: libcurl 7.88 signs an emptied header too (as "expect;"), and
    // the store then refuses the signature.
    struct sink_state {
      response* r;
      std::uint64_t max;
      bool keep;
    } sink{&res, max_body, std::string_view(verb) == "GET"};
    auto write_cb = +[](char* p, std::size_t size, std::size_t n, void* ud) -> std::size_t {
      auto* s = static_cast<sink_state*>(ud);
      const std::size_t bytes = size * n;
      // Error bodies (XML) are kept up to 64 KiB; a GET's body up to the caller's limit.
      const std::uint64_t cap = s->keep && s->r->status == 200 ? s->max : 65536;
      if (s->r->body.size() + bytes > cap) {
        s->r->truncated = true;
        return 0;  // aborts the transfer
      }
      s->r->body.append(p, bytes);
      return bytes;
    };
    auto header_cb = +[](char* p, std::size_t size, std::size_t n, void* ud) -> std::size_t {
      auto* s = static_cast<sink_state*>(ud);
      const std::string_view line(p, size * n);
      if (line.starts_with("HTTP/")) {
        const auto sp = line.find(' ');
        if (sp != std::string_view::npos)
          s->r->status = std::strtol(std::string(line.substr(sp + 1, 3)).c_str(), nullptr, 10);
      }
      return size * n;
    };
    auto read_cb = +[](char* p, std::size_t size, std::size_t n, void* ud) -> std::size_t {
      return (*static_cast<const reader_fn*>(ud))(p, size * n);
    };
    curl_easy_setopt(c, CURLOPT_URL, url.c_str());
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(o_.connect_timeout_ms));
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(o_.request_timeout_ms));
    curl_easy_setopt(c, CURLOPT_AWS_SIGV4, sigv4_.c_str());
    curl_easy_setopt(c, CURLOPT_USERNAME, o_.access_key_id.c_str());
    curl_easy_setopt(c, CURLOPT_PASSWORD, o_.secret_access_key.c_str());
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, write_cb);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, header_cb);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &sink);
    if (std::string_view(verb) == "HEAD") {
      curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    } else if (body != nullptr) {
      curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
      curl_easy_setopt(c, CURLOPT_READFUNCTION, read_cb);
      curl_easy_setopt(c, CURLOPT_READDATA, body);
      curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(body_bytes));
    }
    const CURLcode rc = curl_easy_perform(c);
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    res.status = status;
    curl_off_t length = -1;
    if (curl_easy_getinfo(c, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &length) == CURLE_OK) res.length = length;
    if (rc == CURLE_WRITE_ERROR && res.truncated) return res;
    if (rc != CURLE_OK) {
      const errc code =
          rc == CURLE_URL_MALFORMAT || rc == CURLE_UNSUPPORTED_PROTOCOL ? errc::refused : errc::unavailable;
      return error(code, std::string(verb) + " " + url + ": " + curl_easy_strerror(rc));
    }
    return res;
  }

  s3_options o_;
  std::string sigv4_;
  std::mutex mutex_;
  std::unique_ptr<CURL, curl_handle_free> handle_;
};

}  // namespace

result<std::unique_ptr<store>> open_s3(s3_options options) {
  if (options.endpoint.find("://") == std::string::npos) {
    return error(errc::refused, "S3 endpoint '" + options.endpoint + "' is not a URL (https://host[:port])");
  }
  if (options.bucket.empty()) return error(errc::refused, "S3 bucket is not configured");
  if (options.access_key_id.empty() || options.secret_access_key.empty()) {
    return error(errc::refused, "S3 credentials are not configured (access key id and secret access key)");
  }
  if (!options.prefix.empty() && options.prefix.back() != '/') options.prefix.push_back('/');
  global_init();
  return std::unique_ptr<store>(std::make_unique<s3_store>(std::move(options)));
}

}  // namespace syn::blob
