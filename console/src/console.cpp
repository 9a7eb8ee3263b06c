#include "syn/console/console.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>

#include "syn/archive/sink.hpp"
#include "syn/console/auth.hpp"
#include "syn/console/pages.hpp"
#include "syn/console/tail.hpp"
#include "syn/core/log.hpp"
#include "syn/core/service.hpp"
#include "syn/ops/dlq.hpp"
#include "syn/ops/lag.hpp"

namespace syn::console {

namespace {

constexpr std::size_t issues_per_page = 50;

http::response html(std::string body, unsigned status = 200) {
  http::response r;
  r.status = status;
  r.content_type = "text/html; charset=utf-8";
  r.body = std::move(body);
  // No script anywhere: a text that slipped through escaping still could not run.
  r.headers.emplace_back("Content-Security-Policy",
                         "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; form-action 'self'; "
                         "frame-ancestors 'none'; base-uri 'none'");
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  r.headers.emplace_back("Referrer-Policy", "no-referrer");
  r.headers.emplace_back("Cache-Control", "no-store");
  return r;
}

http::response redirect(std::string to) {
  http::response r{303, "text/plain; charset=utf-8", "see " + to + "\n", {}};
  r.headers.emplace_back("Location", std::move(to));
  return r;
}

std::string query(const http::request& req, const char* key) {
  const auto it = req.query.find(key);
  return it == req.query.end() ? std::string() : it->second;
}

/// The path segment after `prefix`, percent-decoded; "" when it is empty or holds a slash.
std::string tail_segment(const std::string& path, std::string_view prefix) {
  if (path.size() <= prefix.size() || path.compare(0, prefix.size(), prefix) != 0) return {};
  auto seg = http::url_decode(std::string_view(path).substr(prefix.size()));
  return seg.find('/') == std::string::npos ? seg : std::string();
}

}  // namespace

struct console::impl {
  config::root cfg;
  console_options options;
  auth users;
  index memory;
  tail reader;
  std::mutex archive_mu;
  std::unique_ptr<archive::store> archive_store;
  std::unique_ptr<http::server> server;

  impl(config::root c, console_options o)
      : cfg(std::move(c)),
        options(std::move(o)),
        users(cfg.console),
        memory(index_limits{cfg.console.max_issues, 64, std::min<std::size_t>(cfg.console.max_issues, 2000)}),
        reader(cfg, memory) {}

  page_context context(const principal& who) {
    page_context c;
    c.who = who;
    c.csrf = users.csrf_token(who);
    c.problem = reader.problem();
    c.feed_base_url = cfg.feed.server.public_base_url;
    return c;
  }

  /// Runs `fn` on the archive (opened read-only at first use, reopened after a failure).
  template <class Fn>
  std::string with_archive(Fn&& fn) {
    const std::lock_guard lock(archive_mu);
    if (!archive_store) {
      archive::store_options so;
      so.mode = archive::open_mode::read_only;
      auto opened = archive::open(cfg.archive, so);
      if (!opened) return opened.error().to_string();
      archive_store = std::move(opened).value();
    }
    std::string why = fn(*archive_store);
    if (!why.empty()) archive_store.reset();
    return why;
  }

  http::response issues_page(const principal& who, const http::request& req) {
    std::size_t skip = 0;
    try {
      const auto s = query(req, "skip");
      if (!s.empty()) skip = std::stoul(s);
    } catch (const std::exception&) {
      return html(render_message(context(who), "Bad request", "skip must be a number"), 400);
    }
    auto c = context(who);
    c.refresh_s = cfg.console.refresh_seconds;
    return html(
        render_issues(c, memory.latest(skip, issues_per_page), skip, issues_per_page, memory.counters()));
  }

  http::response issue_page(const principal& who, const std::string& id) {
    auto v = memory.issue(id);
    if (!v) return html(render_message(context(who), "Not found", "no issue " + id + " in memory"), 404);
    auto c = context(who);
    c.refresh_s = cfg.console.refresh_seconds;
    return html(render_issue(c, *v));
  }

