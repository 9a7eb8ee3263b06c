#include "syn/feed/wechat.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <random>
#include <thread>

#include "syn/core/http_client.hpp"
#include "syn/core/log.hpp"
#include "syn/feed/text.hpp"

namespace syn::feed::wechat {
namespace {

using json = nlohmann::json;
using steady = std::chrono::steady_clock;

class wechat_cat final : public std::error_category {
 public:
  [[nodiscard]] const char* name() const noexcept override { return "wechat"; }
  [[nodiscard]] std::string message(int ev) const override {
    switch (static_cast<errc>(ev)) {
      case errc::ok:
        return "ok";
      case errc::system_busy:
        return "system busy";
      case errc::invalid_credential:
        return "invalid credential (AppSecret wrong, or access_token invalid or not the latest)";
      case errc::invalid_media_type:
        return "invalid media type";
      case errc::invalid_file_type:
        return "invalid file type";
      case errc::invalid_media_id:
        return "invalid media_id";
      case errc::invalid_image_size:
        return "invalid image size";
      case errc::invalid_appid:
        return "invalid AppID";
      case errc::invalid_access_token:
        return "invalid access_token";
      case errc::invalid_appsecret:
        return "invalid AppSecret";
      case errc::ip_not_whitelisted:
        return "caller IP not in the account's IP whitelist";
      case errc::access_token_missing:
        return "access_token missing";
      case errc::access_token_expired:
        return "access_token expired";
      case errc::require_post:
        return "POST required";
      case errc::empty_media_data:
        return "empty media data";
      case errc::empty_post_data:
        return "empty POST data";
      case errc::empty_news_data:
        return "empty news data";
      case errc::empty_content:
        return "empty content";
      case errc::media_size_out_of_limit:
        return "media size out of limit";
      case errc::content_size_out_of_limit:
        return "content size out of limit";
      case errc::title_size_out_of_limit:
        return "title size out of limit";
      case errc::description_size_out_of_limit:
        return "description (digest) size out of limit";
      case errc::url_size_out_of_limit:
        return "url size out of limit";
      case errc::article_size_out_of_limit:
        return "article size out of limit";
      case errc::daily_quota_reached:
        return "daily API quota reached";
      case errc::minute_quota_reached:
        return "per-minute API quota reached";
      case errc::author_size_out_of_limit:
        return "author size out of limit";
      case errc::data_format_error:
        return "data format error";
      case errc::clear_quota_limit:
        return "clear_quota refused: the monthly limit is reached";
      case errc::api_unauthorized:
        return "API unauthorized for this account";
      case errc::api_forbidden:
        return "API forbidden for this account";
    }
    return "errcode " + std::to_string(ev);
  }
};

class http_cat final : public std::error_category {
 public:
  [[nodiscard]] const char* name() const noexcept override { return "wechat_http"; }
  [[nodiscard]] std::string message(int ev) const override { return "HTTP status " + std::to_string(ev); }
};

struct token_entry {
  std::mutex mu;
  std::string token;
  steady::time_point refresh_after{};
  steady::time_point expires{};
  steady::time_point last_force{};
  bool forced_once = false;
};

std::string join(std::string_view base, std::string_view path) {
  while (!base.empty() && base.back() == '/') base.remove_suffix(1);
  return std::string(base) + std::string(path);
}

std::string as_string(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_integer()) return std::to_string(v.get<long long>());
  if (v.is_number_unsigned()) return std::to_string(v.get<unsigned long long>());
  return {};
}

std::string dump(const json& j) {
  // Raw UTF-8, never \uXXXX: WeChat measures some limits on the bytes it receives, and escaped
  // Chinese is reported to trip 45003 on short titles.
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace

const std::error_category& wechat_category() noexcept {
  static const wechat_cat c;
  return c;
}

const std::error_category& wechat_http_category() noexcept {
  static const http_cat c;
  return c;
}

bool is_daily_quota(std::error_code ec) noexcept { return ec == errc::daily_quota_reached; }

bool is_token_error(std::error_code ec) noexcept {
  return ec == errc::invalid_credential || ec == errc::invalid_access_token ||
         ec == errc::access_token_expired;
}

bool is_retriable(std::error_code ec) noexcept {
  if (ec.category() == wechat_http_category()) {
    return ec.value() >= 500 || ec.value() == 429 || ec.value() == 408;
  }
  if (ec.category() == http::http_client_category()) return http::is_retriable(ec);
  if (ec.category() != wechat_category()) return false;
    // Exhaustive over the named codes; an unnamed errcode is permanent (dead-lettered with its
    // errcode and errmsg rather than retried blindly).
#pragma GCC diagnostic push
#pragma GCC diagnostic error "-Wswitch-enum"
  switch (static_cast<errc>(ec.value())) {
    case errc::system_busy:
    case errc::daily_quota_reached:
    case errc::minute_quota_reached:
    case errc::invalid_credential:
    case errc::invalid_access_token:
    case errc::access_token_expired:
      return true;
    case errc::ok:
    case errc::invalid_media_type:
    case errc::invalid_file_type:
    case errc::invalid_media_id:
    case errc::invalid_image_size:
    case errc::invalid_appid:
    case errc::invalid_appsecret:
    case errc::ip_not_whitelisted:
    case errc::access_token_missing:
    case errc::require_post:
    case errc::empty_media_data:
    case errc::empty_post_data:
    case errc::empty_news_data:
    case errc::empty_content:
    case errc::media_size_out_of_limit:
    case errc::content_size_out_of_limit:
    case errc::title_size_out_of_limit:
    case errc::description_size_out_of_limit:
    case errc::url_size_out_of_limit:
    case errc::article_size_out_of_limit:
    case errc::author_size_out_of_limit:
    case errc::data_format_error:
    case errc::api_unauthorized:
    case errc::api_forbidden:
    case errc::clear_quota_limit:
      return false;
  }
#pragma GCC diagnostic pop
  return false;
}

int error::errcode() const noexcept { return code_.category() == wechat_category() ? code_.value() : 0; }

std::string_view sniff_image_type(std::string_view b) noexcept {
  auto starts = [&](std::string_view magic) {
    return b.size() >= magic.size() && b.substr(0, magic.size()) == magic;
  };
  if (starts("\xFF\xD8\xFF")) return "image/jpeg";
  if (starts("\x89PNG\r\n\x1A\n")) return "image/png";
  if (starts("GIF87a") || starts("GIF89a")) return "image/gif";
  if (starts("BM")) return "image/bmp";
  return {};
}

struct client::impl {
  impl(client_options o, std::shared_ptr<http::client> h) : options(std::move(o)), http(std::move(h)) {
    if (!options.sleep) options.sleep = [](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); };
    if (options.retry.max_attempts < 1) options.retry.max_attempts = 1;
  }

  client_options options;
  std::shared_ptr<http::client> http;
  std::mutex apps_mu;
  std::map<std::string, std::unique_ptr<token_entry>> apps;
  std::atomic<std::uint64_t> token_fetches{0}, token_refreshes{0}, requests{0}, retries{0};
  std::mutex rng_mu;
  std::mt19937_64 rng{std::random_device{}()};

  token_entry& entry(const std::string& app_id) {
    const std::lock_guard lock(apps_mu);
    auto& e = apps[app_id];
    if (!e) e = std::make_unique<token_entry>();
    return *e;
  }

  std::chrono::milliseconds backoff(int n) {
    const auto& r = options.retry;
    double d = static_cast<double>(r.initial_backoff.count()) * std::pow(r.multiplier, n);
    d = std::min(d, static_cast<double>(r.max_backoff.count()));
    double f = 1.0;
    if (r.jitter > 0) {
      const std::lock_guard lock(rng_mu);
      f = std::uniform_real_distribution<double>(1.0 - r.jitter, 1.0 + r.jitter)(rng);
    }
    return std::chrono::milliseconds(static_cast<long long>(std::max(0.0, d * f)));
  }

  using make_request = std::function<http::client_request(const std::string& token)>;

  /// One API call: token, request, interpretation, retries. `op` names it in errors.
  result<json> perform(std::string_view op, const credentials& c, const make_request& make, bool needs_token,
                       bool non_idempotent) {
    const auto start = steady::now();
    const std::string where = "wechat " + std::string(op) + " (appid " + c.app_id + ")";
    int attempt = 0;
    bool refreshed = false;
    for (;;) {
      std::string token;
      if (needs_token) {
        auto t = get_token(c);
        if (!t) return t.error();
        token = std::move(t.value());
      }
      ++requests;
      auto resp = http->send(make(token), options.request_timeout);
      error err;
      if (!resp) {
        const auto& e = resp.error();
        err = error(e.code, where + ": " + e.message, http::is_retriable(e.code), e.request_sent);
      } else if (resp.value().status != 200) {
        const auto status = resp.value().status;
        const std::error_code ec(static_cast<int>(status), wechat_http_category());
        std::string body = resp.value().body.substr(0, 200);
        err = error(ec, where + ": HTTP " + std::to_string(status) + (body.empty() ? "" : ": " + body),
                    is_retriable(ec), status >= 500);
      } else {
        auto j = json::parse(resp.value().body, nullptr, false);
        if (j.is_discarded() || !j.is_object()) {
          err = error(http::errc::bad_response, where + ": answer is not a JSON object", true, true);
        } else {
          const int code =
              j.contains("errcode") && j["errcode"].is_number_integer() ? j["errcode"].get<int>() : 0;
          if (code == 0) return j;
          const std::error_code ec(code, wechat_category());
          const std::string errmsg = j.value("errmsg", std::string());
          if (needs_token && is_token_error(ec) && !refreshed) {
            // The token expired or was replaced: fetch it again and repeat once.
            refreshed = true;
            ++token_refreshes;
            log::get("feed").info("wechat token rejected app_id={} op={} errcode={}; refreshing", c.app_id,
                                  op, code);
            auto t = refresh_rejected(c, token);
            if (!t) return t.error();
            continue;
          }
          bool retriable = is_retriable(ec);
          // From the token endpoint, 40001 means the AppSecret is wrong: no use repeating.
          if (!needs_token && is_token_error(ec)) retriable = false;
          err = error(
              ec,
              where + ": errcode " + std::to_string(code) + ": " + (errmsg.empty() ? ec.message() : errmsg),
              retriable, false);
        }
      }
      // A daily quota does not come back within a call's retries: the caller pauses instead.
      if (!err.retriable() || (err.ambiguous() && non_idempotent) || is_daily_quota(err.code())) return err;
      if (++attempt >= options.retry.max_attempts) return err;
      const auto delay = backoff(attempt - 1);
      if (steady::now() + delay - start > options.retry_budget) return err;
      ++retries;
      log::get("feed").warn(
          "wechat call failed, retrying op={} app_id={} attempt={} delay_ms={} error=\"{}\"", op, c.app_id,
          attempt + 1, delay.count(), err.message());
      options.sleep(delay);
    }
  }

  struct fetched {
    std::string token;
    std::chrono::seconds expires_in{0};
  };

  result<fetched> fetch(const credentials& c, bool force) {
    ++token_fetches;
    auto j = perform(
        force ? "stable_token(force_refresh)"
              : (options.tokens == token_endpoint::stable ? "stable_token" : "token"),
        c,
        [&](const std::string&) {
          http::client_request r;
          if (options.tokens == token_endpoint::stable) {
            r.method = "POST";
            r.url = join(options.api_base_url, "/cgi-bin/stable_token");
            r.headers.emplace_back("Content-Type", "application/json; charset=utf-8");
            r.body = dump(json{{"grant_type", "client_credential"},
                               {"appid", c.app_id},
                               {"secret", c.app_secret},
                               {"force_refresh", force}});
          } else {
            r.method = "GET";
            r.url = join(options.api_base_url, "/cgi-bin/token?grant_type=client_credential&appid=" +
                                                   http::percent_encode(c.app_id) +
                                                   "&secret=" + http::percent_encode(c.app_secret));
          }
          return r;
        },
        false, false);
    if (!j) return j.error();
    auto token = j.value().value("access_token", std::string());
    if (token.empty()) {
      return error(http::errc::bad_response,
                   "wechat stable_token (appid " + c.app_id + "): no access_token in the answer", true);
    }
    const auto ttl = j.value().contains("expires_in") && j.value()["expires_in"].is_number()
                         ? j.value()["expires_in"].get<long long>()
                         : 7200LL;
    return fetched{std::move(token), std::chrono::seconds(std::max(0LL, ttl))};
  }

  void store(token_entry& e, fetched f) {
    const auto now = steady::now();
    e.token = std::move(f.token);
    e.expires = now + f.expires_in;
    const auto life = std::chrono::duration_cast<steady::duration>(f.expires_in);
    e.refresh_after = now + std::chrono::duration_cast<steady::duration>(life * options.refresh_at);
  }

  result<std::string> get_token(const credentials& c) {
    auto& e = entry(c.app_id);
    const std::lock_guard lock(e.mu);
    const auto now = steady::now();
    if (!e.token.empty() && now < e.refresh_after) return e.token;
    auto f = fetch(c, false);
    if (!f) {
      // A failed early refresh is not fatal while the old token is still valid.
      if (!e.token.empty() && now < e.expires) {
        log::get("feed").warn("wechat token refresh failed, using the current token app_id={} error=\"{}\"",
                              c.app_id, f.error().message());
        return e.token;
      }
      return f.error();
    }
    store(e, std::move(f.value()));
    return e.token;
  }

  result<std::string> refresh_rejected(const credentials& c, const std::string& rejected) {
    auto& e = entry(c.app_id);
    const std::lock_guard lock(e.mu);
    const auto now = steady::now();
    if (!e.token.empty() && e.token != rejected && now < e.expires) return e.token;  // refreshed meanwhile
    auto f = fetch(c, false);
    if (!f) return f.error();
    if (f.value().token == rejected &&
        (!e.forced_once || now - e.last_force >= options.force_refresh_interval)) {
      // The platform still hands out the token it rejects: force a new one (limited per day).
      e.forced_once = true;
      e.last_force = now;
      auto g = fetch(c, true);
      if (!g) return g.error();
      f = std::move(g);
    }
    store(e, std::move(f.value()));
    return e.token;
  }

  static http::client_request json_post(std::string url, const json& body) {
    http::client_request r;
    r.method = "POST";
    r.url = std::move(url);
    r.headers.emplace_back("Content-Type", "application/json; charset=utf-8");
    r.body = dump(body);
    return r;
  }

  std::string api(std::string_view path, const std::string& token, std::string_view extra_query = {}) const {
    std::string u = join(options.api_base_url, path) + "?access_token=" + http::percent_encode(token);
    if (!extra_query.empty()) {
      u += "&";
      u += extra_query;
    }
    return u;
  }

  result<json> upload(std::string_view op, std::string_view path, std::string_view query,
                      const credentials& c, std::string_view filename, std::string_view bytes,
                      bool non_idempotent) {
    const auto type = sniff_image_type(bytes);
    const auto boundary = http::make_boundary();
    const http::form_part part{"media", std::string(filename.empty() ? "image" : filename),
                               std::string(type.empty() ? "application/octet-stream" : type),
                               std::string(bytes)};
    const std::string body = http::multipart_body(boundary, std::span<const http::form_part>(&part, 1));
    return perform(
        op, c,
        [&](const std::string& token) {
          http::client_request r;
          r.method = "POST";
          r.url = api(path, token, query);
          r.headers.emplace_back("Content-Type", "multipart/form-data; boundary=" + boundary);
          r.body = body;
          return r;
        },
        true, non_idempotent);
  }
};

client::client(client_options options, std::shared_ptr<http::client> http)
    : impl_(std::make_unique<impl>(std::move(options), std::move(http))) {}
client::~client() = default;

result<std::string> client::access_token(const credentials& c) { return impl_->get_token(c); }

result<material> client::add_material(const credentials& c, std::string_view filename,
                                      std::string_view bytes) {
  auto j = impl_->upload("material/add_material", "/cgi-bin/material/add_material", "type=image", c, filename,
                         bytes, true);
  if (!j) return j.error();
  material m{as_string(j.value().value("media_id", json())), j.value().value("url", std::string())};
  if (m.media_id.empty()) {
    return error(http::errc::bad_response,
                 "wechat material/add_material (appid " + c.app_id + "): no media_id", false);
  }
  return m;
}

result<std::string> client::upload_image(const credentials& c, std::string_view filename,
                                         std::string_view bytes) {
  auto j = impl_->upload("media/uploadimg", "/cgi-bin/media/uploadimg", {}, c, filename, bytes, false);
  if (!j) return j.error();
  auto u = j.value().value("url", std::string());
  if (u.empty())
    return error(http::errc::bad_response, "wechat media/uploadimg (appid " + c.app_id + "): no url", false);
  return u;
}

namespace {

/// Appends `s` as a JSON string: raw UTF-8 (never \uXXXX, as dump()), invalid bytes as U+FFFD.
/// Written by hand for draft/add: the content (up to 20,000 characters per article) dominated the
/// sink's JSON time when it went through nlohmann's serializer byte by byte.
void append_json_string(std::string& out, std::string_view s) {
  std::string fixed;
  if (!text::valid_utf8(s)) {
    fixed = text::sanitize_utf8(s);
    s = fixed;
  }
  out.push_back('"');
  std::size_t run = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20U && c != '"' && c != '\\') continue;
    out.append(s.substr(run, i - run));
    run = i + 1;
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      default: {
        static constexpr char hex[] = "0123456789abcdef";
        out += "\\u00";
        out.push_back(hex[c >> 4U]);
        out.push_back(hex[c & 0xFU]);
      }
    }
  }
  out.append(s.substr(run));
  out.push_back('"');
}

}  // namespace

