#include "syn/producer/trigger.hpp"

#include "syn/core/sha256.hpp"

#include "syn/core/metrics.hpp"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <condition_variable>
#include <algorithm>
#include <atomic>
#include <deque>
#include <fstream>
#include <future>
#include <map>
#include <mutex>
#include <regex>
#include <set>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace syn::producer {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

json ranges_json(const std::vector<offset_range>& ranges) {
  json out = json::array();
  for (const auto& r : ranges) {
    out.push_back({{"topic", r.topic}, {"partition", r.partition}, {"firstOffset", r.first}, {"lastOffset", r.last}});
  }
  return out;
}

/// Constant-time comparison, so the token cannot be guessed byte by byte from timings. Both
/// sides are hashed first: the loop then always runs over 64 hex digits, whatever the length of
/// either side, so timings tell nothing about the token's length either.
bool same_secret(std::string_view given, std::string_view secret) {
  const std::string a = sha256_hex(given);
  const std::string b = sha256_hex(secret);
  unsigned char diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw std::runtime_error(p.string() + ": cannot open");
  std::ostringstream ss;
  ss << in.rdbuf();
  return std::move(ss).str();
}

/// `dir/name`, or `dir/name.<n>` if taken, so done/ and failed/ never lose a file.
fs::path free_name(const fs::path& dir, const fs::path& name) {
  fs::path target = dir / name;
  for (int n = 1; fs::exists(target); ++n) target = dir / (name.string() + "." + std::to_string(n));
  return target;
}

std::string now_iso8601() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t t = std::chrono::system_clock::to_time_t(now);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace

void log_publication(std::string_view via, std::string_view who, const publish_outcome& o) {
  std::string ranges;
  for (const auto& r : o.ranges) {
    if (!ranges.empty()) ranges += ',';
    ranges += r.topic + "[" + std::to_string(r.partition) + "]@" + std::to_string(r.first) + ".." + std::to_string(r.last);
  }
  spdlog::info("publication via={} who={} source={} issue={} result={} articles={} sent={} revisions={} ranges={} error={}",
               via, who, json(o.source_name).dump(), o.issue_id, to_string(o.state), o.article_ids.size(),
               o.articles_sent, o.revisions, ranges.empty() ? "-" : ranges, json(o.error).dump());
}

struct trigger::impl {
  trigger_options options;
  publish_group_fn publish;
  lookup_fn lookup;

  // Metrics, updated where the event happens; rendered by metrics_text().
  metrics::counter_family requests;      // route, method, code
  metrics::counter_family issues;        // via, result (published, unchanged, failed, rejected)
  metrics::counter_family errors;        // kind
  std::atomic<std::uint64_t> articles_produced{0};
  metrics::histogram publish_latency;

  void count_issue(std::string_view via, std::string_view result) {
    issues.inc({{"via", std::string(via)}, {"result", std::string(result)}});
  }

  struct job {
    split_result issue;
    std::string via;
    std::string who;
    std::promise<publish_outcome> done;
  };
  std::mutex mu;
  std::condition_variable cv;
  std::condition_variable idle_cv;
  std::deque<std::shared_ptr<job>> queue;
  bool busy = false;
  bool stopping = false;
  std::map<std::string, json> status;  // issue id -> last known status

  std::mutex publisher_mu;  // publish and lookup share the publisher
  std::thread worker;
  std::thread scanner;

  // Hot folder: what each candidate file looked like at the last scan.
  struct seen {
    std::uintmax_t size;
    fs::file_time_type mtime;
    std::chrono::steady_clock::time_point since;
  };
  std::mutex scan_mu;
  std::map<fs::path, seen> candidates;

