#include "syn/console/pages.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>

#include "syn/feed/text.hpp"

namespace syn::console {

namespace {

constexpr std::string_view style = R"(<style>
body{font-family:system-ui,"Noto Sans CJK SC",sans-serif;margin:0;color:#1d1d1f;background:#fafafa}
nav{background:#1f3a5f;padding:.6em 1em}nav a{color:#fff;margin-right:1.2em;text-decoration:none}
nav .who{float:right;color:#cfe0ff}main{padding:1em 1.5em}
table{border-collapse:collapse;width:100%;background:#fff}th,td{border-bottom:1px solid #ddd;padding:.35em .5em;
text-align:left;vertical-align:top;font-size:.92em}th{background:#eef2f7}
.s-stored,.s-published,.s-translated,.s-submitted{color:#0a6b2d}.s-drafted,.s-job_created,.s-held{color:#8a5a00}
.s-rejected,.s-dead_lettered,.s-failed{color:#b00020;font-weight:bold}.banner{background:#fff3cd;padding:.5em 1em}
.del{background:#fde8e8}.add{background:#e6f6ea}pre{white-space:pre-wrap}.muted{color:#777}
</style>)";

std::string cell(std::string_view s) { return "<td>" + escape(s) + "</td>"; }

std::string state_span(std::string_view state) {
  return "<span class=\"s-" + escape(state) + "\">" + escape(state) + "</span>";
}

std::string time_text(std::int64_t ms) {
  if (ms <= 0) return "-";
  const std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%SZ", &tm);
  return buf;
}

std::string layout(const page_context& c, std::string_view title, std::string_view body) {
  std::string out = "<!DOCTYPE html><html lang=\"zh-Hans\"><head><meta charset=\"utf-8\">";
  if (c.refresh_s > 0) out += "<meta http-equiv=\"refresh\" content=\"" + std::to_string(c.refresh_s) + "\">";
  out += "<title>" + escape(title) + " · syndicate console</title>";
  out += style;
  out +=
      "</head><body><nav><a href=\"/\">Issues</a><a href=\"/review\">Review</a><a href=\"/search\">Search</a>"
      "<a href=\"/dead-letters\">Dead letters</a><a href=\"/lag\">Lag</a><span class=\"who\">";
  out += escape(c.who.name) + " (" + escape(c.who.role) + ")</span></nav>";
  if (!c.problem.empty()) out += "<div class=\"banner\">" + escape(c.problem) + "</div>";
  out += "<main><h1>" + escape(title) + "</h1>";
  out += body;
  out += "</main></body></html>\n";
  return out;
}

std::string sink_counts(const std::map<std::string, std::map<std::string, std::size_t>>& by_sink,
                        const std::string& sink) {
  const auto it = by_sink.find(sink);
  if (it == by_sink.end()) return "<td class=\"muted\">-</td>";
  std::string out = "<td>";
  for (const auto& [state, n] : it->second) out += state_span(state) + " " + std::to_string(n) + " ";
  return out + "</td>";
}

std::string receipts_table(const page_context& c, const std::vector<receipt_row>& rows) {
  if (rows.empty()) return "<p class=\"muted\">No receipts yet.</p>";
  std::string out =
      "<table><tr><th>Sink</th><th>Target</th><th>State</th><th>Revision</th><th>Where</th><th>When</th>"
      "<th>Detail</th></tr>";
  for (const auto& r : rows) {
    out += "<tr>" + cell(r.sink) + cell(r.target) + "<td>" + state_span(r.state) + "</td>";
    out += cell(r.revision > 0 ? std::to_string(r.revision) : std::string("-"));
    std::string where;
    if (!r.media_id.empty()) where += "media " + escape(r.media_id) + " ";
    if (!r.publish_id.empty()) where += "publish " + escape(r.publish_id) + " ";
    if (!r.url.empty()) where += "<a href=\"" + escape(r.url) + "\">" + escape(r.url) + "</a> ";
    if (!r.target_article_id.empty())
      where += "<a href=\"/articles/" + url_encode(r.target_article_id) + "\">" +
               escape(r.target_article_id) + "</a>";
    out += "<td>" + where + "</td>" + cell(time_text(r.time_ms)) + cell(r.detail) + "</tr>";
  }
  (void)c;
  return out + "</table>";
}

}  // namespace

std::string escape(std::string_view s) { return feed::text::html_escape(s); }

std::string url_encode(std::string_view s) {
  static constexpr char digits[] = "0123456789ABCDEF";
  std::string out;
  for (const unsigned char ch : s) {
    if (std::isalnum(ch) != 0 || ch == '-' || ch == '_' || ch == '.' || ch == '~') {
      out.push_back(static_cast<char>(ch));
    } else {
      out.push_back('%');
      out.push_back(digits[ch >> 4U]);
      out.push_back(digits[ch & 15U]);
    }
  }
  return out;
}

std::string render_issues(const page_context& c, const std::vector<issue_summary>& issues, std::size_t skip,
                          std::size_t per_page, const index_counters& counts) {
  std::string b = "<p class=\"muted\">" + std::to_string(counts.issues) + " issues in memory, " +
                  std::to_string(counts.receipts_read) + " receipts read (" +
                  std::to_string(counts.receipts_duplicate) + " repeated).</p>";
  b += "<table><tr><th>Issue</th><th>Paper</th><th>Date</th><th>State</th><th>Articles</th><th>Archive</th>"
       "<th>Feed</th><th>Translation</th></tr>";
  for (const auto& s : issues) {
    const auto& e = s.issue;
    b += "<tr><td><a href=\"/issues/" + url_encode(e.issue_id) + "\">" + escape(e.issue_id) + "</a></td>";
    b += cell(e.paper) + cell(e.issue_date) + "<td>" + state_span(e.state);
    if (e.partition >= 0)
      b += " <span class=\"muted\">p" + std::to_string(e.partition) + "@" + std::to_string(e.offset) +
           "</span>";
    if (e.state == "held") b += " <a href=\"/review/" + url_encode(e.issue_id) + "\">review</a>";
    b += "</td>" + cell(std::to_string(e.article_ids.size()));
    b += sink_counts(s.by_sink, "archive") + sink_counts(s.by_sink, "feed") +
         sink_counts(s.by_sink, "translation");
    b += "</tr>";
  }
  b += "</table><p>";
  if (skip > 0)
    b += "<a href=\"/?skip=" + std::to_string(skip > per_page ? skip - per_page : 0) + "\">newer</a> ";
  if (issues.size() == per_page) b += "<a href=\"/?skip=" + std::to_string(skip + per_page) + "\">older</a>";
  return layout(c, "Issues", b + "</p>");
}

std::string render_issue(const page_context& c, const issue_view& v) {
  const auto& e = v.issue;
  std::string b = "<p>" + escape(e.paper) + " · " + escape(e.issue_date) + " · " + state_span(e.state);
  if (e.partition >= 0)
    b += " · partition " + std::to_string(e.partition) + " offset " + std::to_string(e.offset);
  b += " · confidence " + std::to_string(e.confidence).substr(0, 4) + " · " + std::to_string(e.warnings) +
       " warning(s)</p>";
  b +=
      "<table><tr><th>Article</th><th>Sink</th><th>Target</th><th>State</th><th>Where</th><th>When</th></tr>";
  for (const auto& [id, rows] : v.articles) {
    const std::string link = "<a href=\"/articles/" + url_encode(id) + "\">" + escape(id) + "</a>";
    if (rows.empty()) {
      b += "<tr><td>" + link + "</td><td colspan=\"5\" class=\"muted\">no receipt yet</td></tr>";
      continue;
    }
    for (const auto& r : rows) {
      std::string where = r.revision > 0 ? "revision " + std::to_string(r.revision) : std::string();
      if (!r.media_id.empty()) where += "media " + r.media_id;
      if (!r.target_article_id.empty()) where += r.target_article_id;
      b += "<tr><td>" + link + "</td>" + cell(r.sink) + cell(r.target) + "<td>" + state_span(r.state) +
           "</td>" + cell(where) + cell(time_text(r.time_ms)) + "</tr>";
    }
  }
  return layout(c, "Issue " + e.issue_id, b + "</table>");
}

std::vector<std::string> article_lines(const syndication::v1::Article& a) {
  std::vector<std::string> out;
  if (!a.kicker().empty()) out.push_back(a.kicker());
  out.push_back(a.headline());
  if (!a.subheadline().empty()) out.push_back(a.subheadline());
  for (const auto& blk : a.blocks()) out.push_back(blk.text());
  return out;
}

std::vector<std::string> diff_lines(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  std::vector<std::string> out;
  constexpr std::size_t max_lines = 2000;
  if (a.size() > max_lines || b.size() > max_lines) {
    for (const auto& l : a) out.push_back("- " + l);
    for (const auto& l : b) out.push_back("+ " + l);
    return out;
  }
  // Longest common subsequence table, from the ends.
  std::vector<std::vector<std::uint16_t>> lcs(a.size() + 1, std::vector<std::uint16_t>(b.size() + 1, 0));
  for (std::size_t i = a.size(); i-- > 0;) {
    for (std::size_t j = b.size(); j-- > 0;) {
      lcs[i][j] = a[i] == b[j] ? static_cast<std::uint16_t>(lcs[i + 1][j + 1] + 1)
                               : std::max(lcs[i + 1][j], lcs[i][j + 1]);
    }
  }
  std::size_t i = 0;
  std::size_t j = 0;
  while (i < a.size() || j < b.size()) {
    if (i < a.size() && j < b.size() && a[i] == b[j]) {
      out.push_back("  " + a[i++]);
      ++j;
    } else if (j < b.size() && (i == a.size() || lcs[i][j + 1] >= lcs[i + 1][j])) {
      out.push_back("+ " + b[j++]);
    } else {
      out.push_back("- " + a[i++]);
    }
  }
  return out;
}

std::string render_article(const page_context& c, std::string_view id,
                           const std::vector<archive::stored_article>& revisions,
                           const std::vector<receipt_row>& receipts, std::string_view why) {
  std::string b;
  if (revisions.empty()) {
    b += "<p class=\"muted\">Not in the archive: " + escape(why) + "</p>";
  } else {
    const auto& cur = revisions.back();
    const auto& a = cur.article;
    b += "<p>" + escape(a.paper()) + " · " + escape(a.issue_date()) + " · page " + std::to_string(a.page()) +
         " · " + escape(a.language()) + " · revision " + std::to_string(cur.revision) + " of " +
         std::to_string(cur.revision_count) + "</p>";
    b += "<p><a href=\"/issues/" + url_encode(a.issue_id()) + "\">issue " + escape(a.issue_id()) + "</a>";
    if (!c.feed_base_url.empty())
      b += " · <a href=\"" + escape(c.feed_base_url) + "/articles/" + url_encode(a.id()) + "\">feed page</a>";
    b += "</p><article>";
    if (!a.kicker().empty()) b += "<p class=\"muted\">" + escape(a.kicker()) + "</p>";
    b += "<h2>" + escape(a.headline()) + "</h2>";
    if (!a.subheadline().empty()) b += "<h3>" + escape(a.subheadline()) + "</h3>";
    for (const auto& blk : a.blocks()) b += "<p>" + escape(blk.text()) + "</p>";
    b += "</article>";
    if (revisions.size() >= 2) {
      const auto& prev = revisions[revisions.size() - 2];
      b += "<h2>Changes from revision " + std::to_string(prev.revision) + "</h2><pre>";
      for (const auto& l : diff_lines(article_lines(prev.article), article_lines(a))) {
        const char* cls = l.rfind("- ", 0) == 0 ? "del" : (l.rfind("+ ", 0) == 0 ? "add" : "");
        b += "<div class=\"" + std::string(cls) + "\">" + escape(l) + "</div>";
      }
      b += "</pre>";
    }
    b += "<h2>Revisions</h2><table><tr><th>Revision</th><th>Content SHA-256</th><th>Stored</th></tr>";
    for (const auto& h : cur.history)
      b += "<tr>" + cell(std::to_string(h.revision)) + cell(h.content_sha256) + cell(h.stored_at) + "</tr>";
    b += "</table>";
  }
  b += "<h2>Receipts</h2>" + receipts_table(c, receipts);
  return layout(c, "Article " + std::string(id), b);
}

std::string render_search(const page_context& c, std::string_view q,
                          const std::vector<archive::search_hit>& hits, std::string_view why) {
  std::string b = "<form method=\"get\" action=\"/search\"><input name=\"q\" value=\"" + escape(q) +
                  "\" size=\"40\"> <button>Search</button></form>";
  if (!why.empty()) b += "<p class=\"banner\">" + escape(why) + "</p>";
  if (!q.empty()) {
    b += "<p>" + std::to_string(hits.size()) +
         " hit(s)</p><table><tr><th>Article</th><th>Issue</th>"
         "<th>Headline</th><th>Snippet</th></tr>";
    for (const auto& h : hits) {
      b += "<tr><td><a href=\"/articles/" + url_encode(h.id) + "\">" + escape(h.id) + "</a></td>" +
           cell(h.issue_id) + cell(h.headline) + cell(h.snippet) + "</tr>";
    }
    b += "</table>";
  }
  return layout(c, "Search", b);
}

std::string render_lag(const page_context& c, const std::vector<ops::group_lag>& groups,
                       std::string_view why) {
  std::string b;
  if (!why.empty()) b += "<p class=\"banner\">" + escape(why) + "</p>";
  b += "<table><tr><th>Group</th><th>State</th><th>Members</th><th>Topic</th><th>Partition</th>"
       "<th>Committed</th><th>End</th><th>Lag</th></tr>";
  for (const auto& g : groups) {
    for (const auto& r : g.rows) {
      const auto lag = r.lag();
      b += "<tr>" + cell(g.group) + cell(g.state) + cell(std::to_string(g.members)) + cell(r.topic) +
           cell(std::to_string(r.partition)) + cell(r.committed ? std::to_string(*r.committed) : "-") +
           cell(r.end >= 0 ? std::to_string(r.end) : "-") +
           cell(lag ? std::to_string(*lag) + (r.markers_only ? "*" : "") : "-") + "</tr>";
    }
    const auto total = g.total();
    b += "<tr><th>" + escape(g.group) + "</th><th colspan=\"6\">total</th><th>" +
         (total ? std::to_string(*total) : std::string("-")) + "</th></tr>";
  }
  return layout(c, "Lag", b + "</table><p class=\"muted\">* transaction markers only.</p>");
}

std::string render_dead_letters(const page_context& c, const std::vector<dead_letter_row>& rows,
                                std::string_view why) {
  std::string b;
  if (!why.empty()) b += "<p class=\"banner\">" + escape(why) + "</p>";
  std::map<std::string, std::vector<const dead_letter_row*>> by_reason;
  for (const auto& r : rows) by_reason[r.reason].push_back(&r);
  if (by_reason.empty()) b += "<p>No dead letters.</p>";
  for (const auto& [reason, list] : by_reason) {
    b += "<h2>" + escape(reason) + " (" + std::to_string(list.size()) +
         ")</h2><table><tr><th>Id</th>"
         "<th>State</th><th>Group</th><th>Origin</th><th>Error</th><th></th></tr>";
    for (const auto* r : list) {
      b += "<tr>" + cell(r->id) + cell(r->state) + cell(r->group) + cell(r->origin) + cell(r->error) + "<td>";
      if (c.who.editor() && r->state == "pending")
        b += "<a href=\"/dead-letters/redrive?id=" + url_encode(r->id) + "\">redrive…</a>";
      b += "</td></tr>";
    }
    b += "</table>";
  }
  return layout(c, "Dead letters", b);
}

std::string render_confirm_redrive(const page_context& c, const dead_letter_row& row) {
  std::string b = "<p>Send the original record of dead letter <b>" + escape(row.id) + "</b> (" +
                  escape(row.reason) + ", " + escape(row.origin) + ") back to its topic?</p><p>" +
                  escape(row.error) + "</p>";
  b +=
      "<form method=\"post\" action=\"/dead-letters/redrive\"><input type=\"hidden\" name=\"csrf\" value=\"" +
      escape(c.csrf) + "\"><input type=\"hidden\" name=\"id\" value=\"" + escape(row.id) +
      "\"><button name=\"confirm\" value=\"yes\">Redrive</button> <a "
      "href=\"/dead-letters\">cancel</a></form>";
  return layout(c, "Redrive a dead letter", b);
}

std::string render_message(const page_context& c, std::string_view title, std::string_view text) {
  return layout(c, title, "<p>" + escape(text) + "</p>");
}

std::string render_signin(std::string_view csrf, std::string_view error) {
  page_context c;
  c.who = {"nobody", "signed out"};
  std::string b;
  if (!error.empty()) b += "<p class=\"banner\">" + escape(error) + "</p>";
  b += "<form method=\"post\" action=\"/signin\"><input type=\"hidden\" name=\"csrf\" value=\"" +
       escape(csrf) +
       "\"><label>Token <input type=\"password\" name=\"token\" autocomplete=\"off\"></label> "
       "<button>Sign in</button></form>";
  return layout(c, "Sign in", b);
}

}  // namespace syn::console
