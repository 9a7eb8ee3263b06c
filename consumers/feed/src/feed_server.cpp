#include "syn/feed/feed_server.hpp"

#include "syn/feed/pages.hpp"
#include "syn/feed/state.hpp"
#include "syn/feed/text.hpp"

#include <algorithm>
#include <stdexcept>

namespace syn::feed {
namespace {

http::response html(std::string body, unsigned status = 200) {
  http::response r;
  r.status = status;
  r.content_type = "text/html; charset=utf-8";
  r.body = std::move(body);
  return r;
}

http::response not_found(std::string_view what) {
  return html("<!DOCTYPE html><html lang=\"zh-Hans\"><meta charset=\"utf-8\"><title>404</title><p>" +
                  text::html_escape(what) + "</p></html>\n",
              404);
}

}  // namespace

http::handler make_feed_handler(std::shared_ptr<state_store> state, feed_server_options o) {
  while (!o.public_base_url.empty() && o.public_base_url.back() == '/') o.public_base_url.pop_back();
  auto serve = [state = std::move(state), o = std::move(o)](const http::request& req) -> http::response {
    if (req.method != "GET" && req.method != "HEAD") {
      auto r = http::response::json_error(405, "method not allowed");
      r.headers.emplace_back("Allow", "GET, HEAD");
      return r;
    }
    const std::string path = http::url_decode(req.path);
    if (path == "/healthz" || path == "/readyz") return {200, "text/plain; charset=utf-8", "ok\n", {}};
    auto known = [&](const std::string& account) {
      if (std::find(o.accounts.begin(), o.accounts.end(), account) != o.accounts.end()) return true;
      const auto all = state->feed_accounts();
      return std::find(all.begin(), all.end(), account) != all.end();
    };
    if (path == "/" || path.empty()) {
      std::vector<std::string> accounts = o.accounts;
      for (auto& a : state->feed_accounts()) {
        if (std::find(accounts.begin(), accounts.end(), a) == accounts.end()) accounts.push_back(a);
      }
      std::string body = "<!DOCTYPE html><html lang=\"zh-Hans\"><head><meta charset=\"utf-8\"><title>feeds</title>"
                         "</head><body><h1>feeds</h1><ul>";
      for (const auto& a : accounts) {
        body += "<li><a href=\"" + text::html_escape(o.public_base_url + "/feeds/" + a) + "\">" + text::html_escape(a) +
                "</a> (<a href=\"" + text::html_escape(o.public_base_url + "/feeds/" + a + ".xml") + "\">RSS</a>, <a href=\"" + text::html_escape(o.public_base_url + "/feeds/" + a + ".json") +
                "\">JSON Feed</a>, <a href=\"" + text::html_escape(o.public_base_url + "/feeds/" + a + ".atom") +
                "\">Atom</a>)</li>";
      }
      body += "</ul></body></html>\n";
      return html(std::move(body));
    }
    if (path.rfind("/feeds/", 0) == 0) {
      std::string account = path.substr(7);
      enum class format { html, rss, json, atom } fmt = format::html;
      for (const auto& [ext, f] : {std::pair{std::string_view(".xml"), format::rss},
                                   std::pair{std::string_view(".json"), format::json},
                                   std::pair{std::string_view(".atom"), format::atom}}) {
        if (account.size() > ext.size() && account.ends_with(ext)) {
          account.resize(account.size() - ext.size());
          fmt = f;
          break;
        }
      }
      if (account.empty() || account.find('/') != std::string::npos || !known(account)) {
        return not_found("no feed " + account);
      }
      auto entries = state->feed(account, o.feed_limit);
      switch (fmt) {
        case format::rss:
          return {200, "application/rss+xml; charset=utf-8", render_rss(account, entries, o.public_base_url), {}};
        case format::json:
        case format::atom:
          // Full text for feed readers: the stored page's <article> element (already escaped).
          for (auto& e : entries) {
            if (auto p = state->page(e.article_id)) e.content_html = article_fragment(p->html);
          }
          if (fmt == format::json) {
            return {200, "application/feed+json; charset=utf-8", render_json_feed(account, entries, o.public_base_url), {}};
          }
          return {200, "application/atom+xml; charset=utf-8", render_atom(account, entries, o.public_base_url), {}};
        case format::html: break;
      }
      return html(render_feed_page(account, entries, o.public_base_url));
    }
    if (path.rfind("/articles/", 0) == 0) {
      const std::string id = path.substr(10);
      auto page = state->page(id);
      if (!page || page->html.empty()) return not_found("no article " + id);
      const std::string etag = "\"" + page->content_sha256.substr(0, 16) + "-" + std::to_string(page->revision) + "\"";
      if (req.header("if-none-match") == etag) {
        http::response r{304, "text/html; charset=utf-8", "", {}};
        r.headers.emplace_back("ETag", etag);
        return r;
      }
      auto r = html(std::move(page->html));
      r.headers.emplace_back("ETag", etag);
      r.headers.emplace_back("Cache-Control", "public, max-age=60");
      return r;
    }
    return not_found("not found: " + path);
  };
  return [serve = std::move(serve)](const http::request& req) {
    auto r = serve(req);
    // core's server writes whatever body it is given, also to a HEAD request.
    if (req.method == "HEAD") r.body.clear();
    return r;
  };
}

}  // namespace syn::feed