std::string client::draft_body(std::span<const draft_article> articles) {
  std::size_t size = 32;
  for (const auto& a : articles) size += a.content.size() + a.title.size() + a.digest.size() + 512;
  std::string out;
  out.reserve(size);
  out += "{\"articles\":[";
  bool first = true;
  for (const auto& a : articles) {
    out += first ? "{" : ",{";
    first = false;
    out += "\"article_type\":\"news\",\"title\":";
    append_json_string(out, a.title);
    out += ",\"author\":";
    append_json_string(out, a.author);
    out += ",\"digest\":";
    append_json_string(out, a.digest);
    out += ",\"content\":";
    append_json_string(out, a.content);
    if (!a.content_source_url.empty()) {
      out += ",\"content_source_url\":";
      append_json_string(out, a.content_source_url);
    }
    out += ",\"thumb_media_id\":";
    append_json_string(out, a.thumb_media_id);
    out += ",\"need_open_comment\":" + std::to_string(a.need_open_comment);
    out += ",\"only_fans_can_comment\":" + std::to_string(a.only_fans_can_comment) + "}";
  }
  out += "]}";
  return out;
}

result<std::string> client::add_draft(const credentials& c, std::span<const draft_article> articles) {
  const std::string body = draft_body(articles);
  auto j = impl_->perform(
      "draft/add", c,
      [&](const std::string& token) {
        http::client_request r;
        r.method = "POST";
        r.url = impl_->api("/cgi-bin/draft/add", token);
        r.headers.emplace_back("Content-Type", "application/json; charset=utf-8");
        r.body = body;
        return r;
      },
      true, true);
  if (!j) return j.error();
  auto id = as_string(j.value().value("media_id", json()));
  if (id.empty())
    return error(http::errc::bad_response, "wechat draft/add (appid " + c.app_id + "): no media_id", true,
                 true);
  return id;
}