  void run_worker() {
    while (true) {
      // Every issue queued by now (up to the bound) goes out in one transaction: at 100 issues/s
      // one transaction per issue could not keep up, and the queue grew (BENCHMARKS.md).
      std::vector<std::shared_ptr<job>> jobs;
      {
        std::unique_lock lock(mu);
        cv.wait(lock, [&] { return stopping || !queue.empty(); });
        if (queue.empty()) return;
        const std::size_t n = std::min(queue.size(), std::max<std::size_t>(1, options.max_issues_per_transaction));
        jobs.assign(queue.begin(), queue.begin() + static_cast<std::ptrdiff_t>(n));
        queue.erase(queue.begin(), queue.begin() + static_cast<std::ptrdiff_t>(n));
        busy = true;
      }
      std::vector<const split_result*> ready;
      for (const auto& j : jobs) ready.push_back(&j->issue);
      std::vector<publish_outcome> outcomes;
      const auto t0 = std::chrono::steady_clock::now();
      try {
        std::lock_guard plock(publisher_mu);
        outcomes = publish(ready);
        if (outcomes.size() != jobs.size()) throw std::logic_error("publisher returned the wrong number of outcomes");
      } catch (const std::exception& e) {
        outcomes.assign(jobs.size(), publish_outcome{});
        for (std::size_t i = 0; i < jobs.size(); ++i) {
          auto& o = outcomes[i];
          o.issue_id = jobs[i]->issue.manifest.issue_id();
          o.source_name = jobs[i]->issue.manifest.source_name();
          o.state = publish_outcome::status::failed;
          o.error = e.what();
        }
      }
      publish_latency.observe(
          std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0));
      for (std::size_t i = 0; i < jobs.size(); ++i) {
        const auto& o = outcomes[i];
        count_issue(jobs[i]->via, to_string(o.state));
        if (o.state == publish_outcome::status::failed) {
          errors.inc({{"kind", "publish_failed"}});
        } else {
          articles_produced += o.articles_sent;
        }
        log_publication(jobs[i]->via, jobs[i]->who, o);
      }
      {
        std::lock_guard lock(mu);
        for (const auto& o : outcomes) status[o.issue_id] = outcome_json(o);
        busy = false;
      }
      idle_cv.notify_all();
      for (std::size_t i = 0; i < jobs.size(); ++i) jobs[i]->done.set_value(std::move(outcomes[i]));
    }
  }

  static json outcome_json(const publish_outcome& o) {
    return {{"issueId", o.issue_id},         {"status", to_string(o.state)}, {"articleIds", o.article_ids},
            {"articlesSent", o.articles_sent}, {"revisions", o.revisions},   {"ranges", ranges_json(o.ranges)},
            {"source", o.source_name},        {"error", o.error},            {"updatedAt", now_iso8601()}};
  }

  std::future<publish_outcome> enqueue(split_result issue, std::string via, std::string who) {
    auto j = std::make_shared<job>();
    j->issue = std::move(issue);
    j->via = std::move(via);
    j->who = std::move(who);
    auto f = j->done.get_future();
    {
      std::lock_guard lock(mu);
      json queued = {{"issueId", j->issue.manifest.issue_id()},
                     {"status", "queued"},
                     {"articleIds", j->issue.manifest.article_ids()},
                     {"source", j->issue.manifest.source_name()},
                     {"updatedAt", now_iso8601()}};
      status[j->issue.manifest.issue_id()] = std::move(queued);
      queue.push_back(std::move(j));
    }
    cv.notify_one();
    return f;
  }

  http::response post_issue(const http::request& req) {
    split_options so;
    so.source_name = "http:" + req.remote;
    so.papers = options.papers;
    if (auto it = req.query.find("paper"); it != req.query.end()) {
      static const std::regex code_re("[a-z0-9][a-z0-9_-]{0,31}");
      if (!std::regex_match(it->second, code_re)) {
        return http::response::json_error(400, "query parameter paper: expected a paper code like 'cjrb', got " +
                                                   json(it->second).dump());
      }
      so.paper_code = it->second;
    }
    if (auto it = req.query.find("date"); it != req.query.end()) {
      static const std::regex date_re("[0-9]{4}-[0-9]{2}-[0-9]{2}");
      if (!std::regex_match(it->second, date_re)) {
        return http::response::json_error(400, "query parameter date: expected YYYY-MM-DD, got " +
                                                   json(it->second).dump());
      }
      so.issue_date = it->second;
    }
    if (auto it = req.query.find("source"); it != req.query.end()) so.source_name = it->second;
    split_result issue;
    try {
      issue = split_issue(req.body, so);
      issue.manifest.set_source(req.body);  // archived by hash for re-splitting
    } catch (const split_error& e) {
      count_issue("http", "rejected");
      http::response r;
      r.status = 400;
      r.body = json{{"error", e.message()}, {"line", e.line()}, {"source", e.source()}}.dump() + "\n";
      return r;
    }
    const std::string id = issue.manifest.issue_id();
    json body = {{"issueId", id}, {"articleIds", issue.manifest.article_ids()}, {"status", "queued"}};
    (void)enqueue(std::move(issue), "http", req.remote);
    http::response r;
    r.status = 202;
    r.body = body.dump() + "\n";
    r.headers.emplace_back("Location", "/v1/issues/" + id);
    return r;
  }

  http::response get_issue(const std::string& id) {
    {
      std::lock_guard lock(mu);
      if (auto it = status.find(id); it != status.end()) {
        return {200, "application/json", it->second.dump() + "\n", {}};
      }
    }
    if (lookup) {
      std::optional<syndication::v1::IssueManifest> m;
      {
        std::lock_guard plock(publisher_mu);
        m = lookup(id);
      }
      if (m) {
        json body = {{"issueId", id}, {"status", "published"}, {"articleIds", m->article_ids()},
                     {"source", m->source_name()}};
        return {200, "application/json", body.dump() + "\n", {}};
      }
    }
    return http::response::json_error(404, "no issue " + json(id).dump() + " known");
  }

  /// A stable file of incoming/, read and split: queued for publication, or rejected.
  struct taken_file {
    fs::path file;
    std::string error;                           // did not split
    std::future<publish_outcome> publication;    // valid if queued
  };

  /// Reads and splits one stable file; queues it unless it does not split. Nullopt if it cannot
  /// be read now (vanished or unreadable: tried again next scan).
  std::optional<taken_file> take_file(const fs::path& file) {
    const std::string name = file.filename().string();
    std::string raw;
    try {
      raw = read_file(file);
    } catch (const std::exception& e) {
      spdlog::warn("hot folder: {}", e.what());
      return std::nullopt;
    }
    split_options so;
    so.source_name = name;
    so.papers = options.papers;
    taken_file t{file, {}, {}};
    try {
      split_result issue = split_issue(raw, so);
      issue.manifest.set_source(raw);
      t.publication = enqueue(std::move(issue), "hotfolder", name);
    } catch (const split_error& e) {
      t.error = e.what();
      count_issue("hotfolder", "rejected");
    }
    return t;
  }

  /// Waits for a taken file's publication and moves it to done/ or failed/; true if moved.
  bool finish_file(taken_file& t) {
    const std::string name = t.file.filename().string();
    if (t.publication.valid()) {
      const publish_outcome o = t.publication.get();
      if (o.state == publish_outcome::status::failed) {
        // Kafka trouble is not the file's fault: keep it in incoming/ and try again.
        spdlog::warn("hot folder: {} not published ({}); will retry", name, o.error);
        return false;
      }
    }
    std::error_code ec;
    if (t.error.empty()) {
      fs::rename(t.file, free_name(options.hot_folder.done, name), ec);
    } else {
      const fs::path target = free_name(options.hot_folder.failed, name);
      fs::rename(t.file, target, ec);
      std::ofstream(target.string() + ".error") << t.error << '\n';
      spdlog::info("publication via=hotfolder who={} source={} result=rejected error={}", name, json(name).dump(),
                   json(t.error).dump());
    }
    if (ec) {
      errors.inc({{"kind", "hot_folder"}});
      spdlog::error("hot folder: cannot move {}: {}", t.file.string(), ec.message());
    }
    return !ec;
  }

  void run_scanner() {
    std::unique_lock lock(mu);
    while (!stopping) {
      lock.unlock();
      try {
        scan();
      } catch (const std::exception& e) {
        errors.inc({{"kind", "hot_folder"}});
        spdlog::error("hot folder: scan failed: {}", e.what());
      }
      lock.lock();
      cv.wait_for(lock, options.hot_folder.poll_interval, [&] { return stopping; });
    }
  }

  std::size_t scan() {
    std::lock_guard lock(scan_mu);
    const fs::path& incoming = options.hot_folder.incoming;
    const auto now = std::chrono::steady_clock::now();
    std::map<fs::path, seen> next;
    std::vector<fs::path> ready;
    for (const auto& entry : fs::directory_iterator(incoming)) {
      const std::string name = entry.path().filename().string();
      if (!entry.is_regular_file() || name.starts_with('.') || name.ends_with(".error")) continue;
      if (std::any_of(options.hot_folder.ignore_suffixes.begin(), options.hot_folder.ignore_suffixes.end(),
                      [&](const std::string& suffix) { return name.ends_with(suffix); })) {
        continue;
      }
      std::error_code ec;
      const auto size = entry.file_size(ec);
      const auto mtime = entry.last_write_time(ec);
      if (ec) continue;
      auto it = candidates.find(entry.path());
      seen s{size, mtime, now};
      if (it != candidates.end() && it->second.size == size && it->second.mtime == mtime) {
        s.since = it->second.since;
        if (now - s.since >= options.hot_folder.stable_for) ready.push_back(entry.path());
      }
      next[entry.path()] = s;
    }
    candidates = std::move(next);
    // Queue every ready file before waiting for any: they are published together (group commit).
    std::vector<taken_file> taken;
    for (const auto& f : ready) {
      if (auto t = take_file(f)) taken.push_back(std::move(*t));
    }
    std::size_t moved = 0;
    for (auto& t : taken) {
      if (finish_file(t)) {
        ++moved;
        candidates.erase(t.file);
      }
    }
    return moved;
  }
};

