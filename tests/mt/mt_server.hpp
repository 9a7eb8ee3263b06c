#pragma once
/// A LibreTranslate-compatible machine translation server for tests, on core's Beast server.
///
/// Speaks the part of LibreTranslate's API the HTTP engine uses:
/// - `POST /translate`, JSON `{"q": text | [texts], "source", "target", "format", "api_key"}` ->
///   `{"translatedText": text | [texts]}` (the same shape as `q`). The "translation" is
///   deterministic: each text becomes `[<target>] <text>` (an empty or blank text stays empty, as
///   LibreTranslate does). Errors are `{"error": "..."}` with LibreTranslate's statuses and
///   wording: 400 (invalid JSON, missing q/source/target, unsupported language or format, over the
///   character or batch limit, API key missing), 403 (invalid API key).
/// - `GET /languages`: the languages it accepts, with their targets.
/// Fault injection and inspection for tests:
/// - `POST /__control` `{"fail_next": N, "status": 500|429|..., "hang_ms": H, "retry_after": S,
///   "error": "..."}`: the next N `/translate` requests (default 1) first wait H ms (default 0),
///   then answer `status` (default 500; 200 = answer normally after the wait) with the error text
///   and, when given, `Retry-After: S`. `{"fail_always": true, "status": ..., ...}`: every request
///   not taken by `fail_next` fails that way until `{"fail_always": false}` (an outage: 500
///   nonstop, or 429 with `Retry-After`, 400/403 for good). `{"languages": [...]}` replaces the
///   language list. `{"reset": true}` clears faults (including an outage) and counters first.
/// - `GET /__state`: counters and the last requests (see state()).
///
/// Thread-safe. Waits of hanging requests end early when the server stops.

#include <chrono>
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace syn::mt {

struct mt_server_options {
  std::string address = "127.0.0.1";
  std::uint16_t port = 0;  ///< 0: any free port
  /// When set, requests must carry this `api_key` (LibreTranslate with --api-keys and
  /// --require-api-key-origin: missing -> 400, wrong -> 403).
  std::optional<std::string> api_key;
  /// LibreTranslate's --char-limit: most code points in one request; -1 = unlimited.
  long char_limit = -1;
  /// LibreTranslate's --batch-limit: most texts in one request; -1 = unlimited.
  long batch_limit = -1;
  unsigned threads = 4;
  /// Language codes served (GET /languages) and accepted; empty = the default list
  /// (ar de en es fr it ja ko pt ru ug zh zh-Hans zh-Hant). `{"zh", "en"}` is an engine older
  /// than LibreTranslate 1.6, which calls Simplified Chinese `zh`.
  std::vector<std::string> languages;
};

/// Deterministic stand-in for a translation: `[<target>] <text>`, or "" for a blank text.
[[nodiscard]] std::string fake_translate(std::string_view text, std::string_view target);

class mt_server {
 public:
  /// Binds and serves until stop() or destruction. \throws std::runtime_error if it cannot bind.
  explicit mt_server(mt_server_options options);
  ~mt_server();
  mt_server(const mt_server&) = delete;
  mt_server& operator=(const mt_server&) = delete;

  [[nodiscard]] std::uint16_t port() const noexcept;
  /// `http://<address>:<port>/translate`.
  [[nodiscard]] std::string translate_url() const;

  /// What POST /__control does, in-process. Returns the answer body.
  nlohmann::json control(const nlohmann::json& command);
  /// What GET /__state returns: `requests` (POST /translate received), `ok`, `failed`, `injected`
  /// (answered by a fault), `texts` and `chars` (translated successfully), `max_request_chars`,
  /// `max_request_texts`, `pending_faults`, `log` (the last 100 requests: `texts`, `chars`,
  /// `status`, `source`, `target`, `api_key` present).
  [[nodiscard]] nlohmann::json state() const;

  /// Stops serving; pending hangs end at once. Idempotent.
  void stop();

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace syn::mt
