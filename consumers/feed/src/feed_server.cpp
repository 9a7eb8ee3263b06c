#include "syn/feed/feed_server.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>

#include "syn/core/blob_store.hpp"
#include "syn/core/log.hpp"
#include "syn/feed/callback.hpp"
#include "syn/feed/images.hpp"
#include "syn/feed/pages.hpp"
#include "syn/feed/state.hpp"
#include "syn/feed/text.hpp"

namespace syn::feed {
namespace {

http::response html(std::string body, unsigned status = 200) {
  http::response r;
  r.status = status;
  r.content_type = "text/html; charset=utf-8";
  r.body = std::move(body);
  return r;
}

http::response not_found(std::string_view what) {
  return html("<!DOCTYPE html><html lang=\"zh-Hans\"><meta charset=\"utf-8\"><title>404</title><p>" +
                  text::html_escape(what) + "</p></html>\n",
              404);
}

http::response plain(unsigned status, std::string body) {
  return {status, "text/plain; charset=utf-8", std::move(body), {}};
}

std::string query(const http::request& req, const char* key) {
  auto it = req.query.find(key);
  return it == req.query.end() ? std::string() : it->second;
}

/// What the WeChat callback needs beyond the options: decoded keys and the replay guard.
struct callback_context {
  explicit callback_context(std::chrono::seconds window) : guard(window) {}
  std::map<std::string, callback::aes_key> keys;
  callback::replay_guard guard;
  std::function<std::int64_t()> now;
  callback::xml_limits limits;
};

/// GET/POST /wechat/callback/<account>: WeChat's message push, plain-text or safe mode.
// What a recorded PUBLISHJOBFINISH said, in the log: for an unknown publish_id, one of another
// account, a published article, or a failed publication.
void log_publish_result(const std::string& account, const publish_result& r,
                        const std::optional<std::string>& owner) {
  if (!owner) {
    log::get("feed-server")
        .warn("wechat callback {}: PUBLISHJOBFINISH for unknown publish_id {} (status {}), ignored", account,
              r.publish_id, r.status);
  } else if (*owner != account) {
    log::get("feed-server")
        .warn("wechat callback {}: publish_id {} belongs to account {}; recorded there", account,
              r.publish_id, *owner);
  }
  if (owner) {
    if (r.status == 0) {
      log::get("feed-server")
          .info("wechat publish {}: publish_id {} published, article_id {}", *owner, r.publish_id,
                r.article_id);
    } else {
      log::get("feed-server")
          .warn("wechat publish {}: publish_id {} {} (publish_status {}{}{})", *owner, r.publish_id,
                publish_status_name(r.status), r.status, r.fail_idx.empty() ? "" : ", fail_idx ", r.fail_idx);
    }
  }
}

http::response wechat_callback(state_store& state, const feed_server_options& o, callback_context& cx,
                               const std::string& account, const http::request& req) {
  if (req.method != "GET" && req.method != "POST") {
    auto r = http::response::json_error(405, "method not allowed");
    r.headers.emplace_back("Allow", "GET, POST");
    return r;
  }
  if (std::find(o.accounts.begin(), o.accounts.end(), account) == o.accounts.end()) {
    return plain(404, "no account " + account + "\n");
  }
  const auto token = o.callback_tokens.find(account);
  const std::string ts = query(req, "timestamp");
  const std::string nonce = query(req, "nonce");
  const auto key = cx.keys.find(account);
  const bool safe_mode = key != cx.keys.end();
  const bool encrypted = req.method == "POST" && query(req, "encrypt_type") == "aes";
  // In safe mode msg_signature is the one that matters (it covers the body); `signature`, when
  // WeChat sends it too, must hold as well.
  const bool has_plain_sig = !encrypted || req.query.contains("signature");
  if (token == o.callback_tokens.end() || token->second.empty() ||
      (has_plain_sig && !callback::signature_valid(token->second, ts, nonce, query(req, "signature")))) {
    log::get("feed-server")
        .warn("wechat callback {}: bad signature from {} (or no callback token configured)", account,
              req.remote);
    return plain(403, "bad signature\n");
  }
  const std::int64_t now = cx.now();
  if (req.method == "GET") {
    // URL verification: a replayed GET only echoes, but a stale one is still refused.
    if (const auto f = cx.guard.check(account + "/GET", ts, nonce, now);
        f != callback::freshness::fresh && f != callback::freshness::replayed) {
      return plain(403, std::string(callback::freshness_name(f)) + "\n");
    }
    return plain(200, query(req, "echostr"));
  }
  if (req.body.size() > cx.limits.max_bytes) {
    log::get("feed-server")
        .warn("wechat callback {}: body of {} bytes from {} refused", account, req.body.size(), req.remote);
    return plain(413, "message larger than " + std::to_string(cx.limits.max_bytes) + " bytes\n");
  }
  if (safe_mode && !encrypted) {
    log::get("feed-server")
        .warn("wechat callback {}: plain-text push from {} refused: the account is in safe mode", account,
              req.remote);
    return plain(403,
                 "plain-text push refused: this account takes safe-mode (encrypt_type=aes) messages only\n");
  }
  if (encrypted && !safe_mode) {
    log::get("feed-server")
        .error("wechat callback {}: safe-mode push but no EncodingAESKey configured (encoding_aes_key_env)",
               account);
    return plain(400, "encrypted message but no EncodingAESKey configured for this account\n");
  }
  std::string message;
  try {
    if (encrypted) {
      const std::string enc = callback::parse_encrypted_envelope(req.body, cx.limits);
      if (!callback::msg_signature_valid(token->second, ts, nonce, enc, query(req, "msg_signature"))) {
        log::get("feed-server").warn("wechat callback {}: bad msg_signature from {}", account, req.remote);
        return plain(403, "bad msg_signature\n");
      }
      const auto app = o.app_ids.find(account);
      message =
          callback::decrypt(key->second, enc, app == o.app_ids.end() ? std::string_view() : app->second);
    }
  } catch (const std::invalid_argument& e) {
    log::get("feed-server").warn("wechat callback {}: {}", account, e.what());
    return plain(400, std::string(e.what()) + "\n");
  }
  // Only a signed request gets here, so only those take room in the replay guard.
  if (const auto f = cx.guard.check(account, ts, nonce, now); f != callback::freshness::fresh) {
    log::get("feed-server")
        .warn("wechat callback {}: {} from {} (timestamp {}, nonce {}), refused", account,
              callback::freshness_name(f), req.remote, ts.substr(0, 20), nonce.substr(0, 40));
    const bool ours =
        f == callback::freshness::full || f == callback::freshness::unrecorded;  // WeChat retries a 5xx
    return plain(ours ? 503 : 403, std::string(callback::freshness_name(f)) + "\n");
  }
  std::optional<callback::publish_event> ev;
  try {
    ev = callback::parse_message(encrypted ? std::string_view(message) : std::string_view(req.body),
                                 cx.limits);
  } catch (const std::invalid_argument& e) {
    log::get("feed-server").warn("wechat callback {}: {}", account, e.what());
    return plain(400, std::string(e.what()) + "\n");
  }
  if (!ev) return plain(200, "success");
  publish_result r;
  r.publish_id = ev->publish_id, r.status = ev->publish_status, r.article_id = ev->article_id;
  r.fail_idx = ev->fail_idx, r.source = "callback";
  std::optional<std::string> owner;
  try {
    owner = state.record_publish_result(r);
  } catch (const std::exception& e) {
    // Not taken: WeChat's retry (same timestamp and nonce) must get through.
    cx.guard.release(account, ts, nonce);
    log::get("feed-server")
        .error("wechat callback {}: recording publish_id {}: {}", account, r.publish_id, e.what());
    return plain(500, "not recorded\n");
  }
  log_publish_result(account, r, owner);
  return plain(200, "success");
}

/// /feeds/<account>/status.json: the account's drafts and the publish results WeChat reported.
http::response status_json(state_store& state, const std::string& account) {
  nlohmann::json drafts = nlohmann::json::array();
  std::map<std::string, int> counts;
  for (const auto& d : state.drafts(account)) {
    ++counts[d.status];
    drafts.push_back({{"media_id", d.media_id},
                      {"issue_id", d.issue_id},
                      {"status", d.status},
                      {"publish_id", d.publish_id},
                      {"articles", d.articles.size()}});
  }
  nlohmann::json results = nlohmann::json::array();
  for (const auto& r : state.publish_results(account)) {
    results.push_back({{"publish_id", r.publish_id},
                       {"publish_status", r.status},
                       {"status", publish_status_name(r.status)},
                       {"article_id", r.article_id},
                       {"fail_idx", r.fail_idx},
                       {"source", r.source},
                       {"received_at", r.received_at}});
  }
  nlohmann::json body{{"account", account},
                      {"draft_status_counts", counts},
                      {"drafts", drafts},
                      {"publish_results", results}};
  return {200, "application/json", body.dump(2) + "\n", {}};
}

}  // namespace

http::authoriser make_feed_authoriser(feed_server_options o) {
  std::function<std::int64_t()> now = o.now ? o.now : [] {
    return static_cast<std::int64_t>(
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
            .count());
  };
  return [o = std::move(o), now = std::move(now)](const http::request& req) -> std::optional<http::response> {
    if (req.path.rfind("/wechat/callback/", 0) != 0) {
      if (req.method == "GET" || req.method == "HEAD") return std::nullopt;
      auto r = http::response::json_error(405, "method not allowed");
      r.headers.emplace_back("Allow", "GET, HEAD");
      return r;
    }
    if (req.method != "POST") return std::nullopt;  // GET (URL verification) and 405s carry no body
    const std::string account = http::url_decode(req.path.substr(17));
    if (std::find(o.accounts.begin(), o.accounts.end(), account) == o.accounts.end()) {
      return plain(404, "no account " + account + "\n");
    }
    const auto token = o.callback_tokens.find(account);
    const std::string ts = query(req, "timestamp");
    const bool encrypted = query(req, "encrypt_type") == "aes";
    const bool has_plain_sig = !encrypted || req.query.contains("signature");
    if (token == o.callback_tokens.end() || token->second.empty() ||
        (has_plain_sig &&
         !callback::signature_valid(token->second, ts, query(req, "nonce"), query(req, "signature"))) ||
        (encrypted && query(req, "msg_signature").empty())) {
      log::get("feed-server")
          .warn("wechat callback {}: bad signature from {}, refused before its body", account, req.remote);
      return plain(403, "bad signature\n");
    }
    std::int64_t t = 0;
    const auto [end, ec] = std::from_chars(ts.data(), ts.data() + ts.size(), t);
    if (ec != std::errc() || end != ts.data() + ts.size() || ts.empty()) return plain(403, "bad timestamp\n");
    const std::int64_t skew = now() - t;
    if (skew > o.callback_window.count() || -skew > o.callback_window.count()) {
      log::get("feed-server")
          .warn("wechat callback {}: stale timestamp {} from {}, refused before its body", account, ts,
                req.remote);
      return plain(403, "stale timestamp\n");
    }
    return std::nullopt;
  };
}

namespace {

// Whether `account` has a feed: configured, or with articles in the state.
bool known_account(state_store& state, const feed_server_options& o, const std::string& account) {
  if (std::find(o.accounts.begin(), o.accounts.end(), account) != o.accounts.end()) return true;
  const auto all = state.feed_accounts();
  return std::find(all.begin(), all.end(), account) != all.end();
}

// GET /: the list of feeds, with links to each format.
http::response index_page(state_store& state, const feed_server_options& o) {
  std::vector<std::string> accounts = o.accounts;
  for (auto& a : state.feed_accounts()) {
    if (std::find(accounts.begin(), accounts.end(), a) == accounts.end()) accounts.push_back(a);
  }
  std::string body =
      "<!DOCTYPE html><html lang=\"zh-Hans\"><head><meta charset=\"utf-8\"><title>feeds</title>"
      "</head><body><h1>feeds</h1><ul>";
  for (const auto& a : accounts) {
    body += "<li><a href=\"" + text::html_escape(o.public_base_url + "/feeds/" + a) + "\">" +
            text::html_escape(a) + "</a> (<a href=\"" +
            text::html_escape(o.public_base_url + "/feeds/" + a + ".xml") + "\">RSS</a>, <a href=\"" +
            text::html_escape(o.public_base_url + "/feeds/" + a + ".json") + "\">JSON Feed</a>, <a href=\"" +
            text::html_escape(o.public_base_url + "/feeds/" + a + ".atom") + "\">Atom</a>)</li>";
  }
  body += "</ul></body></html>\n";
  return html(std::move(body));
}

// GET /feeds/<account>[.xml|.json|.atom]: the account's feed as a page, RSS, JSON Feed or Atom.
http::response feed_response(state_store& state, const feed_server_options& o, const std::string& path) {
  std::string account = path.substr(7);
  enum class format { html, rss, json_feed, atom } fmt = format::html;
  for (const auto& [ext, f] : {std::pair{std::string_view(".xml"), format::rss},
                               std::pair{std::string_view(".json"), format::json_feed},
                               std::pair{std::string_view(".atom"), format::atom}}) {
    if (account.size() > ext.size() && account.ends_with(ext)) {
      account.resize(account.size() - ext.size());
      fmt = f;
      break;
    }
  }
  if (account.empty() || account.find('/') != std::string::npos || !known_account(state, o, account)) {
    return not_found("no feed " + account);
  }
  auto entries = state.feed(account, o.feed_limit);
  if (fmt != format::html) {
    // Full text for feed readers: the stored page's <article> element (already escaped), and the
    // photos for enclosures and attachments.
    for (auto& e : entries) {
      auto p = state.page(e.article_id);
      if (!p) continue;
      if (fmt != format::rss) e.content_html = article_fragment(p->html);
      for (const auto& ph : p->article.photos()) {
        if (!ph.sha256().empty()) e.photos.push_back(ph);
      }
    }
  }
  switch (fmt) {
    case format::rss:
      return {200, "application/rss+xml; charset=utf-8", render_rss(account, entries, o.public_base_url), {}};
    case format::json_feed:
    case format::atom:
      if (fmt == format::json_feed) {
        return {200,
                "application/feed+json; charset=utf-8",
                render_json_feed(account, entries, o.public_base_url),
                {}};
      }
      return {
          200, "application/atom+xml; charset=utf-8", render_atom(account, entries, o.public_base_url), {}};
    case format::html:
      break;
  }
  return html(render_feed_page(account, entries, o.public_base_url));
}

// GET /articles/<id>: a stored article page, with an ETag of its content and revision.
http::response article_response(state_store& state, const http::request& req, const std::string& path) {
  const std::string id = path.substr(10);
  auto page = state.page(id);
  if (!page || page->html.empty()) return not_found("no article " + id);
  const std::string etag =
      "\"" + page->content_sha256.substr(0, 16) + "-" + std::to_string(page->revision) + "\"";
  if (req.header("if-none-match") == etag) {
    http::response r{304, "text/html; charset=utf-8", "", {}};
    r.headers.emplace_back("ETag", etag);
    return r;
  }
  auto r = html(std::move(page->html));
  r.headers.emplace_back("ETag", etag);
  r.headers.emplace_back("Cache-Control", "public, max-age=60");
  return r;
}

/// The photos the feed server serves: the blob store, and the down-scaled variants it made (kept
/// in memory up to `budget` bytes, oldest out first).
struct photo_context {
  std::shared_ptr<blob::store> blobs;
  std::mutex mu;
  std::map<std::string, std::string> variants;  ///< "<sha256>?w=N" -> JPEG
  std::deque<std::string> order;
  std::size_t held = 0;
  static constexpr std::size_t budget = 32U << 20U;
  static constexpr std::uint64_t max_photo_bytes = 64U << 20U;