trigger::trigger(trigger_options options, publish_fn publish, lookup_fn lookup)
    : trigger(
          std::move(options),
          [publish = std::move(publish)](std::span<const split_result* const> ready) {
            std::vector<publish_outcome> out;
            for (const auto* issue : ready) out.push_back(publish(*issue));
            return out;
          },
          std::move(lookup)) {}

trigger::trigger(trigger_options options, publish_group_fn publish, lookup_fn lookup)
    : impl_(std::make_unique<impl>()) {
  impl_->options = std::move(options);
  impl_->publish = std::move(publish);
  impl_->lookup = std::move(lookup);
  if (impl_->options.hot_folder.enabled) {
    const auto& hf = impl_->options.hot_folder;
    for (const auto* dir : {&hf.incoming, &hf.done, &hf.failed}) {
      std::error_code ec;
      fs::create_directories(*dir, ec);
      if (ec) throw std::invalid_argument("hot folder: cannot create " + dir->string() + ": " + ec.message());
    }
  }
  impl_->worker = std::thread([this] { impl_->run_worker(); });
  if (impl_->options.hot_folder.enabled && impl_->options.hot_folder.poll_interval.count() > 0) {
    impl_->scanner = std::thread([this] { impl_->run_scanner(); });
  }
}

trigger::~trigger() {
  {
    std::lock_guard lock(impl_->mu);
    impl_->stopping = true;
  }
  impl_->cv.notify_all();
  if (impl_->scanner.joinable()) impl_->scanner.join();
  if (impl_->worker.joinable()) impl_->worker.join();
}