  http::response article_page(const principal& who, const std::string& id) {
    std::vector<archive::stored_article> revisions;
    const auto why = with_archive([&](archive::store& s) -> std::string {
      auto cur = s.get(id);
      if (!cur) return cur.error().to_string();
      // The one before the current revision, for the diff.
      if (cur.value().revision > 1) {
        if (auto prev = s.get(id, cur.value().revision - 1)) revisions.push_back(std::move(prev).value());
      }
      revisions.push_back(std::move(cur).value());
      return {};
    });
    return html(render_article(context(who), id, revisions, memory.receipts(id), why));
  }

  http::response search_page(const principal& who, const http::request& req) {
    const auto q = query(req, "q");
    std::vector<archive::search_hit> hits;
    std::string why;
    if (!q.empty()) {
      why = with_archive([&](archive::store& s) -> std::string {
        archive::search_query sq;
        sq.text = q;
        sq.limit = 50;
        auto r = s.search(sq);
        if (!r) return r.error().to_string();
        hits = std::move(r).value();
        return {};
      });
    }
    return html(render_search(context(who), q, hits, why));
  }

  /// One group at a time: a group that cannot be read leaves the others on the page (and the
  /// four groups asked together timed out where each alone answered at once: see the report).
  http::response lag_page(const principal& who) {
    const auto& g = cfg.consumers.groups;
    std::vector<ops::group_lag> groups;
    std::string why;
    for (const auto& group : {g.archive, g.feed, g.translation, g.translator}) {
      auto lag = ops::collect_lag(cfg.kafka, {group}, {}, kafka::after(std::chrono::seconds(5)));
      if (!lag) {
        why += group + ": " + lag.error().to_string() + " ";
        continue;
      }
      for (auto& l : lag.value()) groups.push_back(std::move(l));
    }
    return html(render_lag(context(who), groups, why));
  }

  std::vector<dead_letter_row> dead_letters(std::string& why) {
    std::vector<dead_letter_row> rows;
    if (options.config_path.empty()) {
      why = "dead letters need the console started with --config";
      return rows;
    }
    ops::dlq_options o;
    o.common.config_path = options.config_path;
    o.common.json = true;
    o.common.timeout_s = 10;
    o.limit = 500;
    std::ostringstream out;
    if (ops::run_dlq_list(o, out) != 0) {
      why = "the dead-letter topic could not be read (see the console's log)";
      return rows;
    }
    const auto doc = nlohmann::json::parse(out.str(), nullptr, false);
    if (doc.is_discarded() || !doc.contains("deadLetters")) return rows;
    for (const auto& d : doc["deadLetters"]) {
      rows.push_back({d.value("id", ""),
                      d["reason"].is_string() ? d["reason"].get<std::string>() : "UNDECODABLE",
                      d.value("consumerGroup", ""),
                      d.value("topic", "") + "/" + std::to_string(d.value("partition", 0)) + "@" +
                          std::to_string(d.value("offset", 0)),
                      d.value("error", ""), d["state"].is_string() ? d["state"].get<std::string>() : "-"});
    }
    return rows;
  }

  http::response dead_letters_page(const principal& who) {
    std::string why;
    auto rows = dead_letters(why);
    return html(render_dead_letters(context(who), rows, why));
  }

  http::response redrive(const principal& who, const http::request& req) {
    if (!who.editor()) return html(render_message(context(who), "Forbidden", "redrive needs an editor"), 403);
    const bool post = req.method == "POST";
    const auto form = post ? parse_form(req.body) : std::map<std::string, std::string>{};
    const std::string id = post ? (form.contains("id") ? form.at("id") : "") : query(req, "id");
    std::string why;
    const auto rows = dead_letters(why);
    const auto row =
        std::find_if(rows.begin(), rows.end(), [&](const dead_letter_row& r) { return r.id == id; });
    if (row == rows.end())
      return html(render_message(context(who), "Not found", "no dead letter " + id), 404);
    if (!post) return html(render_confirm_redrive(context(who), *row));
    if (!form.contains("confirm") || form.at("confirm") != "yes")
      return html(render_message(context(who), "Not confirmed", "nothing was redriven"), 400);
    ops::dlq_options o;
    o.common.config_path = options.config_path;
    o.common.timeout_s = 30;
    o.filter.ids = {id};
    o.execute = true;
    std::ostringstream out;
    const int rc = ops::run_dlq_redrive(o, out);
    log::get("console").warn("change by user={} role={}: redrive dead letter {}: exit {}", who.name, who.role,
                             id, rc);
    return html(render_message(context(who), rc == 0 ? "Redriven" : "Redrive failed", out.str()),
                rc == 0 ? 200 : 502);
  }

