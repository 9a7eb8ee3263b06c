// The local WeChat API. Each rule cites the platform's page by its number in docs/FEED.md
// "References" ([1] draft/add, [3] add_material, [4] uploadimg, [5] stable_token, [7]
// freepublish/submit, [9] draft/batchget, [11][12] return codes, [13] PUBLISHJOBFINISH, [14]
// material formats and temporary media, [15] del_material, [16] clear_quota, [17]
// openapi/quota/get, [18] freepublish/batchget).
#include "wechat_test_server.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cctype>
#include <chrono>
#include <condition_variable>
#include <ctime>
#include <deque>
#include <mutex>
#include <optional>
#include <random>
#include <regex>
#include <set>
#include <thread>
#include <variant>
#include <vector>

#include "images.hpp"

namespace syn::testing {
namespace {

using json = nlohmann::json;
using steady = std::chrono::steady_clock;

/// Code points, as WeChat's documentation counts 字 (the feed counts more conservatively).
std::size_t count_chars(std::string_view s) {
  std::size_t n = 0;
  for (const char c : s) {
    if ((static_cast<unsigned char>(c) & 0xC0U) != 0x80U) ++n;
  }
  return n;
}

std::string hex_sha256(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr);
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < len; ++i) {
    out.push_back(hex[md[i] >> 4U]);
    out.push_back(hex[md[i] & 0xFU]);
  }
  return out;
}

http::response ok_json(const json& j) {
  http::response r;
  r.status = 200;
  r.content_type = "application/json; charset=utf-8";
  r.body = j.dump(-1, ' ', false, json::error_handler_t::replace);
  return r;
}

http::response wx_error(int code, std::string_view msg) {
  return ok_json(
      json{{"errcode", code}, {"errmsg", std::string(msg) + " rid: test-" + std::to_string(code)}});
}

/// The lower-case extension of an upload's file name, without the dot ("" if none).
std::string extension(std::string_view filename) {
  const auto dot = filename.rfind('.');
  if (dot == std::string_view::npos) return {};
  std::string e(filename.substr(dot + 1));
  for (auto& c : e) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return e;
}

/// Whether `href` points to a WeChat article (the only links the platform keeps in content).
bool wechat_link(std::string_view href) {
  for (const std::string_view prefix : {"https://mp.weixin.qq.com/", "http://mp.weixin.qq.com/"}) {
    if (href.substr(0, prefix.size()) == prefix) return true;
  }
  return false;
}

struct part {
  std::string name;
  std::string filename;
  std::string content_type;
  std::string data;
};