http::response trigger::handle(const http::request& req) {
  // Bounded label values: the route pattern, never the raw path.
  std::string route = "other";
  if (req.path == "/v1/issues") {
    route = "/v1/issues";
  } else if (req.path.starts_with("/v1/issues/")) {
    route = "/v1/issues/{id}";
  } else if (req.path == "/healthz") {
    route = "/healthz";
  }
  static const std::set<std::string, std::less<>> methods{"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"};
  const std::string method = methods.contains(req.method) ? req.method : "other";
  unsigned status = 500;
  try {
    http::response r = route_request(req);
    status = r.status;
    impl_->requests.inc({{"route", route}, {"method", method}, {"code", std::to_string(status)}});
    return r;
  } catch (...) {
    impl_->requests.inc({{"route", route}, {"method", method}, {"code", "500"}});
    impl_->errors.inc({{"kind", "handler"}});
    throw;  // the server answers 500 with the message
  }
}

http::response trigger::route_request(const http::request& req) {
  if (req.path == "/healthz") return {200, "text/plain", "ok\n", {}};
  const bool issues = req.path == "/v1/issues";
  const bool one_issue = req.path.starts_with("/v1/issues/") && req.path.size() > std::string_view("/v1/issues/").size();
  if (!issues && !one_issue) return http::response::json_error(404, "no such resource: " + req.path);

  const std::string auth = req.header("authorization");
  const bool authorised =
      impl_->options.token.empty() || (auth.starts_with("Bearer ") && same_secret(auth.substr(7), impl_->options.token));
  if (!authorised) {
    auto r = http::response::json_error(401, "missing or wrong bearer token");
    r.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"syndicate\"");
    return r;
  }
  if (issues) {
    if (req.method != "POST") {
      auto r = http::response::json_error(405, "use POST on /v1/issues");
      r.headers.emplace_back("Allow", "POST");
      return r;
    }
    return impl_->post_issue(req);
  }
  if (req.method != "GET") {
    auto r = http::response::json_error(405, "use GET on /v1/issues/{id}");
    r.headers.emplace_back("Allow", "GET");
    return r;
  }
  return impl_->get_issue(http::url_decode(req.path.substr(std::string_view("/v1/issues/").size())));
}

