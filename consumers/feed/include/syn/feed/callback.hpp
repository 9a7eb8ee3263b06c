#pragma once
/// WeChat's message-push callback (服务器配置): the signatures, the replay guard, the AES safe mode
/// and the PUBLISHJOBFINISH event, which carries the result of a freepublish/submit.
///
/// Plain-text mode (明文模式): `signature` = SHA-1 (lower-case hex) of the lexicographically
/// sorted concatenation of the account's Token, the query's `timestamp` and `nonce`; sent on the GET
/// that verifies the URL (answered with `echostr`) and on every POST. It covers no body.
///
/// Safe mode (安全模式, recommended; `encrypt_type=aes`): the body is `<xml><ToUserName/>
/// <Encrypt>BASE64</Encrypt></xml>`, and `msg_signature` = SHA-1 of the sorted Token, `timestamp`,
/// `nonce` and the Encrypt text, so the signature covers the body. Encrypt is AES-256-CBC with
/// AESKey = Base64_Decode(EncodingAESKey + "="), IV = the key's first 16 bytes, PKCS#7 padding to a
/// multiple of 32 bytes, over random(16) + msg_len(4, network order) + msg + AppID
/// (developers.weixin.qq.com/doc/oplatform/en/Third-party_Platforms/Message_Encryption/Technical_Plan.html,
/// and the Official Account's 消息加解密说明: .../doc/subscription/guide/dev/push/encryption.md).
///
/// Every parser here takes outside input: it never crashes, whatever the bytes (tests/fuzz
/// fuzz_callback), and rejects with std::invalid_argument naming the problem.

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace syn::feed::callback {

class nonce_journal;

/// The signature WeChat sends for (token, timestamp, nonce).
[[nodiscard]] std::string signature(std::string_view token, std::string_view timestamp,
                                    std::string_view nonce);
/// Whether `sig` is that signature (constant-time comparison); false when `token` is empty.
[[nodiscard]] bool signature_valid(std::string_view token, std::string_view timestamp, std::string_view nonce,
                                   std::string_view sig);

/// Safe mode's `msg_signature` for (token, timestamp, nonce, the body's Encrypt text).
[[nodiscard]] std::string msg_signature(std::string_view token, std::string_view timestamp,
                                        std::string_view nonce, std::string_view encrypt);
/// Whether `sig` is that msg_signature (constant-time); false when `token` is empty.
[[nodiscard]] bool msg_signature_valid(std::string_view token, std::string_view timestamp,
                                       std::string_view nonce, std::string_view encrypt,
                                       std::string_view sig);

/// Limits of the XML parser (libexpat, which keeps its element stack on the heap: no nesting can
/// overflow the thread's stack). A message over a limit is rejected, not truncated.
struct xml_limits {
  /// Bytes of a message; WeChat's events are a few KiB. The feed server answers 413 above this.
  std::size_t max_bytes = 64 * 1024;
  /// Element nesting; WeChat's messages nest 4 deep (<xml><PublishEventInfo><article_detail><item>).
  int max_depth = 16;
  /// Elements in one message.
  std::size_t max_elements = 2048;
};

/// A PUBLISHJOBFINISH event.
struct publish_event {
  std::string to_user;    ///< ToUserName: the account's original id (gh_...)
  std::string from_user;  ///< FromUserName
  std::int64_t create_time = 0;
  std::string publish_id;
  int publish_status = 0;  ///< 0..6, see state.hpp publish_result
  std::string article_id;  ///< on success
  std::string fail_idx;    ///< the failed articles' 1-based indexes, comma-separated
};

/// Parses a pushed message. nullopt: a well-formed message that is not a PUBLISHJOBFINISH event
/// (other events are acknowledged and ignored). Throws std::invalid_argument naming the problem
/// when the message is over a limit, the XML is malformed or has a DOCTYPE (no entities, no DTD),
/// the root is not <xml>, a field appears twice, or a PUBLISHJOBFINISH event lacks publish_id or
/// has a publish_status that is not an integer 0..6.
[[nodiscard]] std::optional<publish_event> parse_message(std::string_view xml, const xml_limits& limits = {});

/// The XML of a PUBLISHJOBFINISH event (tests, the WeChat test server).
[[nodiscard]] std::string publish_event_xml(const publish_event& e);

/// Safe mode's body: `<xml><ToUserName>…</ToUserName><Encrypt>…</Encrypt></xml>` (compatibility
/// mode adds the plain fields, which are ignored). Returns the Encrypt text; throws
/// std::invalid_argument as parse_message() does, or when there is no (or an empty) <Encrypt>.
[[nodiscard]] std::string parse_encrypted_envelope(std::string_view xml, const xml_limits& limits = {});

/// AESKey, decoded from an EncodingAESKey.
using aes_key = std::array<unsigned char, 32>;

/// Base64_Decode(EncodingAESKey + "="). Throws std::invalid_argument unless `encoding_aes_key` is
/// 43 characters of a-z, A-Z, 0-9 (as the platform generates them).
[[nodiscard]] aes_key decode_aes_key(std::string_view encoding_aes_key);

/// Decrypts an Encrypt text with OpenSSL's EVP AES-256-CBC and returns the message. Throws
/// std::invalid_argument naming the problem: not Base64, not a multiple of 32 bytes, bad PKCS#7
/// padding, a msg_len beyond the data, or an AppID other than `app_id` (not checked when empty).
[[nodiscard]] std::string decrypt(const aes_key& key, std::string_view encrypt, std::string_view app_id);

/// What the replay guard says about a signed request.
enum class freshness { fresh, bad_timestamp, stale, replayed, full, unrecorded };

/// Refuses what an observer of a signed request could replay: a `timestamp` more than `window`
/// from now, and a (timestamp, nonce) seen before within the window. Entries expire with their
/// timestamp, so memory is bounded by the rate of *signed* requests times the window, and capped
/// at `max_entries` (beyond: `full`, the caller answers 503). In memory only unless `persist`
/// is called: then every reservation is on disk (nonce_journal.hpp) before `check` says `fresh`
/// (`unrecorded`, answered 503, when it cannot be written), and a restart within the window
/// still refuses a replay. Thread-safe.
class replay_guard {
 public:
  explicit replay_guard(std::chrono::seconds window = std::chrono::seconds(300),
                        std::size_t max_entries = 100000);
  ~replay_guard();
  replay_guard(const replay_guard&) = delete;
  replay_guard& operator=(const replay_guard&) = delete;

  /// Keeps the reservations in `file` from now on, first taking over those it holds that are
  /// still in the window at `now`. Throws std::runtime_error naming the file when it cannot be
  /// opened or read.
  void persist(const std::filesystem::path& file, std::int64_t now);

  /// Checks `timestamp` (decimal unix seconds) against `now` and reserves (scope, timestamp,
  /// nonce) when fresh.
  [[nodiscard]] freshness check(std::string_view scope, std::string_view timestamp, std::string_view nonce,
                                std::int64_t now);
  /// Forgets a reservation (the request failed on our side: WeChat's retry must be taken).
  void release(std::string_view scope, std::string_view timestamp, std::string_view nonce);
  [[nodiscard]] std::size_t size() const;

 private:
  std::chrono::seconds window_;
  std::size_t max_entries_;
  mutable std::mutex mu_;
  std::map<std::string, std::int64_t> seen_;  ///< SHA-256 (hex) of scope, timestamp, nonce -> expiry (unix s)
  std::unique_ptr<nonce_journal> journal_;
};

/// "fresh", "bad timestamp", "stale timestamp", "replayed nonce", "replay cache full",
/// "nonce not recorded".
[[nodiscard]] std::string_view freshness_name(freshness f) noexcept;

}  // namespace syn::feed::callback
