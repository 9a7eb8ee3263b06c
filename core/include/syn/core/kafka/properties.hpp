#pragma once
/// librdkafka properties built from `syn::config::kafka_config`.
///
/// Order of precedence (later wins): the role's defaults, then `config::librdkafka_properties()`
/// (bootstrap, `kafka.client` verbatim, `kafka.client_env` secrets read from the environment),
/// then the few properties the wrappers' guarantees depend on. Setting one of those
/// in `kafka.client` to a different value is an error, not a silent override, e.g. a consumer with
/// `enable.auto.commit=true` would commit records its sink never took.

#include <map>
#include <string>
#include <string_view>

#include "syn/core/config.hpp"
#include "syn/core/kafka/error.hpp"

namespace syn::kafka {

using properties = std::map<std::string, std::string>;

enum class role {
  producer,                ///< idempotent, non-transactional (dead letters, replay)
  transactional_producer,  ///< idempotent + `transactional.id`
  consumer,                ///< group consumer, manual commits, read_committed
  admin,
};

/// Per-role inputs that do not live in kafka_config.
struct role_options {
  std::string client_id = "syndicate";
  std::string group_id;          ///< consumer: required
  std::string transactional_id;  ///< transactional_producer: required
};

/// The bootstrap value selecting librdkafka's in-process mock cluster.
inline constexpr std::string_view embedded_bootstrap = "embedded";

/// True if `cfg.bootstrap_servers` is `embedded`.
[[nodiscard]] bool is_embedded(const config::kafka_config& cfg) noexcept;

/// All librdkafka properties for a client of `r`. Pure (no librdkafka call); for `embedded`,
/// `bootstrap.servers` stays `embedded` and the client resolves it to the process's mock cluster.
/// Errors: `errc::invalid_arg` naming the first conflicting or missing property, or the unset
/// environment variables of `kafka.client_env`.
[[nodiscard]] result<properties> build_properties(const config::kafka_config& cfg, role r,
                                                  const role_options& opts = {});

}  // namespace syn::kafka
