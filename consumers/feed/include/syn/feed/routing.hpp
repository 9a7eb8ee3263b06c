#pragma once
/// Which feed accounts an article goes to, by each account's `route_rules` (config.hpp), matched
/// as every component matches them (syn::routing, core/include/syn/core/routing.hpp). An account's
/// empty `languages` list means "the account's own language", so a zh-Hant account receives only
/// zh-Hant articles unless its rules say otherwise. Pure functions; thread-safe.

#include <cstddef>
#include <vector>

#include "syn/core/config.hpp"
#include "syn/core/routing.hpp"
#include "syndication/v1/article.pb.h"

namespace syn::feed {

using routing::language_matches;
using routing::matches;

/// Whether `article` goes to `account`.
[[nodiscard]] inline bool routes_to(const syndication::v1::Article& article,
                                    const config::feed_account& account) {
  return routing::matches(article, account.rules, account.language);
}

/// Indexes into `accounts` of the accounts `article` goes to, in config order.
[[nodiscard]] std::vector<std::size_t> route(const syndication::v1::Article& article,
                                             const std::vector<config::feed_account>& accounts);

}  // namespace syn::feed
