#pragma once
/// The console's pages: server-rendered HTML, no script, every text from outside (article text,
/// issue ids, error messages, receipts' details) escaped. Pure functions, unit-tested.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "syn/archive/store.hpp"
#include "syn/console/auth.hpp"
#include "syn/console/index.hpp"
#include "syn/ops/lag.hpp"

namespace syn::console {

/// What every page shows around its body.
struct page_context {
  principal who;
  std::string csrf;           ///< for the page's forms
  int refresh_s = 0;          ///< > 0: the page reloads itself (meta refresh)
  std::string problem;        ///< shown as a banner (the topics could not be read...)
  std::string feed_base_url;  ///< feed.server.public_base_url, for links to the feed pages
};

/// `<`, `>`, `&`, `"`, `'` escaped; invalid UTF-8 replaced.
[[nodiscard]] std::string escape(std::string_view s);
/// One query parameter value percent-encoded.
[[nodiscard]] std::string url_encode(std::string_view s);

[[nodiscard]] std::string render_issues(const page_context& c, const std::vector<issue_summary>& issues,
                                        std::size_t skip, std::size_t per_page, const index_counters& counts);
[[nodiscard]] std::string render_issue(const page_context& c, const issue_view& v);
/// `stored`: the article's current revision in the archive (nullptr: not archived, `why`).
/// `revisions`: every stored revision, oldest first (the diff shows the last two).
[[nodiscard]] std::string render_article(const page_context& c, std::string_view id,
                                         const std::vector<archive::stored_article>& revisions,
                                         const std::vector<receipt_row>& receipts, std::string_view why);
[[nodiscard]] std::string render_search(const page_context& c, std::string_view q,
                                        const std::vector<archive::search_hit>& hits, std::string_view why);
[[nodiscard]] std::string render_lag(const page_context& c, const std::vector<ops::group_lag>& groups,
                                     std::string_view why);
/// Dead letters grouped by reason (each letter: its id, group, origin and error), with a redrive
/// form per letter for editors (a confirmation page comes first).
struct dead_letter_row {
  std::string id, reason, group, origin, error, state;
};
[[nodiscard]] std::string render_dead_letters(const page_context& c, const std::vector<dead_letter_row>& rows,
                                              std::string_view why);
[[nodiscard]] std::string render_confirm_redrive(const page_context& c, const dead_letter_row& row);
[[nodiscard]] std::string render_message(const page_context& c, std::string_view title,
                                         std::string_view text);
[[nodiscard]] std::string render_signin(std::string_view csrf, std::string_view error);

/// A line diff of `a` and `b` (LCS; at most 2,000 lines each, else everything replaced):
/// each line prefixed `  `, `- ` or `+ `.
[[nodiscard]] std::vector<std::string> diff_lines(const std::vector<std::string>& a,
                                                  const std::vector<std::string>& b);
/// An article as lines of text: kicker, headline, subheadline, then one line per block.
[[nodiscard]] std::vector<std::string> article_lines(const syndication::v1::Article& a);

}  // namespace syn::console
