#pragma once
/// WeChat's message-push callback (服务器配置, plain-text mode): the signature check and the
/// PUBLISHJOBFINISH event, which carries the result of a freepublish/submit.
///
/// Signature: SHA-1 (lower-case hex) of the lexicographically sorted concatenation of the
/// account's Token, the query's `timestamp` and `nonce`; sent as `signature` on the GET that
/// verifies the URL (answered with `echostr`) and on every POST. The AES "safe mode"
/// (`encrypt_type=aes`, `msg_signature`) is not implemented: configure the account in plain-text
/// mode (明文模式).

#include <optional>
#include <string>
#include <string_view>

namespace syn::feed::callback {

/// The signature WeChat sends for (token, timestamp, nonce).
[[nodiscard]] std::string signature(std::string_view token, std::string_view timestamp, std::string_view nonce);
/// Whether `sig` is that signature (constant-time comparison); false when `token` is empty.
[[nodiscard]] bool signature_valid(std::string_view token, std::string_view timestamp, std::string_view nonce,
                                   std::string_view sig);

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
/// when the XML is malformed, the root is not <xml>, or a PUBLISHJOBFINISH event lacks
/// publish_id or has a publish_status that is not an integer 0..6.
[[nodiscard]] std::optional<publish_event> parse_message(std::string_view xml);

/// The XML of a PUBLISHJOBFINISH event (tests, the WeChat test server).
[[nodiscard]] std::string publish_event_xml(const publish_event& e);

}  // namespace syn::feed::callback