/// Parses a multipart/form-data body; empty if malformed.
std::vector<part> parse_multipart(const std::string& content_type, const std::string& body) {
  std::vector<part> out;
  const auto b = content_type.find("boundary=");
  if (b == std::string::npos) return out;
  std::string boundary = content_type.substr(b + 9);
  if (const auto semi = boundary.find(';'); semi != std::string::npos) boundary.erase(semi);
  if (boundary.size() >= 2 && boundary.front() == '"') boundary = boundary.substr(1, boundary.size() - 2);
  const std::string delim = "--" + boundary;
  std::size_t pos = body.find(delim);
  while (pos != std::string::npos) {
    pos += delim.size();
    if (body.compare(pos, 2, "--") == 0) break;  // closing delimiter
    if (body.compare(pos, 2, "\r\n") != 0) return {};
    pos += 2;
    const auto head_end = body.find("\r\n\r\n", pos);
    if (head_end == std::string::npos) return {};
    const std::string head = body.substr(pos, head_end - pos);
    const auto next = body.find("\r\n" + delim, head_end + 4);
    if (next == std::string::npos) return {};
    part p;
    p.data = body.substr(head_end + 4, next - head_end - 4);
    static const std::regex name_re(R"re(name="([^"]*)")re", std::regex::icase);
    static const std::regex file_re(R"re(filename="([^"]*)")re", std::regex::icase);
    static const std::regex type_re(R"re(content-type:\s*([^\r\n]+))re", std::regex::icase);
    std::smatch m;
    if (std::regex_search(head, m, file_re)) p.filename = m[1];
    // `name=` also matches inside `filename=`: search the Content-Disposition line before it.
    const auto fn = head.find("filename=");
    const std::string head_wo_filename = fn == std::string::npos ? head : head.substr(0, fn);
    if (std::regex_search(head_wo_filename, m, name_re)) p.name = m[1];
    if (std::regex_search(head, m, type_re)) p.content_type = m[1];
    out.push_back(std::move(p));
    pos = next + 2;
  }
  return out;
}

struct token_info {
  std::string app_id;
  bool stable = true;
  steady::time_point expires;
};

struct fault {
  int remaining = 0;
  int skip = 0;  ///< matching calls let through before the fault applies
  std::string path;
  std::string app_id;  ///< only calls made for this app (its access token, or `appid`)
  int errcode = 0;
  std::string errmsg;  ///< answered with errcode; empty: a generic message
  int http_status = 0;
  int hang_ms = 0;
  bool process = false;
};

struct stored_draft {
  std::string media_id;
  std::string app_id;
  json articles;  ///< as received (content kept)
  std::int64_t update_time = 0;
  std::int64_t received_ms = 0;  ///< system clock, ms since the epoch (latency benchmarks)
  bool published = false;
  std::string publish_id;
  std::string article_id;  ///< once published
  int scripts_removed = 0;
  int external_links_removed = 0;  ///< <a href> outside mp.weixin.qq.com, kept as text
  int digests_dropped = 0;         ///< digests sent on a multi-article draft (the platform keeps none)
  int handlers_removed = 0;
  int external_images_filtered = 0;
};

}  // namespace

/// SHA-1 hex of the sorted concatenation of the parts: WeChat's push `signature` (token,
/// timestamp, nonce) and, in safe mode, `msg_signature` (the same and the Encrypt text).
std::string push_signature(std::vector<std::string> parts) {
  std::sort(parts.begin(), parts.end());
  std::string joined;
  for (const auto& p : parts) joined += p;
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(joined.data(), joined.size(), md, &len, EVP_sha1(), nullptr);
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < len; ++i) {
    out += hex[md[i] >> 4];
    out += hex[md[i] & 0xf];
  }
  return out;
}

/// Safe mode's Encrypt text, as the platform's technical plan describes it
/// (developers.weixin.qq.com/doc/oplatform/en/Third-party_Platforms/Message_Encryption/Technical_Plan.html):
/// AESKey = Base64_Decode(EncodingAESKey + "="); Base64(AES-256-CBC(random(16) + msg_len(4,
/// network order) + msg + AppID, PKCS#7-padded to a multiple of 32)), IV = AESKey's first 16 bytes.
/// Empty when the key is not 43 Base64 characters.
std::string safe_mode_encrypt(const std::string& encoding_aes_key, const std::string& msg,
                              const std::string& app_id) {
  if (encoding_aes_key.size() != 43) return {};
  const std::string b64 = encoding_aes_key + "=";
  unsigned char key[48];
  if (EVP_DecodeBlock(key, reinterpret_cast<const unsigned char*>(b64.data()),
                      static_cast<int>(b64.size())) != 33) {
    return {};
  }
  std::string plain(16, '\0');
  thread_local std::mt19937 random_bytes{std::random_device{}()};
  for (auto& c : plain) c = static_cast<char>(random_bytes() & 0xFFU);
  const auto n = static_cast<std::uint32_t>(msg.size());
  for (int shift = 24; shift >= 0; shift -= 8) plain.push_back(static_cast<char>((n >> shift) & 0xFFU));
  plain += msg;
  plain += app_id;
  const std::size_t pad = 32 - plain.size() % 32;  // 1..32
  plain.append(pad, static_cast<char>(pad));
  std::string cipher(plain.size(), '\0');
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  int len = 0;
  int tail = 0;
  const bool ok = ctx != nullptr && EVP_EncryptInit_ex(ctx, EVP_aes_256_cbc(), nullptr, key, key) == 1 &&
                  EVP_CIPHER_CTX_set_padding(ctx, 0) == 1 &&
                  EVP_EncryptUpdate(ctx, reinterpret_cast<unsigned char*>(cipher.data()), &len,
                                    reinterpret_cast<const unsigned char*>(plain.data()),
                                    static_cast<int>(plain.size())) == 1 &&
                  EVP_EncryptFinal_ex(ctx, reinterpret_cast<unsigned char*>(cipher.data()) + len, &tail) == 1;
  EVP_CIPHER_CTX_free(ctx);
  if (!ok) return {};
  std::string out(4 * ((cipher.size() + 2) / 3) + 1, '\0');
  const int m =
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                      reinterpret_cast<const unsigned char*>(cipher.data()), static_cast<int>(cipher.size()));
  out.resize(static_cast<std::size_t>(m));
  return out;
}

/// POSTs `body` to `url` (http://host:port/path) with `query` appended; returns the HTTP status
/// (0 when the connection failed).
unsigned post_to(const std::string& url, const std::string& query, const std::string& body) {
  namespace beast = boost::beast;
  namespace bhttp = boost::beast::http;
  static const std::regex re(R"(^http://([^/:]+|\[[^\]]+\]):(\d+)(/.*)?$)");
  std::smatch m;
  if (!std::regex_match(url, m, re)) return 0;
  std::string host = m[1].str();
  if (host.size() > 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
  std::string target = m[3].matched ? m[3].str() : "/";
  target += (target.find('?') == std::string::npos ? "?" : "&");
  target += query;
  try {
    boost::asio::io_context io;
    boost::asio::ip::tcp::resolver resolver(io);
    beast::tcp_stream stream(io);
    stream.expires_after(std::chrono::seconds(5));
    stream.connect(resolver.resolve(host, m[2].str()));
    bhttp::request<bhttp::string_body> req{bhttp::verb::post, target, 11};
    req.set(bhttp::field::host, host);
    req.set(bhttp::field::content_type, "text/xml");
    req.body() = body;
    req.prepare_payload();
    bhttp::write(stream, req);
    beast::flat_buffer buf;
    bhttp::response<bhttp::string_body> res;
    bhttp::read(stream, buf, res);
    beast::error_code ec;
    stream.socket().shutdown(boost::asio::ip::tcp::socket::shutdown_both, ec);
    return res.result_int();
  } catch (const std::exception&) {
    return 0;
  }
}

/// Where and how freepublish/submit pushes PUBLISHJOBFINISH (set by /__control callback_url).
struct push_config {
  std::string url;
  std::string token;
  int publish_status = 0;
  std::map<std::string, int> status_by_app;  ///< overrides publish_status per AppID
  int delay_ms = 200;
  /// Set: pushes in safe mode (encrypt_type=aes, msg_signature, an <Encrypt> body).
  std::string encoding_aes_key;
  /// Per AppID: each Official Account has its own push URL, Token and EncodingAESKey.
  struct endpoint {
    std::string url, token, encoding_aes_key;
  };
  std::map<std::string, endpoint> by_app;

  /// The URL, Token and key the pushes for `app` use.
  [[nodiscard]] push_config for_app(const std::string& app) const {
    push_config p = *this;
    if (const auto it = by_app.find(app); it != by_app.end()) {
      p.url = it->second.url, p.token = it->second.token, p.encoding_aes_key = it->second.encoding_aes_key;
    }
    return p;
  }
};

/// Pushes `xml` as WeChat's message push does: the query carries `signature`, `timestamp` (now),
/// a random `nonce` and `openid`; in safe mode also `encrypt_type=aes` and `msg_signature`, and the
/// body is `<xml><ToUserName/><Encrypt/></xml>` (the Official Account's 消息加解密说明,
/// developers.weixin.qq.com/doc/subscription/guide/dev/push/encryption.md). Returns the HTTP status
/// (0: no connection, or a key that cannot encrypt).
unsigned push_message(const push_config& p, const std::string& xml, const std::string& app_id) {
  thread_local std::mt19937_64 random_nonce{std::random_device{}()};
  const std::string ts = std::to_string(
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
          .count());
  const std::string nonce = std::to_string(random_nonce() % 10000000000ULL);
  std::string query = "signature=" + push_signature({p.token, ts, nonce}) + "&timestamp=" + ts +
                      "&nonce=" + nonce + "&openid=oTestServerOpenId";
  if (p.encoding_aes_key.empty()) return post_to(p.url, query, xml);
  const std::string encrypt = safe_mode_encrypt(p.encoding_aes_key, xml, app_id);
  if (encrypt.empty()) return 0;
  query += "&encrypt_type=aes&msg_signature=" + push_signature({p.token, ts, nonce, encrypt});
  return post_to(p.url, query,
                 "<xml><ToUserName><![CDATA[gh_testserver]]></ToUserName><Encrypt><![CDATA[" + encrypt +
                     "]]></Encrypt></xml>");
}

struct wechat_test_server::impl {
  explicit impl(wechat_test_server_options o) : options(std::move(o)) {}

  wechat_test_server_options options;
  mutable std::mutex mu;
  std::condition_variable cv;
  bool stopping = false;
  std::unique_ptr<http::server> server;

  std::map<std::string, std::string> secrets;         ///< app -> secret (learned when options.apps is empty)
  std::map<std::string, token_info> tokens;           ///< token -> info
  std::map<std::string, std::string> stable_current;  ///< app -> current stable token
  std::map<std::string, std::string> classic_current;
  std::deque<fault> faults;
  std::vector<stored_draft> drafts;
  std::map<std::string, json>
      materials;  ///< media_id -> {app, url, bytes, sha256, filename, type, width, height}
  std::vector<std::string> deleted_materials;
  std::map<std::string, json> temp_media;  ///< media/upload: media_id -> {app, type, bytes, sha256}
  /// Daily quotas: (app or "" for every app, API path without /cgi-bin/) -> calls a day (0: none).
  std::map<std::pair<std::string, std::string>, std::int64_t> quota_limit;
  std::map<std::pair<std::string, std::string>, std::int64_t> quota_used;  ///< (app, api) -> today
  std::map<std::pair<std::string, std::string>, std::int64_t> quota_refused;
  std::map<std::string, int> clears;  ///< clear_quota calls that took effect, per app (10 a month)
  std::uint64_t quota_resets = 0;
  /// force_refresh per app: when, this day (20 a day, 30 s apart [5]).
  std::map<std::string, std::vector<steady::time_point>> forced;
  std::vector<json> images;
  std::vector<json> publishes;
  std::map<std::string, std::uint64_t> calls;
  std::optional<push_config> push;
  std::vector<std::thread> pushers;
  json pushed_events = json::array();  ///< {publish_id, publish_status, http_status}
  std::uint64_t faults_injected = 0;
  std::uint64_t stable_issued = 0, classic_issued = 0, force_refreshes = 0;
  std::uint64_t seq = 0;
  std::mt19937_64 rng{0x5eed};

  std::string fresh_id(std::string_view prefix) {
    static constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";
    std::string s(prefix);
    s += std::to_string(++seq);
    s += '_';
    for (int i = 0; i < 24; ++i) s.push_back(alphabet[rng() % 64]);
    return s;
  }

  // ---- daily quotas (callers hold mu) ----

  static std::string api_of(const std::string& path) {
    constexpr std::string_view prefix = "/cgi-bin/";
    return path.rfind(prefix, 0) == 0 ? path.substr(prefix.size()) : path;
  }

  [[nodiscard]] std::int64_t limit_of(const std::string& app, const std::string& api) const {
    if (const auto it = quota_limit.find({app, api}); it != quota_limit.end()) return it->second;
    if (const auto it = quota_limit.find({std::string(), api}); it != quota_limit.end()) return it->second;
    return 0;
  }

  /// Counts a call of `path` for `app`; the 45009 answer once the day's quota is spent.
  std::optional<http::response> spend_quota(const std::string& app, const std::string& path) {
    const auto api = api_of(path);
    const auto limit = limit_of(app, api);
    auto& used = quota_used[{app, api}];
    if (limit > 0 && used >= limit) {
      ++quota_refused[{app, api}];
      return wx_error(45009, "reach max api daily quota limit");
    }
    ++used;
    return std::nullopt;
  }

  /// clear_quota [16]: resets the app's daily counts; `appid` must be the token's app (40013);
  /// 10 times a month (48006).
  http::response clear_quota(const http::request& req, const std::string& app) {
    const auto j = json::parse(req.body, nullptr, false);
    if (!j.is_object()) return wx_error(47001, "data format error");
    if (j.value("appid", std::string()) != app) return wx_error(40013, "invalid appid");
    if (clears[app] >= 10) return wx_error(48006, "forbid to clear quota because of reaching the limit");
    ++clears[app];
    for (auto it = quota_used.begin(); it != quota_used.end();) {
      it = it->first.first == app ? quota_used.erase(it) : std::next(it);
    }
    return ok_json(json{{"errcode", 0}, {"errmsg", "ok"}});
  }

  /// openapi/quota/get [17]: {"cgi_path": "/cgi-bin/..."} -> quota {daily_limit, used, remain};
  /// an API without a configured quota answers a daily_limit of 100000.
  http::response quota_get(const http::request& req, const std::string& app) {
    const auto j = json::parse(req.body, nullptr, false);
    const auto cgi = j.is_object() ? j.value("cgi_path", std::string()) : std::string();
    if (cgi.rfind("/cgi-bin/", 0) != 0) return wx_error(76021, "cgi_path not found");
    const auto api = api_of(cgi);
    const auto limit = limit_of(app, api) > 0 ? limit_of(app, api) : 100000;
    const auto it = quota_used.find({app, api});
    const auto used = it == quota_used.end() ? 0 : it->second;
    return ok_json(json{
        {"errcode", 0},
        {"errmsg", "ok"},
        {"quota",
         {{"daily_limit", limit}, {"used", used}, {"remain", std::max<std::int64_t>(0, limit - used)}}}});
  }

  // ---- credentials and tokens (callers hold mu) ----

  std::optional<http::response> check_app(const std::string& appid, const std::string& secret) {
    if (appid.empty()) return wx_error(41002, "appid missing");
    if (secret.empty()) return wx_error(41004, "appsecret missing");
    if (!options.apps.empty()) {
      const auto it = options.apps.find(appid);
      if (it == options.apps.end()) return wx_error(40013, "invalid appid");
      if (it->second != secret) return wx_error(40125, "invalid appsecret");
      return std::nullopt;
    }
    auto [it, fresh] = secrets.emplace(appid, secret);
    if (!fresh && it->second != secret) return wx_error(40125, "invalid appsecret");
    return std::nullopt;
  }

  std::string issue(const std::string& app, bool stable) {
    auto t = fresh_id(stable ? "STABLE" : "CLASSIC");
    tokens[t] = {app, stable, steady::now() + std::chrono::seconds(options.token_ttl_s)};
    return t;
  }

  long long remaining_s(const std::string& token) const {
    const auto it = tokens.find(token);
    if (it == tokens.end()) return 0;
    const auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(it->second.expires - steady::now()).count();
    return std::max<long long>(0, (ms + 999) / 1000);  // whole seconds, rounded up
  }

  bool valid(const std::string& token) const {
    const auto it = tokens.find(token);
    return it != tokens.end() && steady::now() < it->second.expires;
  }

  http::response stable_token(const http::request& req) {
    const auto j = json::parse(req.body, nullptr, false);
    if (j.is_discarded() || !j.is_object()) return wx_error(47001, "data format error");
    if (j.value("grant_type", "") != "client_credential") return wx_error(40002, "invalid grant_type");
    const auto app = j.value("appid", std::string());
    if (auto e = check_app(app, j.value("secret", std::string()))) return *e;
    const bool force = j.value("force_refresh", false);
    auto& cur = stable_current[app];
    if (force) {
      // "强制刷新模式每天限用20次且需间隔30秒" [5].
      auto& times = forced[app];
      const auto now = steady::now();
      if (!times.empty() &&
          now - times.back() < std::chrono::milliseconds(options.force_refresh_interval_ms)) {
        return wx_error(
            45011, "api minute-quota reach limit  mustslower  retry next minute (force_refresh 30 s apart)");
      }
      if (times.size() >= 20)
        return wx_error(45009, "reach max api daily quota limit (force_refresh 20 a day)");
      times.push_back(now);
      ++force_refreshes;
      tokens.erase(cur);  // force_refresh invalidates the previous stable token at once
      cur.clear();
    }
    if (cur.empty() || !valid(cur)) {
      cur = issue(app, true);
      ++stable_issued;
    }
    return ok_json(json{{"access_token", cur}, {"expires_in", remaining_s(cur)}});
  }

  http::response classic_token(const http::request& req) {
    auto q = [&](const char* k) {
      const auto it = req.query.find(k);
      return it == req.query.end() ? std::string() : it->second;
    };
    if (q("grant_type") != "client_credential") return wx_error(40002, "invalid grant_type");
    const auto app = q("appid");
    if (auto e = check_app(app, q("secret"))) return *e;
    auto& cur = classic_current[app];
    if (auto it = tokens.find(cur); it != tokens.end()) {
      // Each fetch replaces the previous token, which survives only the grace period.
      it->second.expires =
          std::min(it->second.expires, steady::now() + std::chrono::milliseconds(options.classic_grace_ms));
    }
    cur = issue(app, false);
    ++classic_issued;
    return ok_json(json{{"access_token", cur}, {"expires_in", options.token_ttl_s}});
  }

  /// The app of a request's access_token, or the error answer.
  std::variant<std::string, http::response> authorize(const http::request& req) {
    const auto it = req.query.find("access_token");
    if (it == req.query.end() || it->second.empty()) return wx_error(41001, "access_token missing");
    const auto t = tokens.find(it->second);
    if (t == tokens.end()) {
      if (it->second.rfind("STABLE", 0) != 0 && it->second.rfind("CLASSIC", 0) != 0) {
        return wx_error(40014, "invalid access_token");
      }
      return wx_error(40001, "invalid credential, access_token is invalid or not latest");
    }
    if (steady::now() >= t->second.expires) return wx_error(42001, "access_token expired");
    return t->second.app_id;
  }

  // ---- API ----

  enum class upload_kind { permanent, body, temporary };

  /// material/add_material [3], media/uploadimg [4], media/upload (temporary media [14]). The
  /// media is decoded (libjpeg-turbo, libpng): a file that only starts like an image is refused.
  ///   add_material type=image: bmp/png/jpeg/jpg/gif, at most 10 MB; type=thumb: JPG, 64 KB [3][14];
  ///   uploadimg: jpg/png, under 1 MB, not in the material library [4];
  ///   media/upload type=image: png/jpeg/jpg/gif, 10 MB, a media_id valid 3 days that is not a
  ///   permanent media_id (draft/add's thumb_media_id must be permanent [1]).
  /// The file name's extension must be one of the type's formats and match the content.
  http::response upload(const http::request& req, const std::string& app, upload_kind kind) {
    std::string type = "image";
    if (kind != upload_kind::body) {
      const auto t = req.query.find("type");
      if (t == req.query.end() || (t->second != "image" && t->second != "thumb")) {
        return wx_error(40004, "invalid media type (this test server takes type=image or type=thumb)");
      }
      type = t->second;
    }
    const auto parts = parse_multipart(req.header("content-type"), req.body);
    const auto media =
        std::find_if(parts.begin(), parts.end(), [](const part& p) { return p.name == "media"; });
    if (media == parts.end()) return wx_error(41005, "media data missing");
    if (media->data.empty()) return wx_error(44001, "empty media data");
    std::vector<std::string> formats;  // allowed extensions
    std::size_t max_bytes = 10U << 20U;
    bool strictly_under = false;
    if (kind == upload_kind::body) {
      formats = {"jpg", "jpeg", "png"}, max_bytes = 1U << 20U, strictly_under = true;
    } else if (type == "thumb") {
      formats = {"jpg", "jpeg"}, max_bytes = 64U << 10U;
    } else if (kind == upload_kind::permanent) {
      formats = {"bmp", "png", "jpeg", "jpg", "gif"};
    } else {
      formats = {"png", "jpeg", "jpg", "gif"};
    }
    const auto ext = extension(media->filename);
    if (std::find(formats.begin(), formats.end(), ext) == formats.end()) {
      return wx_error(40005, "invalid file type: extension '" + ext + "'");
    }
    const auto img = decode_image(media->data);
    if (!img.ok) return wx_error(40005, "invalid file type: " + img.error);
    const std::string ext_format = ext == "jpg" ? "jpeg" : ext;
    if (img.format != ext_format)
      return wx_error(40005, "invalid file type: ." + ext + " holds a " + img.format + " image");
    if (strictly_under ? media->data.size() >= max_bytes : media->data.size() > max_bytes) {
      return wx_error(40009, "invalid image size");
    }
    const auto sha = hex_sha256(media->data);
    if (kind == upload_kind::permanent) {
      const auto id = fresh_id("MEDIA");
      const auto url = "http://mmbiz.qpic.cn/test_material/" + id + "/0?wx_fmt=" + img.format;
      materials[id] = json{{"app_id", app},
                           {"url", url},
                           {"bytes", media->data.size()},
                           {"sha256", sha},
                           {"filename", media->filename},
                           {"type", type},
                           {"width", img.width},
                           {"height", img.height}};
      return ok_json(json{{"media_id", id}, {"url", url}});
    }
    if (kind == upload_kind::temporary) {
      const auto id = fresh_id("TEMP");
      temp_media[id] = json{{"app_id", app}, {"type", type}, {"bytes", media->data.size()}, {"sha256", sha}};
      return ok_json(json{{"type", type}, {"media_id", id}, {"created_at", std::time(nullptr)}});
    }
    const auto url = "http://mmbiz.qpic.cn/test_body/" + fresh_id("IMG") + "/0?wx_fmt=" + img.format;
    images.push_back(json{{"app_id", app}, {"url", url}, {"bytes", media->data.size()}, {"sha256", sha}});
    return ok_json(json{{"url", url}, {"errcode", 0}, {"errmsg", "ok"}});
  }

  /// material/del_material [15]: the media_id of a permanent material of the app.
  http::response del_material(const http::request& req, const std::string& app) {
    const auto j = json::parse(req.body, nullptr, false);
    const auto id = j.is_object() ? j.value("media_id", std::string()) : std::string();
    const auto m = materials.find(id);
    if (m == materials.end() || m->second.value("app_id", "") != app)
      return wx_error(40007, "invalid media_id");
    deleted_materials.push_back(id);
    materials.erase(m);
    return ok_json(json{{"errcode", 0}, {"errmsg", "ok"}});
  }

  /// Removes what WeChat removes from content; counts it.
  static std::string clean_content(std::string c, stored_draft& d) {
    static const std::regex script(R"(<script\b[^>]*>[\s\S]*?</script\s*>)", std::regex::icase);
    static const std::regex handler(R"re(\s+on[a-z]+\s*=\s*("[^"]*"|'[^']*'|[^\s>]+))re", std::regex::icase);
    static const std::regex img(R"re(<img\b[^>]*\bsrc\s*=\s*"([^"]*)"[^>]*>)re", std::regex::icase);
    auto count_and_replace = [](std::string& s, const std::regex& re, int& n, auto keep) {
      std::string out;
      auto begin = std::sregex_iterator(s.begin(), s.end(), re);
      std::size_t last = 0;
      for (auto it = begin; it != std::sregex_iterator(); ++it) {
        if (keep(*it)) continue;
        out.append(s, last, static_cast<std::size_t>(it->position()) - last);
        last = static_cast<std::size_t>(it->position() + it->length());
        ++n;
      }
      out.append(s, last, std::string::npos);
      s = std::move(out);
    };
    // std::regex is slow on large content: run each pass only when its tag can occur.
    std::string lower(c);
    for (auto& ch : lower) {
      if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
    }
    if (lower.find("<script") != std::string::npos) {
      count_and_replace(c, script, d.scripts_removed, [](const std::smatch&) { return false; });
    }
    if (lower.find(" on") != std::string::npos) {
      count_and_replace(c, handler, d.handlers_removed, [](const std::smatch&) { return false; });
    }
    if (lower.find("<a") != std::string::npos) {
      // The platform keeps links to WeChat articles only ("图文消息支持正文中插入自己帐号和其他公众号
      // 已群发文章链接的能力" [3]); any other link is removed, its text kept.
      static const std::regex link(R"re(<a\b[^>]*?\bhref\s*=\s*"([^"]*)"[^>]*>([\s\S]*?)</a\s*>)re",
                                   std::regex::icase);
      std::string out;
      std::size_t last = 0;
      for (auto it = std::sregex_iterator(c.begin(), c.end(), link); it != std::sregex_iterator(); ++it) {
        if (wechat_link((*it)[1].str())) continue;
        out.append(c, last, static_cast<std::size_t>(it->position()) - last);
        out += (*it)[2].str();
        last = static_cast<std::size_t>(it->position() + it->length());
        ++d.external_links_removed;
      }
      out.append(c, last, std::string::npos);
      c = std::move(out);
    }
    if (lower.find("<img") != std::string::npos) {
      count_and_replace(c, img, d.external_images_filtered, [](const std::smatch& m) {
        return m[1].str().rfind("http://mmbiz.qpic.cn/", 0) == 0;
      });
    }
    return c;
  }

  /// draft/add checks that need no shared state, run before taking the lock (the content checks
  /// are the expensive part): the error answer, or the draft ready to store.
  static std::variant<http::response, stored_draft> prepare_draft(const std::string& body) {
    auto j = json::parse(body, nullptr, false);
    if (j.is_discarded() || !j.is_object()) return wx_error(47001, "data format error");
    auto articles = j.value("articles", json());
    if (!articles.is_array() || articles.empty()) return wx_error(44003, "empty news data");
    if (articles.size() > 8) return wx_error(45008, "article size out of limit");
    stored_draft d;
    for (auto& a : articles) {
      if (!a.is_object()) return wx_error(47001, "data format error");
      // "图文消息的摘要，仅有单图文消息才有摘要，多图文此处为空" [1]: dropped (and counted).
      if (articles.size() > 1 && !a.value("digest", std::string()).empty()) {
        ++d.digests_dropped;
        a["digest"] = "";
      }
      const auto title = a.value("title", std::string());
      if (title.empty()) return wx_error(44003, "empty news data: title missing");
      if (count_chars(title) > 32) return wx_error(45003, "title size out of limit");
      if (count_chars(a.value("author", std::string())) > 16)
        return wx_error(45110, "author size out of limit");
      if (count_chars(a.value("digest", std::string())) > 128)
        return wx_error(45004, "description size out of limit");
      const auto content = a.value("content", std::string());
      if (content.empty()) return wx_error(44004, "empty content");
      if (count_chars(content) >= 20000 || content.size() >= (1U << 20U)) {
        return wx_error(45002, "content size out of limit");
      }
      if (a.value("content_source_url", std::string()).size() > 1024)
        return wx_error(45005, "url size out of limit");
      for (const char* flag : {"need_open_comment", "only_fans_can_comment"}) {
        if (a.contains(flag) && (!a[flag].is_number_integer() || (a[flag] != 0 && a[flag] != 1))) {
          return wx_error(47001, "data format error");
        }
      }
      a["content"] = clean_content(content, d);
    }
    d.articles = std::move(articles);
    return d;
  }

  /// Whether `url` was answered to `app` by media/uploadimg or material/add_material.
  bool issued_image(const std::string& app, const std::string& url) const {
    for (const auto& i : images) {
      if (i.value("url", "") == url && i.value("app_id", "") == app) return true;
    }
    for (const auto& [id, m] : materials) {
      if (m.value("url", "") == url && m.value("app_id", "") == app) return true;
    }
    return false;
  }

  http::response add_draft(std::variant<http::response, stored_draft>* prepared, const std::string& app) {
    if (prepared == nullptr) return wx_error(47001, "data format error");
    if (auto* e = std::get_if<http::response>(prepared)) return *e;
    auto& d = std::get<stored_draft>(*prepared);
    for (const auto& a : d.articles) {
      if (a.value("article_type", std::string("news")) != "news") continue;
      const auto thumb = a.value("thumb_media_id", std::string());
      const auto m = materials.find(thumb);
      if (thumb.empty() || m == materials.end() || m->second.value("app_id", "") != app) {
        return wx_error(40007, "invalid media_id");
      }
      // The images left in the content (external ones were filtered above [3]) must have been
      // uploaded by this app: "图片url需通过"上传图文消息内的图片获取URL"接口上传图片获取" [3][4].
      // An mmbiz URL this app did not get is refused as the platform refuses content it will not
      // take, 45166 "invalid content" ([21]; stricter than filtering it silently).
      static const std::regex img_src(R"re(<img\b[^>]*\bsrc\s*=\s*"([^"]*)")re", std::regex::icase);
      const auto content = a.value("content", std::string());
      if (content.find("<img") == std::string::npos) continue;
      for (auto it = std::sregex_iterator(content.begin(), content.end(), img_src);
           it != std::sregex_iterator(); ++it) {
        if (!issued_image(app, (*it)[1].str())) {
          return wx_error(45166,
                          "invalid content hint: image " + (*it)[1].str() + " not uploaded by this app");
        }
      }
    }
    d.media_id = fresh_id("DRAFT");
    d.app_id = app;
    const auto now = std::chrono::system_clock::now().time_since_epoch();
    d.update_time = std::chrono::duration_cast<std::chrono::seconds>(now).count();
    d.received_ms = std::chrono::duration_cast<std::chrono::milliseconds>(now).count();
    drafts.push_back(d);  // a copy: a faulted call that is processed may still be answered with the fault
    return ok_json(json{{"media_id", drafts.back().media_id}});
  }

  stored_draft* find_draft(const std::string& app, const std::string& media_id) {
    for (auto& d : drafts) {
      if (d.media_id == media_id && d.app_id == app) return &d;
    }
    return nullptr;
  }

  static json news_items(const stored_draft& d, bool with_content) {
    json items = json::array();
    for (const auto& a : d.articles) {
      json o = a;
      if (!with_content) o.erase("content");
      o["url"] = "https://mp.weixin.qq.com/s/" + d.media_id;
      items.push_back(std::move(o));
    }
    return items;
  }

  http::response draft_get(const http::request& req, const std::string& app) {
    const auto j = json::parse(req.body, nullptr, false);
    const auto id = j.is_object() ? j.value("media_id", std::string()) : std::string();
    const auto* d = find_draft(app, id);
    if (d == nullptr || d->published) return wx_error(40007, "invalid media_id");
    return ok_json(json{{"news_item", news_items(*d, true)}});
  }

  http::response draft_batchget(const http::request& req, const std::string& app) {
    const auto j = json::parse(req.body, nullptr, false);
    if (!j.is_object()) return wx_error(47001, "data format error");
    const int offset = j.value("offset", 0);
    const int count = j.value("count", 20);
    if (count < 1 || count > 20 || offset < 0) return wx_error(40035, "invalid args");
    const bool no_content = j.value("no_content", 0) == 1;
    std::vector<const stored_draft*> box;
    for (auto it = drafts.rbegin(); it != drafts.rend(); ++it) {  // newest first
      if (it->app_id == app && !it->published) box.push_back(&*it);
    }
    json items = json::array();
    for (int i = offset; i < static_cast<int>(box.size()) && i < offset + count; ++i) {
      const auto& d = *box[static_cast<std::size_t>(i)];
      items.push_back(json{{"media_id", d.media_id},
                           {"content", {{"news_item", news_items(d, !no_content)}}},
                           {"update_time", d.update_time}});
    }
    return ok_json(json{{"total_count", box.size()}, {"item_count", items.size()}, {"item", items}});
  }

  http::response submit(const http::request& req, const std::string& app) {
    const auto j = json::parse(req.body, nullptr, false);
    const auto id = j.is_object() ? j.value("media_id", std::string()) : std::string();
    auto* d = find_draft(app, id);
    // Published drafts leave the draft box: a second submit finds nothing.
    if (d == nullptr || d->published) return wx_error(40007, "invalid media_id");
    d->published = true;
    d->article_id = "ART" + std::to_string(2247483647LL + static_cast<long long>(publishes.size()) + 1);
    const auto publish_id =
        static_cast<long long>(2247483647LL + static_cast<long long>(publishes.size()) + 1);
    d->publish_id = std::to_string(publish_id);
    const auto msg_data_id = "MSG" + std::to_string(publish_id);
    publishes.push_back(
        json{{"publish_id", d->publish_id}, {"media_id", id}, {"app_id", app}, {"msg_data_id", msg_data_id}});
    if (push) {
      const auto by_app = push->status_by_app.find(app);
      start_push(push->for_app(app),
                 by_app != push->status_by_app.end() ? by_app->second : push->publish_status, d->publish_id,
                 d->articles.size(), app);
    }
    // publish_id is a string in the answer ("publish_id string", freepublish_submit [7]).
    return ok_json(
        json{{"errcode", 0}, {"errmsg", "ok"}, {"publish_id", d->publish_id}, {"msg_data_id", msg_data_id}});
  }

  /// Called with `mu` held: a thread POSTs the signed PUBLISHJOBFINISH event after the delay.
  void start_push(const push_config& p, int publish_status, const std::string& publish_id,
                  std::size_t articles, const std::string& app) {
    std::string xml =
        // FromUserName: "公众号群发助手的openid，为mphelper" (Callback_on_finish [13]).
        "<xml><ToUserName><![CDATA[gh_testserver]]></ToUserName><FromUserName><![CDATA[mphelper]]>"
        "</FromUserName><CreateTime>" +
        std::to_string(std::chrono::duration_cast<std::chrono::seconds>(
                           std::chrono::system_clock::now().time_since_epoch())
                           .count()) +
        "</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[PUBLISHJOBFINISH]]></Event>"
        "<PublishEventInfo><publish_id>" +
        publish_id + "</publish_id><publish_status>" + std::to_string(publish_status) + "</publish_status>";
    if (publish_status == 0) {
      xml += "<article_id><![CDATA[ART" + publish_id + "]]></article_id><article_detail><count>" +
             std::to_string(articles) + "</count>";
      for (std::size_t i = 1; i <= articles; ++i) {
        xml += "<item><idx>" + std::to_string(i) +
               "</idx><article_url><![CDATA[https://mp.weixin.qq.com/s/ART" + publish_id + "-" +
               std::to_string(i) + "]]></article_url></item>";
      }
      xml += "</article_detail>";
    } else if (publish_status == 2 || publish_status == 3) {
      xml += "<fail_idx>1</fail_idx>";
    }
    xml += "</PublishEventInfo></xml>";
    pushers.emplace_back([this, p, publish_status, publish_id, xml = std::move(xml), app] {
      {
        std::unique_lock lock(mu);
        if (cv.wait_for(lock, std::chrono::milliseconds(p.delay_ms), [this] { return stopping; })) return;
      }
      const unsigned status = push_message(p, xml, app);
      const std::lock_guard lock(mu);
      pushed_events.push_back(
          json{{"publish_id", publish_id}, {"publish_status", publish_status}, {"http_status", status}});
    });
  }

  /// freepublish/batchget [18]: the app's published articles, newest first, paged like
  /// draft/batchget (offset, count 1-20, no_content).
  http::response publish_batchget(const http::request& req, const std::string& app) {
    const auto j = json::parse(req.body, nullptr, false);
    if (!j.is_object()) return wx_error(47001, "data format error");
    const int offset = j.value("offset", 0);
    const int count = j.value("count", 20);
    if (count < 1 || count > 20 || offset < 0) return wx_error(40035, "invalid args");
    const bool no_content = j.value("no_content", 0) == 1;
    std::vector<const stored_draft*> done;
    for (auto it = drafts.rbegin(); it != drafts.rend(); ++it) {
      if (it->app_id == app && it->published) done.push_back(&*it);
    }
    json items = json::array();
    for (int i = offset; i < static_cast<int>(done.size()) && i < offset + count; ++i) {
      const auto& d = *done[static_cast<std::size_t>(i)];
      items.push_back(json{{"article_id", d.article_id},
                           {"content", {{"news_item", news_items(d, !no_content)}}},
                           {"update_time", d.update_time}});
    }
    return ok_json(json{{"total_count", done.size()}, {"item_count", items.size()}, {"item", items}});
  }

  http::response publish_get(const http::request& req, const std::string& app) {
    const auto j = json::parse(req.body, nullptr, false);
    std::string id;
    if (j.is_object() && j.contains("publish_id")) {
      id = j["publish_id"].is_string() ? j["publish_id"].get<std::string>() : j["publish_id"].dump();
    }
    for (const auto& p : publishes) {
      if (p.value("publish_id", "") == id && p.value("app_id", "") == app) {
        const auto* d = find_draft(app, p.value("media_id", ""));
        json items = json::array();
        for (std::size_t i = 0; d != nullptr && i < d->articles.size(); ++i) {
          items.push_back(json{
              {"idx", i + 1},
              {"article_url", "https://mp.weixin.qq.com/s/" + d->media_id + "_" + std::to_string(i + 1)}});
        }
        return ok_json(json{{"publish_id", id},
                            {"publish_status", 0},
                            {"article_id", "ARTICLE_" + p.value("media_id", "")},
                            {"article_detail", {{"count", items.size()}, {"item", items}}},
                            {"fail_idx", json::array()}});
      }
    }
    return ok_json(json{{"errcode", 40007}, {"errmsg", "invalid publish_id"}});
  }

  http::response dispatch_api(const http::request& req, const std::string& path,
                              std::variant<http::response, stored_draft>* prepared) {
    if (path == "/cgi-bin/stable_token") {
      if (req.method != "POST") return wx_error(43002, "require POST method");
      return stable_token(req);
    }
    if (path == "/cgi-bin/token") return classic_token(req);
    if (req.method != "POST") return wx_error(43002, "require POST method");
    auto who = authorize(req);
    if (auto* e = std::get_if<http::response>(&who)) return *e;
    const auto& app = std::get<std::string>(who);
    if (path == "/cgi-bin/clear_quota") return clear_quota(req, app);
    if (path == "/cgi-bin/openapi/quota/get") return quota_get(req, app);
    // Daily quota per (app, API) [11][12]: 45009 once the day's count is spent, until the reset
    // (`quota_reset`) or clear_quota.
    if (auto refused = spend_quota(app, path)) return *refused;
    if (path == "/cgi-bin/material/add_material") return upload(req, app, upload_kind::permanent);
    if (path == "/cgi-bin/material/del_material") return del_material(req, app);
    if (path == "/cgi-bin/media/uploadimg") return upload(req, app, upload_kind::body);
    if (path == "/cgi-bin/media/upload") return upload(req, app, upload_kind::temporary);
    if (path == "/cgi-bin/freepublish/batchget") return publish_batchget(req, app);
    if (path == "/cgi-bin/draft/add") return add_draft(prepared, app);
    if (path == "/cgi-bin/draft/get") return draft_get(req, app);
    if (path == "/cgi-bin/draft/batchget") return draft_batchget(req, app);
    if (path == "/cgi-bin/freepublish/submit") return submit(req, app);
    if (path == "/cgi-bin/freepublish/get") return publish_get(req, app);
    return http::response::json_error(404, "no such API: " + path);
  }

  /// The app a call is made for, unchecked: the access token's app, else the `appid` it names.
  std::string caller_app(const http::request& req) const {
    if (const auto it = req.query.find("access_token"); it != req.query.end()) {
      if (const auto t = tokens.find(it->second); t != tokens.end()) return t->second.app_id;
    }
    if (const auto it = req.query.find("appid"); it != req.query.end()) return it->second;
    const auto j = json::parse(req.body, nullptr, false);
    return j.is_object() ? j.value("appid", std::string()) : std::string();
  }

  std::optional<fault> take_fault(const http::request& req) {
    const std::string& path = req.path;
    for (auto it = faults.begin(); it != faults.end(); ++it) {
      if (!it->path.empty() && path.find(it->path) == std::string::npos) continue;
      if (!it->app_id.empty() && caller_app(req) != it->app_id) continue;
      if (it->skip > 0) {
        --it->skip;
        return std::nullopt;
      }
      fault f = *it;
      if (--it->remaining <= 0) faults.erase(it);
      ++faults_injected;
      return f;
    }
    return std::nullopt;
  }

  http::response handle(const http::request& req) {
    if (req.path == "/__state")
      return ok_json(state(req.query.count("full") > 0 && req.query.at("full") == "1"));
    if (req.path == "/__control") {
      const auto j = json::parse(req.body, nullptr, false);
      if (j.is_discarded() || !j.is_object())
        return http::response::json_error(400, "control body must be a JSON object");
      return ok_json(control(j));
    }
    if (req.path == "/healthz") return ok_json(json{{"ok", true}});
    std::optional<std::variant<http::response, stored_draft>> prepared;
    if (req.path == "/cgi-bin/draft/add" && req.method == "POST") prepared = prepare_draft(req.body);
    auto* pre = prepared ? &*prepared : nullptr;
    std::unique_lock lock(mu);
    ++calls[req.path];
    auto f = take_fault(req);
    if (f && f->hang_ms > 0) {
      // Released early when the server stops.
      cv.wait_for(lock, std::chrono::milliseconds(f->hang_ms), [this] { return stopping; });
    }
    if (f && f->process) (void)dispatch_api(req, req.path, pre);
    if (f) {
      if (f->http_status != 0) {
        http::response r;
        r.status = static_cast<unsigned>(f->http_status);
        r.content_type = "text/html";
        r.body = "<html><body>" + std::to_string(f->http_status) + " injected</body></html>";
        return r;
      }
      const int code = f->errcode != 0 ? f->errcode : -1;
      return wx_error(code, !f->errmsg.empty() ? f->errmsg : code == -1 ? "system error" : "injected error");
    }
    return dispatch_api(req, req.path, pre);
  }

  json state(bool full) const {
    const std::lock_guard lock(mu);
    json ds = json::array();
    for (const auto& d : drafts) {
      json arts = json::array();
      for (const auto& a : d.articles) {
        json o = a;
        const auto content = a.value("content", std::string());
        o["content_length"] = count_chars(content);
        o["content_sha256"] = hex_sha256(content);
        if (!full) o.erase("content");
        arts.push_back(std::move(o));
      }
      ds.push_back(json{{"media_id", d.media_id},
                        {"app_id", d.app_id},
                        {"received_ms", d.received_ms},
                        {"published", d.published},
                        {"publish_id", d.publish_id},
                        {"scripts_removed", d.scripts_removed},
                        {"handlers_removed", d.handlers_removed},
                        {"external_images_filtered", d.external_images_filtered},
                        {"external_links_removed", d.external_links_removed},
                        {"digests_dropped", d.digests_dropped},
                        {"article_id", d.article_id},
                        {"articles", std::move(arts)}});
    }
    json mats = json::array();
    for (const auto& [id, m] : materials) {
      json o = m;
      o["media_id"] = id;
      mats.push_back(std::move(o));
    }
    json c = json::object();
    for (const auto& [p, n] : calls) c[p] = n;
    json quotas = json::array();
    std::set<std::pair<std::string, std::string>> keys;
    for (const auto& [k, v] : quota_used) keys.insert(k);
    for (const auto& [k, v] : quota_refused) keys.insert(k);
    for (const auto& [app, api] : keys) {
      const auto u = quota_used.find({app, api});
      const auto r = quota_refused.find({app, api});
      quotas.push_back(json{{"app_id", app},
                            {"api", api},
                            {"daily_limit", limit_of(app, api)},
                            {"used", u == quota_used.end() ? 0 : u->second},
                            {"refused", r == quota_refused.end() ? 0 : r->second}});
    }
    json clears_j = json::object();
    for (const auto& [app, n] : clears) clears_j[app] = n;
    return json{{"drafts", std::move(ds)},
                {"materials", std::move(mats)},
                {"images", images},
                {"publishes", publishes},
                {"pushed_events", pushed_events},
                {"tokens",
                 {{"stable_issued", stable_issued},
                  {"classic_issued", classic_issued},
                  {"force_refreshes", force_refreshes}}},
                {"calls", std::move(c)},
                {"quotas", std::move(quotas)},
                {"quota_resets", quota_resets},
                {"clear_quota", std::move(clears_j)},
                {"deleted_materials", deleted_materials},
                {"temp_media", temp_media.size()},
                {"faults_injected", faults_injected},
                {"faults_pending", faults.size()}};
  }

  json control(const json& j) {
    const std::lock_guard lock(mu);
    if (j.value("reset", false)) {
      tokens.clear(), stable_current.clear(), classic_current.clear(), secrets.clear();
      faults.clear(), drafts.clear(), materials.clear(), images.clear(), publishes.clear(), calls.clear();
      quota_limit.clear(), quota_used.clear(), quota_refused.clear(), clears.clear(), forced.clear();
      temp_media.clear(), deleted_materials.clear();
      faults_injected = stable_issued = classic_issued = force_refreshes = 0;
    }
    if (j.contains("token_ttl_s")) options.token_ttl_s = j["token_ttl_s"].get<int>();
    if (j.contains("classic_grace_ms")) options.classic_grace_ms = j["classic_grace_ms"].get<int>();
    if (j.contains("apps") && j["apps"].is_object()) {
      options.apps.clear();
      for (const auto& [k, v] : j["apps"].items()) options.apps[k] = v.get<std::string>();
    }
    if (j.value("expire_tokens", false)) {
      for (auto& [t, info] : tokens) info.expires = steady::now();
    }
    if (j.value("invalidate_tokens", false)) tokens.clear();
    if (j.value("clear_faults", false)) faults.clear();
    // {"quota": {"api": "freepublish/submit", "daily_limit": 1, "app_id": "wx.."}}: a daily quota
    // (no app_id: every app); {"quota_reset": true}: the day's counts start again (the daily reset).
    if (j.contains("quota") && j["quota"].is_object()) {
      const auto& q = j["quota"];
      quota_limit[{q.value("app_id", std::string()), q.value("api", std::string())}] =
          q.value("daily_limit", 0LL);
    }
    if (j.value("quota_reset", false)) {
      quota_used.clear();
      ++quota_resets;
    }
    if (j.contains("delete_material")) {  // as material/del_material, without a token
      const auto id = j["delete_material"].get<std::string>();
      if (materials.erase(id) > 0) deleted_materials.push_back(id);
    }
    if (j.contains("callback_url")) {
      const auto url = j["callback_url"].is_string() ? j["callback_url"].get<std::string>() : std::string();
      if (url.empty()) {
        push.reset();
      } else {
        push_config p;
        p.url = url;
        p.token = j.value("callback_token", std::string());
        p.publish_status = j.value("publish_status", 0);
        if (j.contains("publish_status_by_app") && j["publish_status_by_app"].is_object()) {
          for (const auto& [app_id, st] : j["publish_status_by_app"].items())
            p.status_by_app[app_id] = st.get<int>();
        }
        p.delay_ms = j.value("callback_delay_ms", 200);
        p.encoding_aes_key = j.value("callback_encoding_aes_key", std::string());
        if (j.contains("callback_by_app") && j["callback_by_app"].is_object()) {
          for (const auto& [app_id, e] : j["callback_by_app"].items()) {
            if (!e.is_object()) continue;
            p.by_app[app_id] = {e.value("url", p.url), e.value("token", p.token),
                                e.value("encoding_aes_key", std::string())};
          }
        }
        push = std::move(p);
      }
    }
    if (j.contains("fail_next")) {
      fault f;
      f.remaining = j["fail_next"].get<int>();
      f.skip = j.value("skip", 0);
      f.path = j.value("path", std::string());
      f.app_id = j.value("app_id", std::string());
      f.errcode = j.value("errcode", 0);
      f.errmsg = j.value("errmsg", std::string());
      f.http_status = j.value("http_status", 0);
      f.hang_ms = j.value("hang_ms", 0);
      f.process = j.value("process", false);
      if (f.remaining > 0) faults.push_back(std::move(f));
    }
    return json{{"ok", true}, {"faults_pending", faults.size()}};
  }
};

wechat_test_server::wechat_test_server(wechat_test_server_options options)
    : impl_(std::make_unique<impl>(std::move(options))) {
  http::server_options so;
  so.address = impl_->options.address;
  so.port = impl_->options.port;
  so.threads = std::max(2U, impl_->options.threads);
  so.body_limit = 12U << 20U;  // add_material takes images up to 10 MB
  so.io_timeout = std::chrono::milliseconds(30000);
  impl_->server =
      std::make_unique<http::server>(so, [this](const http::request& r) { return impl_->handle(r); });
}

wechat_test_server::~wechat_test_server() { stop(); }

void wechat_test_server::stop() {
  {
    const std::lock_guard lock(impl_->mu);
    impl_->stopping = true;
  }
  impl_->cv.notify_all();
  if (impl_->server) impl_->server->stop();
  std::vector<std::thread> pushers;
  {
    const std::lock_guard lock(impl_->mu);
    pushers.swap(impl_->pushers);
  }
  for (auto& t : pushers) t.join();
}

std::uint16_t wechat_test_server::port() const noexcept { return impl_->server->port(); }

std::string wechat_test_server::base_url() const {
  const auto& a = impl_->options.address;
  const bool v6 = a.find(':') != std::string::npos;
  return "http://" + (v6 ? "[" + a + "]" : a) + ":" + std::to_string(port());
}

nlohmann::json wechat_test_server::state(bool full) const { return impl_->state(full); }
nlohmann::json wechat_test_server::control(const nlohmann::json& command) { return impl_->control(command); }
http::response wechat_test_server::handle(const http::request& req) { return impl_->handle(req); }

}  // namespace syn::testing
