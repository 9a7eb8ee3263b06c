#include "syn/producer/trigger.hpp"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <fstream>
#include <future>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "syn/core/log.hpp"
#include "syn/core/metrics.hpp"
#include "syn/core/sha256.hpp"
#include "syn/producer/photos.hpp"
#include "syn/producer/review_api.hpp"

namespace syn::producer {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

json ranges_json(const std::vector<offset_range>& ranges) {
  json out = json::array();
  for (const auto& r : ranges) {
    out.push_back(
        {{"topic", r.topic}, {"partition", r.partition}, {"firstOffset", r.first}, {"lastOffset", r.last}});
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

/// `s` as is if it is plain (no space, quote, backslash or control character), else JSON-quoted:
/// a file name with a newline must not split a log line, nor forge one.
std::string log_safe(std::string_view s) {
  const bool plain = !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u > 0x20 && u != 0x7f && c != '"' && c != '\\';
  });
  return plain ? std::string(s) : json(std::string(s)).dump();
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
    ranges += r.topic + "[" + std::to_string(r.partition) + "]@" + std::to_string(r.first) + ".." +
              std::to_string(r.last);
  }
  log::get("trigger").info(
      "publication via={} who={} source={} issue={} result={} articles={} sent={} revisions={} ranges={} "
      "error={}",
      via, log_safe(who), json(o.source_name).dump(), o.issue_id, to_string(o.state), o.article_ids.size(),
      o.articles_sent, o.revisions, ranges.empty() ? "-" : ranges, json(o.error).dump());
}

struct trigger::impl {
  trigger_options options;
  publish_group_fn publish;
  lookup_fn lookup;
  std::unique_ptr<spool> durable;      // null without options.spool_dir
  std::unique_ptr<review_api> review;  // null without options.review_dir

  // Metrics, updated where the event happens; rendered by metrics_text().
  metrics::counter_family requests;  // route, method, code
  metrics::counter_family issues;    // via, result (published, unchanged, failed, rejected)
  metrics::counter_family errors;    // kind
  std::atomic<std::uint64_t> articles_produced{0};
  metrics::histogram publish_latency;

  void count_issue(std::string_view via, std::string_view result) {
    issues.inc({{"via", std::string(via)}, {"result", std::string(result)}});
  }

  struct job {
    split_result issue;
    std::string via;
    std::string who;
    fs::path spool_file;                         // set: retried until published or permanently failed
    std::shared_ptr<review_store::claim> claim;  // a release: retried, then recorded by `review`
    held_issue held;
    std::promise<publish_outcome> done;
  };
  mutable std::mutex mu;
  std::condition_variable cv;
  std::condition_variable idle_cv;
  std::deque<std::shared_ptr<job>> queue;
  bool busy = false;
  std::chrono::steady_clock::time_point busy_since;  // when the publication in flight began
  /// The last publication failed without a success since (Kafka unreachable, no quorum): not
  /// ready until one succeeds (the spooled issues are retried with backoff).
  bool failing = false;
  bool stopping = false;
  std::optional<std::string> fatal;    // the publisher is unusable: publish nothing more
  std::map<std::string, json> status;  // issue id -> last known status
  std::mutex key_mu;                   // one Idempotency-Key request at a time

  std::mutex publisher_mu;  // publish and lookup share the publisher
  std::thread worker;
  std::thread scanner;

  // Hot folder: what each candidate file looked like at the last scan.
  struct seen {
    std::uintmax_t size;
    struct timespec mtime;
    ino_t inode;
    std::chrono::steady_clock::time_point since;
    int attempts = 0;                                  // transient failures so far
    std::chrono::steady_clock::time_point not_before;  // backoff
  };
  std::mutex scan_mu;
  std::map<std::string, seen> candidates;  // by name in incoming/

  /// Answers each job of a finished group: a released review is recorded, a published or
  /// permanently failed spooled issue leaves the spool (to `failed/` with its error), and every
  /// waiter gets its outcome. A spooled issue that failed transiently stays (it is retried).
  void settle(std::vector<std::shared_ptr<job>>& jobs, const std::vector<publish_outcome>& outcomes) {
    for (std::size_t i = 0; i < jobs.size(); ++i) {
      auto& j = jobs[i];
      const auto& o = outcomes[i];
      if (j->claim) {
        if (o.state != publish_outcome::status::failed || o.permanent)
          review->finished(*j->claim, j->held, o);
        j->done.set_value(o);
      } else if (j->spool_file.empty()) {
        j->done.set_value(o);
      } else if (o.state != publish_outcome::status::failed) {
        durable->done(j->spool_file);
        j->done.set_value(o);
      } else if (o.permanent) {
        log::get("trigger").error("issue {} can never be published ({}); spooled request moved to {}",
                                  o.issue_id, o.error, (durable->dir() / "failed").string());
        durable->reject(j->spool_file, o.error);
        j->done.set_value(o);
      }
    }
  }