std::string trigger::metrics_text() const {
  metrics::writer w;
  w.family("syndicate_trigger_requests_total", "counter", "HTTP requests to the trigger API by route, method and status.");
  for (const auto& [l, v] : impl_->requests.snapshot()) w.sample(l, v);
  w.family("syndicate_trigger_issues_total", "counter",
           "Issues by way in (http, hotfolder) and result: published (committed), unchanged (nothing to send), "
           "failed (not committed), rejected (did not split).");
  auto issues = impl_->issues.snapshot();
  for (const char* via : {"http", "hotfolder"}) {
    for (const char* result : {"published", "unchanged", "failed", "rejected"}) {
      const metrics::labels l{{"via", via}, {"result", result}};
      const auto it = std::find_if(issues.begin(), issues.end(), [&](const auto& e) { return e.first == l; });
      w.sample(l, it == issues.end() ? std::uint64_t{0} : it->second);
    }
  }
  w.counter("syndicate_articles_produced_total", "Articles sent in committed publish transactions.", {},
            impl_->articles_produced.load());
  w.family("syndicate_publish_seconds", "histogram",
           "Time to publish the issues queued together (one Kafka transaction, up to max_issues_per_transaction).")
      .observations({}, impl_->publish_latency);
  w.family("syndicate_trigger_errors_total", "counter",
           "Errors: publish_failed (transaction not committed), hot_folder (scan or move), handler (HTTP 500).");
  auto errs = impl_->errors.snapshot();
  for (const char* kind : {"publish_failed", "hot_folder", "handler"}) {
    const metrics::labels l{{"kind", kind}};
    const auto it = std::find_if(errs.begin(), errs.end(), [&](const auto& e) { return e.first == l; });
    w.sample(l, it == errs.end() ? std::uint64_t{0} : it->second);
  }
  std::size_t queued = 0;
  {
    std::lock_guard lock(impl_->mu);
    queued = impl_->queue.size() + (impl_->busy ? 1 : 0);
  }
  w.gauge("syndicate_trigger_queue_length", "Issues split and waiting to be published (or publishing).", {},
          static_cast<double>(queued));
  return w.text();
}

bool trigger::ready() const {
  std::lock_guard lock(impl_->mu);
  return !impl_->stopping;
}

std::size_t trigger::scan_hot_folder() { return impl_->scan(); }

bool trigger::drain(std::chrono::milliseconds timeout) {
  std::unique_lock lock(impl_->mu);
  return impl_->idle_cv.wait_for(lock, timeout, [&] { return impl_->queue.empty() && !impl_->busy; });
}

}  // namespace syn::producer
