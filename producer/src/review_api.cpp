#include "syn/producer/review_api.hpp"

#include <nlohmann/json.hpp>

#include "syn/core/log.hpp"

namespace syn::producer {
namespace {

using json = nlohmann::json;
constexpr std::string_view kPrefix = "/v1/review";

/// `/v1/review/{id}` -> (id, ""), `/v1/review/{id}/release` -> (id, "release"); nullopt otherwise.
std::optional<std::pair<std::string, std::string>> parse_path(std::string_view path) {
  if (!path.starts_with("/v1/review/")) return std::nullopt;
  std::string_view rest = path.substr(kPrefix.size() + 1);
  std::string_view action;
  if (const auto slash = rest.find('/'); slash != std::string_view::npos) {
    action = rest.substr(slash + 1);
    rest = rest.substr(0, slash);
    if (action != "release" && action != "reject") return std::nullopt;
  }
  const std::string id = http::url_decode(rest);
  if (!valid_issue_id(id)) return std::nullopt;
  return std::pair{id, std::string(action)};
}

http::response json_response(unsigned status, const std::string& body) {
  http::response r;
  r.status = status;
  r.body = body;
  if (!r.body.ends_with('\n')) r.body.push_back('\n');
  return r;
}

http::response method_not_allowed(const char* allow, const std::string& what) {
  auto r = http::response::json_error(405, std::string("use ") + allow + " on " + what);
  r.headers.emplace_back("Allow", allow);
  return r;
}

}  // namespace

review_api::review_api(std::filesystem::path dir, std::vector<known_paper> papers, double min_confidence,
                       enqueue_fn enqueue)
    : store_(std::move(dir)),
      papers_(std::move(papers)),
      min_confidence_(min_confidence),
      enqueue_(std::move(enqueue)) {}

bool review_api::owns(std::string_view path) noexcept {
  return path == kPrefix || path.starts_with("/v1/review/");
}

std::optional<http::response> review_api::check_head(const http::request& head) {
  if (head.path == kPrefix) {
    if (head.method != "GET") return method_not_allowed("GET", "/v1/review");
    return std::nullopt;
  }
  const auto p = parse_path(head.path);
  if (!p) return http::response::json_error(404, "no such resource: " + head.path);
  if (p->second.empty() && head.method != "GET") return method_not_allowed("GET", "/v1/review/{id}");
  if (!p->second.empty() && head.method != "POST")
    return method_not_allowed("POST", "/v1/review/{id}/" + p->second);
  return std::nullopt;
}

http::response review_api::handle(const http::request& req) {
  if (auto refused = check_head(req)) return *refused;
  if (req.path == kPrefix) {
    std::string body = "{\"held\":[";
    const auto held = store_.list();
    for (std::size_t i = 0; i < held.size(); ++i) body.append(i ? "," : "").append(summary_json(held[i]));
    return json_response(200, body + "]}");
  }
  const auto [id, action] = *parse_path(req.path);
  if (action == "release") return release(id, req);
  if (action == "reject") return reject(id, req);
  const auto h = store_.find(id);
  if (!h) return http::response::json_error(404, "no issue " + json(id).dump() + " held for review");
  if (h->state == "released" || h->state == "rejected") return json_response(200, review_json(*h, nullptr));
  const auto issue = resplit(*h);
  return json_response(200, review_json(*h, issue ? &*issue : nullptr, min_confidence_));
}

std::optional<split_result> review_api::resplit(const held_issue& h) const {
  try {
    split_result issue = split_issue(h.body, options_of(h, papers_));
    issue.manifest.set_source(h.body);
    return issue;
  } catch (const split_error& e) {  // it split when held: only a changed splitter gets here
    log::get("review").error("held issue {} no longer splits: {}", h.issue_id, e.what());
    return std::nullopt;
  }
}

http::response review_api::release(const std::string& id, const http::request& req) {
  auto claim = std::shared_ptr<review_store::claim>(store_.try_claim(id));
  auto h = store_.find(id);
  if (!h) return http::response::json_error(404, "no issue " + json(id).dump() + " held for review");
  // Already released: the record, whoever still holds the claim (the worker that published it
  // drops it just after recording the decision).
  if (h->state == "released") return json_response(200, review_json(*h, nullptr));
  if (!claim) {
    // Another release (or a rejection) of it is under way: a repeated release is answered as the first.
    if (h->state == "releasing")
      return json_response(202, json{{"issueId", id}, {"status", "releasing"}}.dump());
    return http::response::json_error(409, "issue " + id + " is being decided by another process; try again");
  }
  if (h->state == "rejected")
    return http::response::json_error(409, "issue " + id + " was rejected at " + h->decided_at);
  std::optional<correction_set> corrections;
  try {
    if (!req.body.empty()) {
      corrections = parse_corrections(req.body, "corrections");
    } else if (!h->corrections.empty()) {
      corrections = parse_corrections(h->corrections, id + ": stored corrections");
    }
  } catch (const correction_error& e) {
    return json_response(
        400, json{{"error", e.message()}, {"line", e.line()}, {"field", e.field()}, {"source", e.source()}}
                 .dump());
  }
  auto issue = resplit(*h);
  if (!issue)
    return http::response::json_error(409, "issue " + id + " no longer splits; see the trigger's log");
  if (corrections) {
    try {
      apply_corrections(*corrections, *issue);
    } catch (const correction_error& e) {
      return json_response(
          400, json{{"error", e.message()}, {"line", e.line()}, {"field", e.field()}, {"source", e.source()}}
                   .dump());
    }
    h->corrections = corrections->text;
  }
  h->state = "releasing";
  h->reason.clear();
  store_.update(*claim, *h);  // durable before the 202: a restart resumes it
  log::get("review").info("issue {} released via http by {}{}", id, req.remote,
                          corrections ? " with corrections" : "");
  enqueue_(std::move(*issue), claim, *h);
  auto r = json_response(202, json{{"issueId", id}, {"status", "releasing"}}.dump());
  r.headers.emplace_back("Location", "/v1/issues/" + id);
  return r;
}

http::response review_api::reject(const std::string& id, const http::request& req) {
  std::string reason;
  if (!req.body.empty()) {
    const json j = json::parse(req.body, nullptr, /*allow_exceptions=*/false);
    if (!j.is_object() || (j.contains("reason") && !j["reason"].is_string()) ||
        j.size() > (j.contains("reason") ? 1U : 0U)) {
      return http::response::json_error(400, "body: expected {\"reason\": \"text\"} or nothing");
    }
    reason = j.value("reason", "");
  }
  const auto claim = store_.try_claim(id);
  auto h = store_.find(id);
  if (!h) return http::response::json_error(404, "no issue " + json(id).dump() + " held for review");
  if (!claim)
    return http::response::json_error(409, "issue " + id + " is being decided by another process; try again");
  if (h->state != "held") return http::response::json_error(409, "issue " + id + " is already " + h->state);
  h->reason = reason;
  h->decided_at = utc_now_iso8601();
  store_.rejected(*claim, *h);
  log::get("review").info("issue {} rejected via http by {}: {}", id, req.remote, json(reason).dump());
  h->body.clear();
  h->state = "rejected";
  return json_response(200, summary_json(*h));
}

void review_api::hold(const held_issue& h) { store_.hold(h); }

void review_api::finished(const review_store::claim& claim, held_issue held, const publish_outcome& o) {
  try {
    if (o.state == publish_outcome::status::failed) {
      held.state = "held";
      held.reason = "release failed: " + o.error;
      store_.update(claim, held);
      return;
    }
    held.outcome = std::string(to_string(o.state));
    held.decided_at = utc_now_iso8601();
    if (o.articles_sent > 0) held.sent = o.article_ids;
    store_.released(claim, std::move(held));
  } catch (const std::exception& e) {
    // Published, but not recorded: the issue stays `releasing` and the next start-up publishes
    // it again, which is `unchanged` (the topic holds it).
    log::get("review").error("issue {}: {}", held.issue_id, e.what());
  }
}

std::size_t review_api::resume() {
  std::size_t n = 0;
  for (const auto& summary : store_.list()) {
    if (summary.state != "releasing") continue;
    auto claim = std::shared_ptr<review_store::claim>(store_.try_claim(summary.issue_id));
    if (!claim) continue;  // another process is at it
    auto h = store_.find(summary.issue_id);
    if (!h || h->state != "releasing") continue;
    auto issue = resplit(*h);
    if (!issue) continue;
    try {
      if (!h->corrections.empty()) {
        apply_corrections(parse_corrections(h->corrections, h->issue_id + ": stored corrections"), *issue);
      }
    } catch (const correction_error& e) {
      log::get("review").error("issue {}: stored corrections no longer apply: {}", h->issue_id, e.what());
      continue;
    }
    enqueue_(std::move(*issue), claim, *h);
    ++n;
  }
  if (n > 0) log::get("review").info("resuming {} release(s) interrupted by a restart", n);
  return n;
}

std::optional<held_issue> review_api::held(const std::string& id) const {
  auto h = store_.find(id);
  if (!h || (h->state != "held" && h->state != "releasing")) return std::nullopt;
  return h;
}

}  // namespace syn::producer