result<publish_ticket> client::submit_publish(const credentials& c, std::string_view media_id) {
  auto j = impl_->perform(
      "freepublish/submit", c,
      [&](const std::string& token) {
        return impl::json_post(impl_->api("/cgi-bin/freepublish/submit", token),
                               json{{"media_id", media_id}});
      },
      true, true);
  if (!j) return j.error();
  return publish_ticket{as_string(j.value().value("publish_id", json())),
                        as_string(j.value().value("msg_data_id", json()))};
}

result<publish_status> client::get_publish(const credentials& c, std::string_view publish_id) {
  auto j = impl_->perform(
      "freepublish/get", c,
      [&](const std::string& token) {
        return impl::json_post(impl_->api("/cgi-bin/freepublish/get", token),
                               json{{"publish_id", publish_id}});
      },
      true, false);
  if (!j) return j.error();
  publish_status s;
  s.publish_id = as_string(j.value().value("publish_id", json()));
  s.status = j.value().value("publish_status", 1);
  s.article_id = as_string(j.value().value("article_id", json()));
  if (const auto it = j.value().find("article_detail"); it != j.value().end() && it->is_object()) {
    for (const auto& item : it->value("item", json::array()))
      s.article_urls.push_back(item.value("article_url", ""));
  }
  return s;
}

