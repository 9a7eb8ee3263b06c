#pragma once
/// `syndicate serve feeds`: the feed pages, from the feed sink's state db.
///
///   GET /                      the accounts
///   GET /feeds/<account>       the account's articles, newest issue first (HTML)
///   GET /feeds/<account>.xml   the same as RSS 2.0
///   GET /feeds/<account>.json  the same as JSON Feed 1.1 (items with content_html)
///   GET /feeds/<account>.atom  the same as Atom (entries with html content)
///   GET /articles/<id>         the article page as a reader sees it (ETag: hash and revision)
///   GET /healthz, /readyz
///
/// The handler is thread-safe (the state store serialises its queries).

#include "syn/core/config.hpp"
#include "syn/core/http_server.hpp"

#include <memory>
#include <string>
#include <vector>

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
};

/// The request handler of the feed server.
[[nodiscard]] http::handler make_feed_handler(std::shared_ptr<state_store> state, feed_server_options options);

}  // namespace syn::feed