  /// Publishes what is queued, a group at a time. Spooled (HTTP) issues that fail transiently go
  /// back to the front of the queue and are tried again after a capped, doubling pause.
  void run_worker() {
    std::chrono::milliseconds backoff{0};
    while (true) {
      // Every issue queued by now (up to the bound) goes out in one transaction: at 100 issues/s
      // one transaction per issue could not keep up, and the queue grew (BENCHMARKS.md).
      std::vector<std::shared_ptr<job>> jobs;
      bool unusable = false;
      {
        std::unique_lock lock(mu);
        if (backoff.count() > 0) cv.wait_for(lock, backoff, [&] { return stopping; });
        cv.wait(lock, [&] { return stopping || !queue.empty(); });
        if (queue.empty()) return;
        const std::size_t n =
            std::min(queue.size(), std::max<std::size_t>(1, options.max_issues_per_transaction));
        jobs.assign(queue.begin(), queue.begin() + static_cast<std::ptrdiff_t>(n));
        queue.erase(queue.begin(), queue.begin() + static_cast<std::ptrdiff_t>(n));
        busy = true;
        busy_since = std::chrono::steady_clock::now();
        unusable = fatal.has_value();
      }
      std::vector<const split_result*> ready;
      ready.reserve(jobs.size());
      for (const auto& j : jobs) ready.push_back(&j->issue);
      std::vector<publish_outcome> outcomes;
      const auto t0 = std::chrono::steady_clock::now();
      const auto fail_all = [&](const std::string& why, bool is_fatal) {
        outcomes.assign(jobs.size(), publish_outcome{});
        for (std::size_t i = 0; i < jobs.size(); ++i) {
          auto& o = outcomes[i];
          o.issue_id = jobs[i]->issue.manifest.issue_id();
          o.source_name = jobs[i]->issue.manifest.source_name();
          o.state = publish_outcome::status::failed;
          o.error = why;
          o.fatal = is_fatal;
        }
      };
      if (unusable) {
        fail_all("the publisher failed fatally; not publishing (restart the trigger)", true);
      } else {
        try {
          std::lock_guard plock(publisher_mu);
          outcomes = publish(ready);
          if (outcomes.size() != jobs.size())
            throw std::logic_error("publisher returned the wrong number of outcomes");
        } catch (const std::exception& e) {
          fail_all(e.what(), false);
        }
        publish_latency.observe(
            std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0));
      }
      std::optional<std::string> newly_fatal;
      bool retry = false;
      bool succeeded = false;
      std::vector<std::shared_ptr<job>> again;
      for (std::size_t i = 0; i < jobs.size(); ++i) {
        const auto& o = outcomes[i];
        count_issue(jobs[i]->via, to_string(o.state));
        if (o.state == publish_outcome::status::failed) {
          errors.inc({{"kind", "publish_failed"}});
          if (o.fatal && !unusable && !newly_fatal) newly_fatal = o.error;
        } else {
          articles_produced += o.articles_sent;
          succeeded = true;
        }
        if (!unusable) log_publication(jobs[i]->via, jobs[i]->who, o);
      }
      {
        std::lock_guard lock(mu);
        if (newly_fatal && !fatal) fatal = newly_fatal;
        for (std::size_t i = 0; i < jobs.size(); ++i) {
          const auto& o = outcomes[i];
          auto& j = jobs[i];
          if ((j->spool_file.empty() && !j->claim) || o.state != publish_outcome::status::failed ||
              o.permanent) {
            status[o.issue_id] = outcome_json(o);
            continue;
          }
          // Accepted with a 202: stays in the spool (replayed at start-up) and, unless the
          // publisher is gone or we are stopping, is tried again here.
          json& s = status[o.issue_id];
          s["status"] = "queued";
          s["lastError"] = o.error;
          s["updatedAt"] = now_iso8601();
          if (!fatal && !stopping) again.push_back(j);
        }
        queue.insert(queue.begin(), again.begin(), again.end());
        retry = !again.empty();
        // Only what is retried here keeps it not ready: a load balancer sends no new request to a
        // trigger that is not ready, so readiness must come back without one.
        failing = retry && !succeeded;
        busy = false;
      }
      settle(jobs, outcomes);
      idle_cv.notify_all();
      if (newly_fatal) {
        log::get("trigger").critical(
            "the publisher failed fatally: {}; no longer accepting issues (POST answers 503, "
            "/readyz not ready); accepted issues stay in the spool for the next start",
            *newly_fatal);
        if (options.on_fatal) options.on_fatal(*newly_fatal);
      }
      if (retry) {
        backoff = std::min(options.retry_max,
                           succeeded ? options.retry_min : std::max(options.retry_min, backoff * 2));
      } else {
        backoff = std::chrono::milliseconds{0};
      }
    }
  }

  static json outcome_json(const publish_outcome& o) {
    return {{"issueId", o.issue_id},       {"status", to_string(o.state)},
            {"articleIds", o.article_ids}, {"articlesSent", o.articles_sent},
            {"revisions", o.revisions},    {"ranges", ranges_json(o.ranges)},
            {"source", o.source_name},     {"error", o.error},
            {"updatedAt", now_iso8601()}};
  }

  std::future<publish_outcome> enqueue(split_result issue, std::string via, std::string who,
                                       fs::path spool_file = {},
                                       std::shared_ptr<review_store::claim> claim = nullptr,
                                       held_issue held = {}) {
    auto j = std::make_shared<job>();
    j->issue = std::move(issue);
    j->via = std::move(via);
    j->who = std::move(who);
    j->spool_file = std::move(spool_file);
    j->claim = std::move(claim);
    j->held = std::move(held);
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
    cv.notify_all();  // the scanner waits on the same condition variable: notify_one could wake only it
    return f;
  }

  split_options options_for(const std::string& paper, const std::string& date,
                            const std::string& source) const {
    split_options so;
    so.source_name = source;
    so.papers = options.papers;
    so.paper_code = paper;
    so.issue_date = date;
    return so;
  }

  /// Re-queues what the spool holds (issues accepted before a restart), oldest first.
  void replay_spool() {
    std::size_t n = 0;
    for (auto& s : durable->pending()) {
      try {
        split_result issue =
            split_issue(s.body, options_for(s.request.paper, s.request.date, s.request.source));
        issue.manifest.set_source(s.body);
        if (review && below_confidence(issue, options.min_confidence)) {
          const auto so = options_for(s.request.paper, s.request.date, s.request.source);
          if (hold(issue, s.body, "http", s.request.who, so).status < 300) durable->done(s.file);
          continue;
        }
        (void)enqueue(std::move(issue), "http", s.request.who, s.file);
        ++n;
      } catch (const split_error& e) {
        // It split when accepted: only a changed splitter can get here. Keep it for a look.
        log::get("trigger").error("spooled issue {} no longer splits: {}", s.file.filename().string(),
                                  e.what());
        durable->reject(s.file, e.what());
      }
    }
    if (n > 0)
      log::get("trigger").info("replaying {} issue(s) accepted before the restart, from {}", n,
                               durable->dir().string());
  }

  /// Holds `issue` for review, durably; 202 `{"status": "held"}` (503 if it cannot be kept).
  http::response hold(const split_result& issue, std::string_view raw, const std::string& via,
                      const std::string& who, const split_options& so) {
    const std::string& id = issue.manifest.issue_id();
    try {
      review->hold(make_held(issue, raw, via, who, so));
    } catch (const std::exception& e) {
      errors.inc({{"kind", "spool"}});
      log::get("trigger").error("cannot hold issue {}: {}", id, e.what());
      return unavailable(std::string("cannot keep the issue for review: ") + e.what());
    }
    count_issue(via, "held");
    log::get("trigger").info(
        "publication via={} who={} source={} issue={} result=held confidence={:.2f} warnings={}", via,
        log_safe(who), json(so.source_name).dump(), id, issue.manifest.confidence(),
        issue.manifest.warnings_size());
    json body = {{"issueId", id},
                 {"status", "held"},
                 {"confidence", issue.manifest.confidence()},
                 {"articleIds", issue.manifest.article_ids()},
                 {"review", "/v1/review/" + id}};
    {
      std::lock_guard lock(mu);
      status.erase(id);  // GET /v1/issues/{id} asks the review folder (the CLI may release it)
    }
    http::response r;
    r.status = 202;
    r.body = body.dump() + "\n";
    r.headers.emplace_back("Location", "/v1/review/" + id);
    return r;
  }

  static http::response accepted(const std::string& id, const std::vector<std::string>& article_ids) {
    json body = {{"issueId", id}, {"articleIds", article_ids}, {"status", "queued"}};
    http::response r;
    r.status = 202;
    r.body = body.dump() + "\n";
    r.headers.emplace_back("Location", "/v1/issues/" + id);
    return r;
  }

  static http::response unavailable(const std::string& why) {
    auto r = http::response::json_error(503, why);
    r.headers.emplace_back("Retry-After", "30");
    return r;
  }

  http::response post_issue(const http::request& req) {
    {
      std::lock_guard lock(mu);
      if (fatal)
        return unavailable("the trigger's publisher failed fatally (" + *fatal + "); it is restarting");
      if (stopping) return unavailable("the trigger is shutting down");
    }
    if (req.header("content-type").starts_with("multipart/")) {
      // Issue 18: a bundle with its images over HTTP is not taken yet; said plainly rather than
      // split as text.
      count_issue("http", "rejected");
      return http::response::json_error(415,
                                        "multipart bundles are not taken over HTTP yet: post the issue text "
                                        "alone, or bring its images through the hot folder or `syndicate "
                                        "publish DIR`");
    }
    std::string paper;
    std::string date;
    if (auto it = req.query.find("paper"); it != req.query.end()) {
      static const std::regex code_re("[a-z0-9][a-z0-9_-]{0,31}");
      if (!std::regex_match(it->second, code_re)) {
        return http::response::json_error(
            400, "query parameter paper: expected a paper code like 'cjrb', got " + json(it->second).dump());
      }
      paper = it->second;
    }
    if (auto it = req.query.find("date"); it != req.query.end()) {
      static const std::regex date_re("[0-9]{4}-[0-9]{2}-[0-9]{2}");
      if (!std::regex_match(it->second, date_re)) {
        return http::response::json_error(
            400, "query parameter date: expected YYYY-MM-DD, got " + json(it->second).dump());
      }
      date = it->second;
    }
    // draft-ietf-httpapi-idempotency-key-header: a string the client picks per request.
    const std::string key = req.header("idempotency-key");
    if (!key.empty() && (key.size() > 255 || std::any_of(key.begin(), key.end(), [](char c) {
                           return static_cast<unsigned char>(c) < 0x20 ||
                                  static_cast<unsigned char>(c) > 0x7e;
                         }))) {
      return http::response::json_error(
          400, "header Idempotency-Key: expected 1 to 255 printable ASCII characters");
    }
    std::string source = "http:" + req.remote;
    if (auto it = req.query.find("source"); it != req.query.end()) source = it->second;
    split_result issue;
    try {
      issue = split_issue(req.body, options_for(paper, date, source));
      issue.manifest.set_source(req.body);  // archived by hash for re-splitting
    } catch (const split_error& e) {
      count_issue("http", "rejected");
      http::response r;
      r.status = 400;
      r.body = json{{"error", e.message()}, {"line", e.line()}, {"source", e.source()}}.dump() + "\n";
      return r;
    }
    const std::string id = issue.manifest.issue_id();
    const std::vector<std::string> article_ids(issue.manifest.article_ids().begin(),
                                               issue.manifest.article_ids().end());
    if (review && below_confidence(issue, options.min_confidence)) {
      return hold(issue, req.body, "http", req.remote, options_for(paper, date, source));
    }
    if (!durable) {
      (void)enqueue(std::move(issue), "http", req.remote);
      return accepted(id, article_ids);
    }
    // One keyed request at a time, so two concurrent retries cannot both be spooled.
    std::unique_lock klock(key_mu, std::defer_lock);
    const std::string request_sha = sha256_hex(req.target + "\n" + req.body);
    if (!key.empty()) {
      klock.lock();
      if (auto a = durable->answered(key)) {
        if (a->request_sha256 != request_sha) {
          return http::response::json_error(422, "Idempotency-Key " + json(key).dump() +
                                                     " was used for another request (issue " + a->issue_id +
                                                     ")");
        }
        auto r = accepted(a->issue_id, a->article_ids);
        r.headers.emplace_back("Idempotent-Replayed", "true");
        return r;
      }
    }
    fs::path file;
    try {
      file = durable->put({paper, date, source, req.remote, id, key}, req.body);
    } catch (const std::exception& e) {
      errors.inc({{"kind", "spool"}});
      log::get("trigger").error("cannot accept issue {}: {}", id, e.what());
      return unavailable(std::string("cannot make the issue durable: ") + e.what());
    }
    (void)enqueue(std::move(issue), "http", req.remote, file);
    if (!key.empty()) {
      try {
        durable->remember(key, {request_sha, id, article_ids});
      } catch (const std::exception& e) {
        // The issue is durable; only a retry's dedup is lost, and that retry would be `unchanged`.
        errors.inc({{"kind", "spool"}});
        log::get("trigger").error("Idempotency-Key of issue {} not recorded: {}", id, e.what());
      }
    }
    return accepted(id, article_ids);
  }

  /// 401 unless the request carries the bearer token (or none is configured).
  std::optional<http::response> check_token(const http::request& req) const {
    const std::string auth = req.header("authorization");
    if (options.token.empty() ||
        (auth.starts_with("Bearer ") && same_secret(auth.substr(7), options.token))) {
      return std::nullopt;
    }
    auto r = http::response::json_error(401, "missing or wrong bearer token");
    r.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"syndicate\"");
    return r;
  }

  http::response get_issue(const std::string& id) {
    if (review) {
      if (auto h = review->held(id)) {
        json body = {{"issueId", id},
                     {"status", h->state == "releasing" ? "releasing" : "held"},
                     {"confidence", h->confidence},
                     {"source", h->source},
                     {"review", "/v1/review/" + id}};
        return {200, "application/json", body.dump() + "\n", {}};
      }
    }
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
        json body = {{"issueId", id},
                     {"status", "published"},
                     {"articleIds", m->article_ids()},
                     {"source", m->source_name()}};
        return {200, "application/json", body.dump() + "\n", {}};
      }
    }
    return http::response::json_error(404, "no issue " + json(id).dump() + " known");
  }

  // ---- hot folder ----

  /// A file of incoming/ after one attempt: queued for publication, rejected, or to be retried.
  struct taken_file {
    std::string name;
    std::string error;                         // rejected (permanently) with this reason
    std::future<publish_outcome> publication;  // valid if queued
  };

  /// incoming/, opened once per scan: names are opened relative to it and never followed.
  struct dir_handle {
    int fd = -1;
    explicit dir_handle(const fs::path& p) : fd(::open(p.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) {}
    ~dir_handle() {
      if (fd >= 0) ::close(fd);
    }
    dir_handle(const dir_handle&) = delete;
    dir_handle& operator=(const dir_handle&) = delete;
  };

  /// Opens `name` in incoming/ without following a symbolic link, checks what it is and its size
  /// on the open descriptor, reads at most max_file_bytes, splits and queues it. A file that is
  /// not ours to read or cannot ever be published is rejected with the reason; nullopt if it
  /// changed under us or vanished (looked at again next scan).
  std::optional<taken_file> take_file(int dirfd, const std::string& name) {
    struct stat lst {};
    if (::fstatat(dirfd, name.c_str(), &lst, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(lst.st_mode)) {
      return take_bundle(dirfd, name);
    }
    taken_file t{name, {}, {}};
    const auto reject = [&](std::string why) {
      t.error = std::move(why);
      count_issue("hotfolder", "rejected");
      return std::optional<taken_file>(std::move(t));
    };
    const int fd = ::openat(dirfd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) {
      const int err = errno;
      if (err == ENOENT) return std::nullopt;
      if (err == ELOOP)
        return reject(name + ": a symbolic link; the hot folder never follows links (copy the file in)");
      return reject(name + ": cannot open: " + std::strerror(err));
    }
    struct closer {
      int fd;
      ~closer() { ::close(fd); }
    } close_fd{fd};
    struct stat st {};
    if (::fstat(fd, &st) != 0) return reject(name + ": cannot stat: " + std::strerror(errno));
    if (!S_ISREG(st.st_mode)) return reject(name + ": not a regular file");
    if (st.st_nlink != 1) {
      return reject(name + ": has " + std::to_string(st.st_nlink) +
                    " hard links; a hot-folder file must have no other name (copy it in)");
    }
    const auto size = static_cast<std::uintmax_t>(st.st_size);
    if (size > options.hot_folder.max_file_bytes) {
      return reject(name + ": " + std::to_string(size) + " bytes, over the limit of " +
                    std::to_string(options.hot_folder.max_file_bytes) +
                    " (producer.hot_folder.max_file_bytes)");
    }
    // Read what fstat promised plus one byte: more means a writer is still at it.
    std::string raw(static_cast<std::size_t>(size) + 1, '\0');
    std::size_t got = 0;
    while (got < raw.size()) {
      const ssize_t n = ::read(fd, raw.data() + got, raw.size() - got);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return reject(name + ": cannot read: " + std::strerror(errno));
      if (n == 0) break;
      got += static_cast<std::size_t>(n);
    }
    if (got != size) {
      log::get("hot-folder")
          .info("{} changed while read ({} bytes, {} expected); waiting for it to settle", json(name).dump(),
                got, size);
      candidates.erase(name);
      return std::nullopt;
    }
    raw.resize(got);
    split_options so;
    so.source_name = name;
    so.papers = options.papers;
    try {
      split_result issue = split_issue(raw, so);
      issue.manifest.set_source(raw);
      if (review && below_confidence(issue, options.min_confidence)) {
        // Durable in the review folder before the file leaves incoming/ (for done/).
        if (hold(issue, raw, "hotfolder", name, so).status >= 300) return std::nullopt;  // retried next scan
        return t;
      }
      t.publication = enqueue(std::move(issue), "hotfolder", name);
    } catch (const split_error& e) {
      return reject(e.what());
    }
    return t;
  }

  /// A bundle folder (issue 18): its text read and split, its images checked, matched and stored
  /// in the blob store (before the issue is queued: a record never names a missing blob), then
  /// queued like a file. Nothing of it is queued if one image is bad (rejected with the reason);
  /// a blob store that is down leaves the folder in incoming/ for the next scan. The review hold
  /// keeps the text only: a held bundle is published without its photos when released.
  std::optional<taken_file> take_bundle(int dirfd, const std::string& name) {
    taken_file t{name, {}, {}};
    const auto reject = [&](std::string why) {
      t.error = std::move(why);
      count_issue("hotfolder", "rejected");
      return std::optional<taken_file>(std::move(t));
    };
    auto folder =
        photos::take_folder(dirfd, name, options.hot_folder.incoming, options.hot_folder.max_file_bytes);
    if (!folder) return reject(folder.error().message());
    if (!options.blobs)
      return reject(name + ": a bundle folder, but photos cannot be stored: " + options.blobs_error);
    split_options so;
    so.source_name = name + "/" + folder.value().text_name;
    so.papers = options.papers;
    try {
      split_result issue = split_issue(folder.value().text, so);
      auto stored = photos::attach(issue, folder.value().photos, *options.blobs, options.blob_limits);
      if (!stored && stored.error().retriable()) {
        log::get("hot-folder")
            .warn("{}: photos not stored now ({}); next scan", json(name).dump(), stored.error().message());
        return std::nullopt;
      }
      if (!stored) return reject(stored.error().message());
      issue.manifest.set_source(folder.value().text);
      if (review && below_confidence(issue, options.min_confidence)) {
        if (hold(issue, folder.value().text, "hotfolder", name, so).status >= 300) return std::nullopt;
        return t;
      }
      t.publication = enqueue(std::move(issue), "hotfolder", name);
    } catch (const split_error& e) {
      return reject(e.what());
    }
    return t;
  }

  /// Moves `name` out of incoming/ (and its `.ready` marker away); true if moved.
  bool move_out(const std::string& name, const fs::path& to_dir, const std::string& note) {
    const fs::path target = free_name(to_dir, name);
    std::error_code ec;
    fs::rename(options.hot_folder.incoming / name, target, ec);
    if (ec) {
      errors.inc({{"kind", "hot_folder"}});
      log::get("hot-folder")
          .error("cannot move {} to {}: {}", json(name).dump(), to_dir.string(), ec.message());
      return false;
    }
    if (!note.empty()) {
      try {
        write_durably(to_dir, target.filename().string() + ".error", note + "\n");
      } catch (const std::exception& e) {
        log::get("hot-folder").error("{}", e.what());
      }
    }
    std::error_code ignored;
    fs::remove(options.hot_folder.incoming / (name + ".ready"), ignored);
    return true;
  }

  /// Waits for a taken file's publication and moves it to done/ or failed/; true if moved.
  bool finish_file(taken_file& t) {
    const std::string& name = t.name;
    if (t.publication.valid()) {
      const publish_outcome o = t.publication.get();
      if (o.state == publish_outcome::status::failed && !o.permanent) {
        // Kafka trouble is not the file's fault: keep it in incoming/ and try again later.
        if (auto it = candidates.find(name); it != candidates.end() && !o.fatal) {
          auto& s = it->second;
          ++s.attempts;
          const auto base = std::max(options.hot_folder.poll_interval, std::chrono::milliseconds{0});
          const auto pause =
              std::min(options.hot_folder.retry_max,
                       std::chrono::milliseconds(base.count() << std::min(s.attempts - 1, 20)));
          s.not_before = std::chrono::steady_clock::now() + pause;
          log::get("hot-folder")
              .warn("{} not published ({}); retry {} in {} ms", json(name).dump(), o.error, s.attempts,
                    pause.count());
        }
        return false;
      }
      if (o.state == publish_outcome::status::failed) t.error = o.error;  // permanent: too large for Kafka
    }
    if (t.error.empty()) return move_out(name, options.hot_folder.done, {});
    log::get("trigger").info("publication via=hotfolder who={} source={} result=rejected error={}",
                             log_safe(name), json(name).dump(), json(t.error).dump());
    return move_out(name, options.hot_folder.failed, t.error);
  }

  void run_scanner() {
    std::unique_lock lock(mu);
    while (!stopping) {
      lock.unlock();
      try {
        scan();
      } catch (const std::exception& e) {
        errors.inc({{"kind", "hot_folder"}});
        log::get("hot-folder").error("scan failed: {}", e.what());
      }
      lock.lock();
      cv.wait_for(lock, options.hot_folder.poll_interval, [&] { return stopping; });
    }
  }

  bool ignored(const std::string& name) const {
    return name.starts_with('.') ||
           std::any_of(options.hot_folder.ignore_suffixes.begin(), options.hot_folder.ignore_suffixes.end(),
                       [&](const std::string& suffix) { return name.ends_with(suffix); });
  }

  std::size_t scan() {
    std::lock_guard lock(scan_mu);
    const dir_handle dir(options.hot_folder.incoming);
    if (dir.fd < 0) {
      throw std::runtime_error("cannot open " + options.hot_folder.incoming.string() + ": " +
                               std::strerror(errno));
    }
    const auto now = std::chrono::steady_clock::now();
    std::map<std::string, seen> next;
    std::set<std::string> markers;  // names with a `.ready` marker
    std::vector<std::string> ready;
    std::vector<taken_file> taken;
    std::vector<std::pair<std::string, struct stat>> entries;
    for (const auto& entry : fs::directory_iterator(options.hot_folder.incoming)) {
      const std::string name = entry.path().filename().string();
      if (ignored(name)) continue;
      if (name.ends_with(".ready") && name.size() > 6) {
        markers.insert(name.substr(0, name.size() - 6));
        continue;
      }
      struct stat st {};
      if (::fstatat(dir.fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) continue;  // vanished
      entries.emplace_back(name, st);
    }
    for (auto& [name, st] : entries) {
      if (S_ISDIR(st.st_mode)) {
        // A bundle: complete when its marker is there or nothing in it has changed for
        // stable_for (its entries, their total size and latest mtime stand in for a file's).
        const auto folder = photos::state_of_folder(dir.fd, name);
        if (!folder) continue;
        st.st_size = static_cast<off_t>(folder->bytes + folder->entries);
        st.st_mtim.tv_sec = static_cast<time_t>(folder->latest_mtime_ns / 1000000000LL);
        st.st_mtim.tv_nsec = static_cast<long>(folder->latest_mtime_ns % 1000000000LL);
      } else if (!S_ISREG(st.st_mode)) {
        // A link, a directory, a FIFO...: never read; rejected at once with the reason.
        taken_file t{name,
                     S_ISLNK(st.st_mode) ? name +
                                               ": a symbolic link; the hot folder never follows links "
                                               "(copy the file in)"
                                         : name + ": not a regular file",
                     {}};
        count_issue("hotfolder", "rejected");
        taken.push_back(std::move(t));
        continue;
      }
      seen s{static_cast<std::uintmax_t>(st.st_size), st.st_mtim, st.st_ino, now, 0, {}};
      auto it = candidates.find(name);
      const bool same = it != candidates.end() && it->second.size == s.size && it->second.inode == s.inode &&
                        it->second.mtime.tv_sec == s.mtime.tv_sec &&
                        it->second.mtime.tv_nsec == s.mtime.tv_nsec;
      if (same) {
        s.since = it->second.since;
        s.attempts = it->second.attempts;
        s.not_before = it->second.not_before;
      }
      const bool complete =
          markers.contains(name) || (same && now - s.since >= options.hot_folder.stable_for);
      if (complete && now >= s.not_before) ready.push_back(name);
      next[name] = s;
    }
    candidates = std::move(next);
    // Queue every ready file before waiting for any: they are published together (group commit).
    for (const auto& name : ready) {
      if (auto t = take_file(dir.fd, name)) taken.push_back(std::move(*t));
    }
    std::size_t moved = 0;
    for (auto& t : taken) {
      if (finish_file(t)) {
        ++moved;
        candidates.erase(t.name);
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
  if (!impl_->options.review_dir.empty()) {
    impl_->review = std::make_unique<review_api>(
        impl_->options.review_dir, impl_->options.papers, impl_->options.min_confidence,
        [this](split_result issue, std::shared_ptr<review_store::claim> claim, held_issue held) {
          std::string who = held.who;
          (void)impl_->enqueue(std::move(issue), "review", std::move(who), {}, std::move(claim),
                               std::move(held));
        });
    impl_->review->resume();
  }
  if (!impl_->options.spool_dir.empty()) {
    impl_->durable = std::make_unique<spool>(impl_->options.spool_dir, impl_->options.idempotency_ttl,
                                             impl_->options.idempotency_max_keys);
    impl_->replay_spool();
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

namespace {

/// Bounded label values: the route pattern, never the raw path.
std::string route_of(const http::request& req) {
  if (req.path == "/v1/issues") return "/v1/issues";
  if (req.path.starts_with("/v1/issues/")) return "/v1/issues/{id}";
  if (req.path == "/v1/review") return "/v1/review";
  if (req.path.starts_with("/v1/review/")) {
    if (req.path.ends_with("/release")) return "/v1/review/{id}/release";
    if (req.path.ends_with("/reject")) return "/v1/review/{id}/reject";
    return "/v1/review/{id}";
  }
  if (req.path == "/healthz") return "/healthz";
  return "other";
}

std::string method_of(const http::request& req) {
  static const std::set<std::string, std::less<>> methods{"GET",    "HEAD",  "POST",   "PUT",
                                                          "DELETE", "PATCH", "OPTIONS"};
  return methods.contains(req.method) ? req.method : "other";
}

}  // namespace

http::response trigger::handle(const http::request& req) {
  const std::string route = route_of(req);
  const std::string method = method_of(req);
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

std::optional<http::response> trigger::authorise(const http::request& head) {
  // Everything route_request() can answer without the body, answered before the body is read.
  std::optional<http::response> r;
  if (head.path == "/healthz") return r;
  if (impl_->review && review_api::owns(head.path)) {
    r = impl_->check_token(head);
    if (!r) r = review_api::check_head(head);
    if (r)
      impl_->requests.inc(
          {{"route", route_of(head)}, {"method", method_of(head)}, {"code", std::to_string(r->status)}});
    return r;
  }
  const bool issues = head.path == "/v1/issues";
  const bool one_issue =
      head.path.starts_with("/v1/issues/") && head.path.size() > std::string_view("/v1/issues/").size();
  if (!issues && !one_issue) {
    r = http::response::json_error(404, "no such resource: " + head.path);
  } else if (auto denied = impl_->check_token(head)) {
    r = std::move(denied);
  } else if (issues && head.method != "POST") {
    r = http::response::json_error(405, "use POST on /v1/issues");
    r->headers.emplace_back("Allow", "POST");
  } else if (issues) {
    std::lock_guard lock(impl_->mu);
    if (impl_->fatal) {
      r = impl::unavailable("the trigger's publisher failed fatally (" + *impl_->fatal +
                            "); it is restarting");
    }
  }
  if (r) {
    impl_->requests.inc(
        {{"route", route_of(head)}, {"method", method_of(head)}, {"code", std::to_string(r->status)}});
  }
  return r;
}

http::response trigger::route_request(const http::request& req) {
  if (req.path == "/healthz") return {200, "text/plain", "ok\n", {}};
  if (impl_->review && review_api::owns(req.path)) {
    if (auto denied = impl_->check_token(req)) return *denied;
    return impl_->review->handle(req);
  }
  const bool issues = req.path == "/v1/issues";
  const bool one_issue =
      req.path.starts_with("/v1/issues/") && req.path.size() > std::string_view("/v1/issues/").size();
  if (!issues && !one_issue) return http::response::json_error(404, "no such resource: " + req.path);
  if (auto denied = impl_->check_token(req)) return *denied;
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
  w.family("syndicate_trigger_requests_total", "counter",
           "HTTP requests to the trigger API by route, method and status.");
  for (const auto& [l, v] : impl_->requests.snapshot()) w.sample(l, v);
  w.family(
      "syndicate_trigger_issues_total", "counter",
      "Issues by way in (http, hotfolder) and result: published (committed), unchanged (nothing to send), "
      "failed (not committed), rejected (did not split), held (for review: confidence below "
      "producer.review.min_confidence).");
  auto issues = impl_->issues.snapshot();
  for (const char* via : {"http", "hotfolder"}) {
    for (const char* result : {"published", "unchanged", "failed", "rejected", "held"}) {
      const metrics::labels l{{"via", via}, {"result", result}};
      const auto it = std::find_if(issues.begin(), issues.end(), [&](const auto& e) { return e.first == l; });
      w.sample(l, it == issues.end() ? std::uint64_t{0} : it->second);
    }
  }
  w.counter("syndicate_articles_produced_total", "Articles sent in committed publish transactions.", {},
            impl_->articles_produced.load());
  w.family("syndicate_publish_seconds", "histogram",
           "Time to publish the issues queued together (one Kafka transaction, up to "
           "max_issues_per_transaction).")
      .observations({}, impl_->publish_latency);
  w.family(
      "syndicate_trigger_errors_total", "counter",
      "Errors: publish_failed (transaction not committed), hot_folder (scan or move), handler (HTTP 500), "
      "spool (an issue could not be made durable: 503).");
  auto errs = impl_->errors.snapshot();
  for (const char* kind : {"publish_failed", "hot_folder", "handler", "spool"}) {
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
  // A publication stalled past publish_stall (healthy: well under a second) means the brokers
  // cannot take it now (a leader down, no quorum, too few in-sync replicas).
  const bool stalled = impl_->busy && std::chrono::steady_clock::now() - impl_->busy_since > publish_stall;
  return !impl_->stopping && !impl_->fatal && !impl_->failing && !stalled;
}

std::optional<std::string> trigger::fatal_error() const {
  std::lock_guard lock(impl_->mu);
  return impl_->fatal;
}

std::size_t trigger::scan_hot_folder() { return impl_->scan(); }

bool trigger::drain(std::chrono::milliseconds timeout) {
  std::unique_lock lock(impl_->mu);
  return impl_->idle_cv.wait_for(lock, timeout, [&] { return impl_->queue.empty() && !impl_->busy; });
}

}  // namespace syn::producer