namespace {

/// Pages through a listing (draft/batchget, freepublish/batchget: `offset`, `count` at most 20,
/// `total_count`) until `found` returns true, the listing ends or `scan` items were seen.
template <class Perform, class Found>
result<bool> page_through(Perform&& perform, int scan, Found&& found) {
  constexpr int page = 20;
  for (int offset = 0; offset < std::max(scan, 1); offset += page) {
    auto j = perform(json{{"offset", offset}, {"count", page}, {"no_content", 1}});
    if (!j) return j.error();
    const auto items = j.value().value("item", json::array());
    for (const auto& item : items) {
      if (found(item)) return true;
    }
    const auto total = j.value().value("total_count", 0LL);
    if (items.empty() || offset + page >= total) break;
  }
  return false;
}

}  // namespace

result<std::optional<std::string>> client::find_draft(const credentials& c, std::span<const std::string> urls,
                                                      int scan) {
  std::optional<std::string> hit;
  auto r = page_through(
      [&](const json& body) {
        return impl_->perform(
            "draft/batchget", c,
            [&](const std::string& token) {
              return impl::json_post(impl_->api("/cgi-bin/draft/batchget", token), body);
            },
            true, false);
      },
      scan,
      [&](const json& item) {
        const auto news = item.value("content", json::object()).value("news_item", json::array());
        if (news.size() != urls.size()) return false;
        for (std::size_t i = 0; i < urls.size(); ++i) {
          if (news[i].value("content_source_url", "") != urls[i]) return false;
        }
        hit = as_string(item.value("media_id", json()));
        return true;
      });
  if (!r) return r.error();
  return hit;
}

