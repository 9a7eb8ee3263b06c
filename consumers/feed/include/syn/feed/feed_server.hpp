#pragma once
/// `syndicate serve feeds`: the feed pages, from the feed sink's state db.
///
///   GET /                      the accounts
///   GET /feeds/<account>       the account's articles, newest issue first (HTML)
///   GET /feeds/<account>.xml   the same as RSS 2.0
///   GET /feeds/<account>.json  the same as JSON Feed 1.1 (items with content_html)
///   GET /feeds/<account>.atom  the same as Atom (entries with html content)
///   GET /articles/<id>         the article page as a reader sees it (ETag: hash and revision)
///   GET /photos/<sha256>[?w=N] a photo from the blob store, or its variant N wide (photo_widths);
///                              `immutable`, ETag the sha256 (304 on If-None-Match)
///   GET /healthz, /readyz
///
/// The handler is thread-safe (the state store serialises its queries).

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "syn/core/config.hpp"
#include "syn/core/http_server.hpp"

namespace syn::blob {
class store;
}

namespace syn::feed {

class state_store;

struct feed_server_options {
  /// Base of the links in pages and feeds (config feed.server.public_base_url).
  std::string public_base_url = "http://127.0.0.1:8081";
  /// Accounts served; an account not listed here (and without entries) is 404. Empty: any
  /// account with entries.
  std::vector<std::string> accounts;
  /// Entries per feed.
  int feed_limit = 50;
  /// Message-push Token per account (config callback_token_env, resolved): the WeChat callback
  /// `/wechat/callback/<account>` verifies signatures with it; an account in `accounts` without a
  /// token answers 403, an account not in `accounts` 404.
  std::map<std::string, std::string> callback_tokens;
  /// EncodingAESKey per account (config encoding_aes_key_env, resolved): such an account takes
  /// only safe-mode pushes (`encrypt_type=aes`, checked `msg_signature`, decrypted body); a
  /// plain-text push is 403. An account without one takes plain-text pushes and answers a
  /// safe-mode push 400. make_feed_handler throws std::invalid_argument for a malformed key.
  std::map<std::string, std::string> encoding_aes_keys;
  /// AppID per account: a decrypted message naming another AppID is refused (400).
  std::map<std::string, std::string> app_ids;
  /// How far a callback's `timestamp` may be from now (either way); beyond it, or with a nonce
  /// already taken within it, the callback is 403 (callback.hpp replay_guard).
  std::chrono::seconds callback_window{300};
  /// Where the callback's replay guard keeps the nonces of the window, so a restart does not
  /// forget them (nonce_journal.hpp); empty: in memory only. make_feed_handler throws
  /// std::runtime_error naming the file when it cannot be opened.
  std::filesystem::path callback_nonce_file;
  /// The blob store the photos are served from (config `blobs`); null: `/photos/` is 404.
  std::shared_ptr<blob::store> blobs;
  /// Unix seconds now (tests set it); empty = the system clock.
  std::function<std::int64_t()> now;
};

/// The request handler of the feed server: `/`, `/feeds/<account>[.xml|.json|.atom]`,
/// `/feeds/<account>/status.json` (drafts and WeChat publish results), `/articles/<id>`,
/// `GET|POST /wechat/callback/<account>` (WeChat message push, see callback.hpp and docs/FEED.md).
[[nodiscard]] http::handler make_feed_handler(std::shared_ptr<state_store> state,
                                              feed_server_options options);

/// What the feed server refuses from a request's head, before its body is read (issue 16: an
/// unsigned 4 MiB body cost 4 MiB of memory each): a body-carrying method on the pages (405); a
/// POST to `/wechat/callback/<account>` for an unknown account (404), without a callback token,
/// with a wrong `signature`, a safe-mode push without `msg_signature` (403), or a `timestamp`
/// outside `callback_window` (403 "stale timestamp"). What needs the body (msg_signature, the
/// nonce cache, the XML) stays with the handler. Thread-safe.
[[nodiscard]] http::authoriser make_feed_authoriser(feed_server_options options);

}  // namespace syn::feed
