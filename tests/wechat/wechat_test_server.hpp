#pragma once
/// A local server that speaks the WeChat Official Account API as the feed uses it, for tests and
/// trials, at least as strictly as the platform's documentation (each rule cites its page in
/// wechat_test_server.cpp; the numbers are docs/FEED.md's references): tokens
/// (cgi-bin/stable_token, force_refresh 20 a day and 30 s apart; the classic cgi-bin/token, with
/// their different invalidation rules), material/add_material (image, thumb), material/del_material,
/// media/uploadimg and media/upload (multipart `media`, decoded with libjpeg-turbo / libpng, size
/// and extension rules), draft/add (the documented limits with WeChat's errcodes; digests dropped
/// on multi-article drafts, links outside WeChat removed, external images filtered and every
/// other <img src> a URL issued to that AppID, else 45166), draft/get, draft/batchget,
/// freepublish/submit (publish_id a string), freepublish/get, freepublish/batchget, daily quotas
/// per app and API (45009) with clear_quota and openapi/quota/get; plus fault injection and an
/// inspection endpoint:
///
///   POST /__control  {"fail_next": N, "path": "draft/add", "app_id": "wx..", "skip": M,
///                     "errcode": 45009, "errmsg": "..." | "http_status": 500
///                     | "hang_ms": 5000, "process": false,
///                     "expire_tokens": true, "invalidate_tokens": true, "token_ttl_s": 7200,
///                     "classic_grace_ms": 300000, "apps": {"wx..": "secret"}, "reset": true,
///                     "callback_url": "http://127.0.0.1:PORT/wechat/callback/ACCOUNT",
///                     "callback_token": "...", "publish_status": 0,
///                     "publish_status_by_app": {"wx..": 4}, "callback_delay_ms": 200,
///                     "quota": {"api": "freepublish/submit", "daily_limit": 1, "app_id": "wx.."},
///                     "quota_reset": true, "delete_material": "MEDIA..",
///                     "callback_encoding_aes_key": "<43 characters>",
///                     "callback_by_app": {"wx..": {"url": "...", "token": "...",
///                                                  "encoding_aes_key": "..."}}}
///   GET  /__state    drafts received (?full=1 with content), materials, images, publishes,
///                    pushed_events, tokens issued, calls per path, faults injected.
///
/// With `callback_url` set ("" turns it off), each later freepublish/submit POSTs a
/// PUBLISHJOBFINISH event (plain-text XML, `signature`/`timestamp`/`nonce` in the query signed with
/// `callback_token`, a random nonce) with `publish_status` (or the app's `publish_status_by_app`) to that URL
/// from a thread, `callback_delay_ms` later, as WeChat's message push does; `pushed_events` records each push
/// and the HTTP status answered. With `callback_encoding_aes_key` the push is in safe mode:
/// `encrypt_type=aes`, `msg_signature` over the Encrypt text, the event AES-encrypted for the submitting
/// AppID (docs/FEED.md). `callback_by_app` gives an AppID its own push URL, Token and EncodingAESKey (empty
/// key: plain text), as each Official Account configures its own.
///
/// A fault applies to the next N API calls whose path contains `path` (any API path if empty) and,
/// with `app_id`, that are made for that app, after `skip` such calls were let through:
/// answer with `errcode` (HTTP 200, as WeChat does), or with HTTP `http_status`, or wait
/// `hang_ms` first (then answer errcode -1); `process: true` lets the call take effect anyway (the
/// draft is created but the caller sees the failure: an ambiguous outcome). Built on core's Beast
/// server; thread-safe.

#include <cstdint>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "syn/core/http_server.hpp"

namespace syn::testing {

struct wechat_test_server_options {
  std::string address = "127.0.0.1";
  std::uint16_t port = 0;
  /// Handler threads; a hanging call holds one.
  unsigned threads = 4;
  /// AppID -> AppSecret. Empty: any AppID with a non-empty secret is accepted (the first secret
  /// seen for an AppID is then required).
  std::map<std::string, std::string> apps;
  /// expires_in of issued tokens.
  int token_ttl_s = 7200;
  /// How long a classic cgi-bin/token stays valid after the next one is issued (the platform
  /// documents up to 5 minutes); 0 shows the invalidation at once.
  int classic_grace_ms = 300000;
  /// stable_token force_refresh: at most 20 a day, this far apart (the platform: 30 s).
  int force_refresh_interval_ms = 30000;
};

class wechat_test_server {
 public:
  explicit wechat_test_server(wechat_test_server_options options = {});
  ~wechat_test_server();
  wechat_test_server(const wechat_test_server&) = delete;
  wechat_test_server& operator=(const wechat_test_server&) = delete;

  [[nodiscard]] std::uint16_t port() const noexcept;
  /// `http://127.0.0.1:<port>`
  [[nodiscard]] std::string base_url() const;

  /// What GET /__state answers.
  [[nodiscard]] nlohmann::json state(bool full = false) const;
  /// What POST /__control does; returns its answer.
  nlohmann::json control(const nlohmann::json& command);

  /// The handler (exposed for tests that call it without a socket).
  [[nodiscard]] http::response handle(const http::request& req);

  /// Stops serving; hanging calls are released. Idempotent.
  void stop();

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace syn::testing