  http::response signin(const http::request& req) {
    const principal nobody{"nobody", "signed out"};
    if (req.method != "POST") return html(render_signin(users.csrf_token(nobody), ""));
    const auto form = parse_form(req.body);
    if (!form.contains("csrf") || !users.csrf_ok(nobody, form.at("csrf")))
      return html(render_signin(users.csrf_token(nobody), "The form expired; try again."), 403);
    const auto who = users.by_token(form.contains("token") ? form.at("token") : "");
    if (!who) {
      log::get("console").warn("sign-in refused from {}", req.remote);
      return html(render_signin(users.csrf_token(nobody), "Unknown token."), 401);
    }
    log::get("console").info("user={} role={} signed in from {}", who->name, who->role, req.remote);
    auto r = redirect("/");
    r.headers.emplace_back("Set-Cookie", std::string(auth::cookie_name) + "=" + form.at("token") +
                                             "; Path=/; HttpOnly; SameSite=Strict");
    return r;
  }

  http::response route(const http::request& req) {
    if (req.path == "/healthz") return {200, "text/plain; charset=utf-8", "ok\n", {}};
    if (req.path == "/signin") return signin(req);
    const auto who = users.who(req);
    if (!who)
      return req.method == "GET" ? redirect("/signin") : html(render_signin("", "Sign in first."), 401);
    if (req.method == "POST") {
      const auto form = parse_form(req.body);
      if (!form.contains("csrf") || !users.csrf_ok(*who, form.at("csrf")))
        return html(render_message(context(*who), "Forbidden", "missing or wrong CSRF token"), 403);
      if (req.path == "/dead-letters/redrive") return redrive(*who, req);
      return html(render_message(context(*who), "Not found", "nothing to post to " + req.path), 404);
    }
    if (req.method != "GET" && req.method != "HEAD")
      return html(render_message(context(*who), "Method not allowed", req.method), 405);
    if (req.path == "/" || req.path == "/issues") return issues_page(*who, req);
    if (auto id = tail_segment(req.path, "/issues/"); !id.empty()) return issue_page(*who, id);
    if (auto id = tail_segment(req.path, "/articles/"); !id.empty()) return article_page(*who, id);
    if (req.path == "/search") return search_page(*who, req);
    if (req.path == "/lag") return lag_page(*who);
    if (req.path == "/dead-letters") return dead_letters_page(*who);
    if (req.path == "/dead-letters/redrive") return redrive(*who, req);
    if (req.path == "/review") return review_list(*who);
    return html(render_message(context(*who), "Not found", req.path), 404);
  }

  http::response review_list(const principal& who) {
    std::vector<issue_summary> held;
    for (auto& s : memory.latest(0, cfg.console.max_issues)) {
      if (s.issue.state == "held" || s.issue.state == "releasing") held.push_back(std::move(s));
    }
    return html(render_issues(context(who), held, 0, held.size() + 1, memory.counters()));
  }
};

console::console(config::root cfg, console_options options)
    : impl_(std::make_unique<impl>(std::move(cfg), std::move(options))) {
  const auto where = service::split_host_port(impl_->cfg.console.listen);
  http::server_options so;
  so.address = where.first;
  so.port = where.second;
  so.body_limit = 1024U * 1024U;
  so.threads = 4;
  impl_->server = std::make_unique<http::server>(so, [this](const http::request& r) { return handle(r); });
  if (impl_->options.tail) impl_->reader.start(std::chrono::seconds(impl_->cfg.console.refresh_seconds));
}

console::~console() { stop(); }

void console::stop() {
  if (impl_->server) impl_->server->stop();
  impl_->reader.stop();
}

std::uint16_t console::port() const noexcept { return impl_->server ? impl_->server->port() : 0; }
index& console::memory() noexcept { return impl_->memory; }

http::response console::handle(const http::request& req) {
  try {
    return impl_->route(req);
  } catch (const std::exception& e) {
    log::get("console").error("{} {}: {}", req.method, req.path, e.what());
    return html("<!DOCTYPE html><p>internal error</p>", 500);
  }
}

}  // namespace syn::console
