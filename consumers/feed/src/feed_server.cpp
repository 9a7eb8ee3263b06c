#include "syn/feed/feed_server.hpp"

#include "syn/feed/callback.hpp"
#include "syn/feed/pages.hpp"
#include "syn/feed/state.hpp"
#include "syn/feed/text.hpp"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>
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

http::response plain(unsigned status, std::string body) { return {status, "text/plain; charset=utf-8", std::move(body), {}}; }

std::string query(const http::request& req, const char* key) {
  auto it = req.query.find(key);
  return it == req.query.end() ? std::string() : it->second;
}

/// GET/POST /wechat/callback/<account>: WeChat's message push (plain-text mode).
http::response wechat_callback(state_store& state, const feed_server_options& o, const std::string& account,
                               const http::request& req) {
  if (req.method != "GET" && req.method != "POST") {
    auto r = http::response::json_error(405, "method not allowed");
    r.headers.emplace_back("Allow", "GET, POST");
    return r;
  }
  if (std::find(o.accounts.begin(), o.accounts.end(), account) == o.accounts.end()) {
    return plain(404, "no account " + account + "\n");
  }
  const auto token = o.callback_tokens.find(account);
  if (token == o.callback_tokens.end() || token->second.empty() ||
      !callback::signature_valid(token->second, query(req, "timestamp"), query(req, "nonce"), query(req, "signature"))) {
    spdlog::warn("wechat callback {}: bad signature from {} (or no callback token configured)", account, req.remote);
    return plain(403, "bad signature\n");
  }
  if (req.method == "GET") return plain(200, query(req, "echostr"));
  if (query(req, "encrypt_type") == "aes") {
    spdlog::error("wechat callback {}: safe mode (encrypt_type=aes) is not supported; set the account to plain-text mode",
                  account);
    return plain(400, "encrypted messages are not supported: use plain-text mode\n");
  }
  std::optional<callback::publish_event> ev;
  try {
    ev = callback::parse_message(req.body);
  } catch (const std::invalid_argument& e) {
    spdlog::warn("wechat callback {}: {}", account, e.what());
    return plain(400, std::string(e.what()) + "\n");
  }
  if (!ev) return plain(200, "success");
  publish_result r;
  r.publish_id = ev->publish_id, r.status = ev->publish_status, r.article_id = ev->article_id;
  r.fail_idx = ev->fail_idx, r.source = "callback";
  const auto owner = state.record_publish_result(r);
  if (!owner) {
    spdlog::warn("wechat callback {}: PUBLISHJOBFINISH for unknown publish_id {} (status {}), ignored", account,
                 r.publish_id, r.status);
  } else if (*owner != account) {
    spdlog::warn("wechat callback {}: publish_id {} belongs to account {}; recorded there", account, r.publish_id,
                 *owner);
  }
  if (owner) {
    if (r.status == 0) {
      spdlog::info("wechat publish {}: publish_id {} published, article_id {}", *owner, r.publish_id, r.article_id);
    } else {
      spdlog::warn("wechat publish {}: publish_id {} {} (publish_status {}{}{})", *owner, r.publish_id,
                   publish_status_name(r.status), r.status, r.fail_idx.empty() ? "" : ", fail_idx ", r.fail_idx);
    }
  }
  return plain(200, "success");
}

/// /feeds/<account>/status.json: the account's drafts and the publish results WeChat reported.
http::response status_json(state_store& state, const std::string& account) {
  nlohmann::json drafts = nlohmann::json::array();
  std::map<std::string, int> counts;
  for (const auto& d : state.drafts(account)) {
    ++counts[d.status];
    drafts.push_back({{"media_id", d.media_id}, {"issue_id", d.issue_id}, {"status", d.status},
                      {"publish_id", d.publish_id}, {"articles", d.articles.size()}});
  }
  nlohmann::json results = nlohmann::json::array();
  for (const auto& r : state.publish_results(account)) {
    results.push_back({{"publish_id", r.publish_id}, {"publish_status", r.status},
                       {"status", publish_status_name(r.status)}, {"article_id", r.article_id},
                       {"fail_idx", r.fail_idx}, {"source", r.source}, {"received_at", r.received_at}});
  }
  nlohmann::json body{{"account", account}, {"draft_status_counts", counts}, {"drafts", drafts},
                      {"publish_results", results}};
  return {200, "application/json", body.dump(2) + "\n", {}};
}

}  // namespace

http::handler make_feed_handler(std::shared_ptr<state_store> state, feed_server_options o) {
  while (!o.public_base_url.empty() && o.public_base_url.back() == '/') o.public_base_url.pop_back();
  auto serve = [state = std::move(state), o = std::move(o)](const http::request& req) -> http::response {
    if (req.path.rfind("/wechat/callback/", 0) == 0) {
      const std::string account = http::url_decode(req.path.substr(17));
      return wechat_callback(*state, o, account, req);
    }
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
    if (path.rfind("/feeds/", 0) == 0 && path.ends_with("/status.json")) {
      const std::string account = path.substr(7, path.size() - 7 - 12);
      if (account.empty() || account.find('/') != std::string::npos ||
          std::find(o.accounts.begin(), o.accounts.end(), account) == o.accounts.end()) {
        return not_found("no account " + account);
      }
      return status_json(*state, account);
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