result<bool> client::draft_exists(const credentials& c, std::string_view media_id) {
  auto j = impl_->perform(
      "draft/get", c,
      [&](const std::string& token) {
        return impl::json_post(impl_->api("/cgi-bin/draft/get", token), json{{"media_id", media_id}});
      },
      true, false);
  if (!j) {
    if (j.error().code() == errc::invalid_media_id) return false;
    return j.error();
  }
  return true;
}

result<std::optional<published_article>> client::find_published(const credentials& c,
                                                                std::string_view source_url, int scan) {
  std::optional<published_article> hit;
  auto r = page_through(
      [&](const json& body) {
        return impl_->perform(
            "freepublish/batchget", c,
            [&](const std::string& token) {
              return impl::json_post(impl_->api("/cgi-bin/freepublish/batchget", token), body);
            },
            true, false);
      },
      scan,
      [&](const json& item) {
        const auto news = item.value("content", json::object()).value("news_item", json::array());
        if (news.empty() || news[0].value("content_source_url", "") != source_url) return false;
        hit = published_article{as_string(item.value("article_id", json())), news[0].value("url", "")};
        return true;
      });
  if (!r) return r.error();
  return hit;
}

result<bool> client::clear_quota(const credentials& c) {
  auto j = impl_->perform(
      "clear_quota", c,
      [&](const std::string& token) {
        return impl::json_post(impl_->api("/cgi-bin/clear_quota", token), json{{"appid", c.app_id}});
      },
      true, true);
  if (!j) return j.error();
  return true;
}

result<api_quota> client::get_quota(const credentials& c, std::string_view cgi_path) {
  auto j = impl_->perform(
      "openapi/quota/get", c,
      [&](const std::string& token) {
        return impl::json_post(impl_->api("/cgi-bin/openapi/quota/get", token), json{{"cgi_path", cgi_path}});
      },
      true, false);
  if (!j) return j.error();
  const auto q = j.value().value("quota", json::object());
  return api_quota{q.value("daily_limit", 0LL), q.value("used", 0LL), q.value("remain", 0LL)};
}

client_stats client::stats() const noexcept {
  return {impl_->token_fetches.load(), impl_->token_refreshes.load(), impl_->requests.load(),
          impl_->retries.load()};
}

}  // namespace syn::feed::wechat