  void keep(const std::string& key, const std::string& bytes) {
    const std::lock_guard lock(mu);
    if (bytes.size() > budget || !variants.emplace(key, bytes).second) return;
    order.push_back(key);
    held += bytes.size();
    while (held > budget && !order.empty()) {
      held -= variants[order.front()].size();
      variants.erase(order.front());
      order.pop_front();
    }
  }
  std::optional<std::string> cached(const std::string& key) {
    const std::lock_guard lock(mu);
    const auto it = variants.find(key);
    if (it == variants.end()) return std::nullopt;
    return it->second;
  }
};

std::string_view image_type(std::string_view bytes) {
  const auto f = images::sniff(bytes);
  if (f == "jpeg") return "image/jpeg";
  if (f == "png") return "image/png";
  if (f == "gif") return "image/gif";
  if (f == "webp") return "image/webp";
  if (f == "bmp") return "image/bmp";
  return "application/octet-stream";
}

// GET /photos/<sha256>[?w=N]: a photo from the blob store, or its variant N pixels wide (one of
// photo_widths). Content-addressed, so cached for good: an ETag of the name, `immutable`.
http::response photo_response(photo_context& pc, const http::request& req, const std::string& path) {
  const std::string name = path.substr(8);
  if (!blob::is_sha256_hex(name)) return not_found("no photo " + name);  // before touching the store
  const std::string w = query(req, "w");
  std::uint32_t width = 0;
  if (!w.empty()) {
    const auto* end = w.data() + w.size();
    const auto [ptr, ec] = std::from_chars(w.data(), end, width);
    if (ec != std::errc() || ptr != end ||
        std::find(std::begin(photo_widths), std::end(photo_widths), width) == std::end(photo_widths)) {
      return not_found("no variant w=" + w + " of photo " + name);
    }
  }
  const std::string etag = "\"" + name + (width > 0 ? "-w" + w : std::string()) + "\"";
  auto with_cache_headers = [&](http::response r) {
    r.headers.emplace_back("ETag", etag);
    r.headers.emplace_back("Cache-Control", "public, max-age=31536000, immutable");
    r.headers.emplace_back("X-Content-Type-Options", "nosniff");
    return r;
  };
  if (req.header("if-none-match") == etag) return with_cache_headers({304, "", "", {}});
  if (!pc.blobs) return not_found("no photo " + name);
  const std::string key = name + "?w=" + w;
  if (width > 0) {
    if (auto v = pc.cached(key)) return with_cache_headers({200, "image/jpeg", std::move(*v), {}});
  }
  auto bytes = pc.blobs->get(name, photo_context::max_photo_bytes);
  if (!bytes) {
    if (bytes.error() == blob::errc::not_found) return not_found("no photo " + name);
    log::get("feed-server").error("photo {}: {}", name, bytes.error().to_string());
    return plain(bytes.error().retriable() ? 503 : 500, "photo " + name + " cannot be read\n");
  }
  if (width == 0) {
    std::string type(image_type(bytes.value()));
    return with_cache_headers({200, std::move(type), std::move(bytes.value()), {}});
  }
  auto v = images::scale_to_width(bytes.value(), width);
  if (!v) {
    log::get("feed-server").error("photo {} w={}: {}", name, width, v.error().to_string());
    return plain(500, "photo " + name + " cannot be scaled\n");
  }
  pc.keep(key, v.value().bytes);
  return with_cache_headers({200, "image/jpeg", std::move(v.value().bytes), {}});
}

}  // namespace

http::handler make_feed_handler(std::shared_ptr<state_store> state, feed_server_options o) {
  while (!o.public_base_url.empty() && o.public_base_url.back() == '/') o.public_base_url.pop_back();
  auto cx = std::make_shared<callback_context>(o.callback_window);
  for (const auto& [account, k] : o.encoding_aes_keys) {
    try {
      cx->keys[account] = callback::decode_aes_key(k);
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument("account " + account + ": EncodingAESKey: " + e.what());
    }
  }
  cx->now = o.now ? o.now : [] {
    return static_cast<std::int64_t>(
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
            .count());
  };
  if (!o.callback_nonce_file.empty()) cx->guard.persist(o.callback_nonce_file, cx->now());
  auto pc = std::make_shared<photo_context>();
  pc->blobs = o.blobs;
  auto serve = [state = std::move(state), o = std::move(o), cx,
                pc](const http::request& req) -> http::response {
    if (req.path.rfind("/wechat/callback/", 0) == 0) {
      const std::string account = http::url_decode(req.path.substr(17));
      return wechat_callback(*state, o, *cx, account, req);
    }
    if (req.method != "GET" && req.method != "HEAD") {
      auto r = http::response::json_error(405, "method not allowed");
      r.headers.emplace_back("Allow", "GET, HEAD");
      return r;
    }
    const std::string path = http::url_decode(req.path);
    if (path == "/healthz" || path == "/readyz") return {200, "text/plain; charset=utf-8", "ok\n", {}};
    if (path == "/" || path.empty()) return index_page(*state, o);
    if (path.rfind("/feeds/", 0) == 0 && path.ends_with("/status.json")) {
      const std::string account = path.substr(7, path.size() - 7 - 12);
      if (account.empty() || account.find('/') != std::string::npos ||
          std::find(o.accounts.begin(), o.accounts.end(), account) == o.accounts.end()) {
        return not_found("no account " + account);
      }
      return status_json(*state, account);
    }
    if (path.rfind("/feeds/", 0) == 0) return feed_response(*state, o, path);
    if (path.rfind("/articles/", 0) == 0) return article_response(*state, req, path);
    if (path.rfind("/photos/", 0) == 0) return photo_response(*pc, req, path);
    return not_found("not found: " + path);
  };
  return [serve = std::move(serve)](const http::request& req) {
    auto r = serve(req);
    // core's server writes whatever body it is given, also to a HEAD request.
    if (req.method == "HEAD") r.body.clear();
    return r;
  };
}

}  // namespace syn::feed
