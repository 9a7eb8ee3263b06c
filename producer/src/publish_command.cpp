// `syndicate publish FILE...` and `syndicate serve trigger`.
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <fstream>
#include <iostream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <thread>

#include "syn/core/blob_store.hpp"
#include "syn/core/config.hpp"
#include "syn/core/http_server.hpp"
#include "syn/core/instance.hpp"
#include "syn/core/log.hpp"
#include "syn/core/service.hpp"
#include "syn/producer/commands.hpp"
#include "syn/producer/photos.hpp"
#include "syn/producer/publisher.hpp"
#include "syn/producer/review.hpp"
#include "syn/producer/trigger.hpp"

namespace syn::producer {
namespace {

using json = nlohmann::json;

std::vector<known_paper> papers_of(const config::root& cfg) {
  std::vector<known_paper> out;
  for (const auto& p : cfg.papers) out.push_back({p.code, p.name, p.aliases});
  return out;
}

std::string describe_ranges(const std::vector<offset_range>& ranges) {
  std::string out;
  for (const auto& r : ranges) {
    if (!out.empty()) out += "  ";
    out += r.topic + "[" + std::to_string(r.partition) + "]@" + std::to_string(r.first);
    if (r.last != r.first) out += ".." + std::to_string(r.last);
  }
  return out;
}

json outcome_json(const publish_outcome& o) {
  json ranges = json::array();
  for (const auto& r : o.ranges) {
    ranges.push_back(
        {{"topic", r.topic}, {"partition", r.partition}, {"firstOffset", r.first}, {"lastOffset", r.last}});
  }
  return {{"issueId", o.issue_id},
          {"source", o.source_name},
          {"status", to_string(o.state)},
          {"articleIds", o.article_ids},
          {"articlesSent", o.articles_sent},
          {"revisions", o.revisions},
          {"ranges", ranges},
          {"error", o.error}};
}

struct publish_args {
  std::string config_path;
  std::vector<std::string> files;
  std::string paper;
  std::string date;
  std::string instance;
  std::string corrections;
  std::string photos_dir;  // --photos DIR: the images of the one FILE
  bool force = false;
  bool as_json = false;
};

void print_outcome(const publish_outcome& o) {
  switch (o.state) {
    case publish_outcome::status::published:
      std::cout << o.issue_id << ": published " << o.articles_sent << " of " << o.article_ids.size()
                << " articles" << (o.revisions ? " (" + std::to_string(o.revisions) + " revised)" : "")
                << " + manifest, committed: " << describe_ranges(o.ranges) << "\n";
      break;
    case publish_outcome::status::unchanged:
      std::cout << o.issue_id << ": unchanged, nothing published (" << o.article_ids.size()
                << " articles already on the topic with the same content; --force to publish anyway)\n";
      break;
    case publish_outcome::status::failed:
      std::cout << o.issue_id << ": NOT published, transaction not committed: " << o.error << "\n";
      break;
  }
}

void print_photos(const std::string& issue_id, const photos::attach_report& r, const blob::store& store) {
  std::cout << issue_id << ": " << r.stored << " photo(s) stored in " << store.describe() << " (" << r.bytes
            << " bytes)";
  if (r.unmatched > 0) std::cout << ", " << r.unmatched << " image(s) without a caption";
  if (r.uncaptured > 0) std::cout << ", " << r.uncaptured << " caption(s) without an image";
  std::cout << (r.unmatched + r.uncaptured > 0 ? " (manifest warnings)\n" : "\n");
}

/// The files of one `publish` command, read, split and encoded on a pool of threads, handed out
/// in the order given. The pool runs at most `ahead` files past the last one taken, so a batch of any
/// size holds a bounded number of split issues in memory.
class split_pipeline {
 public:
  struct slot {
    std::optional<split_result> issue;
    encoded_issue encoded;  // issue's records, but for the publish time (the raw text is here only)
    std::string error;
    int error_rc = cli::bad_input;
    std::optional<photos::attach_report> photos;  // the issue came with images
    bool done = false;
  };

  /// Where the photos of bundles go (claim check: stored before the issue is encoded), with the
  /// limits of the `blobs` section; `store` may be null when no input is a bundle.
  struct photo_target {
    blob::store* store = nullptr;
    config::blobs_config limits;
    std::string photos_dir;  // --photos DIR (one file only)
  };

  split_pipeline(const std::vector<std::string>& files, split_options base, std::size_t ahead,
                 photo_target target)
      : files_(files),
        base_(std::move(base)),
        ahead_(std::max<std::size_t>(1, ahead)),
        target_(std::move(target)),
        slots_(files.size()) {
    const std::size_t threads =
        std::min<std::size_t>({files.size(), std::max(1U, std::thread::hardware_concurrency()), 8});
    for (std::size_t t = 0; t < threads; ++t) pool_.emplace_back([this] { work(); });
  }
  ~split_pipeline() {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
  }  // then pool_ joins
  split_pipeline(const split_pipeline&) = delete;
  split_pipeline& operator=(const split_pipeline&) = delete;

  std::size_t size() const noexcept { return slots_.size(); }

  /// Waits for file `i` (taken in order) and moves its result out.
  slot take(std::size_t i) {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return slots_[i].done; });
    taken_ = i + 1;
    cv_.notify_all();
    return std::move(slots_[i]);
  }

 private:
  void work() {
    while (true) {
      std::size_t i = 0;
      {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [&] { return stopping_ || next_ >= slots_.size() || next_ < taken_ + ahead_; });
        if (stopping_ || next_ >= slots_.size()) return;
        i = next_++;
      }
      slot done = split_one(files_[i]);
      done.done = true;
      {
        std::lock_guard lock(mu_);
        slots_[i] = std::move(done);
      }
      cv_.notify_all();
    }
  }

  /// A bundle (a folder, or a file with --photos): its text file and its images.
  std::optional<photos::bundle> bundle_of(std::string& file, slot& out) const {
    std::error_code ec;
    if (std::filesystem::is_directory(file, ec)) {
      auto b = photos::read_folder(file);
      if (!b) {
        out.error = b.error().to_string();
        return std::nullopt;
      }
      file = b.value().text.string();
      return std::move(b).value().photos;
    }
    if (target_.photos_dir.empty()) return std::nullopt;
    auto b = photos::read_photo_folder(target_.photos_dir);
    if (!b) out.error = b.error().to_string();
    return b ? std::optional(std::move(b).value()) : std::nullopt;
  }

  slot split_one(std::string file) const {
    slot out;
    const bool bundled = !target_.photos_dir.empty() || std::filesystem::is_directory(file);
    const auto bundle = bundle_of(file, out);
    if (bundled && !bundle) return out;
    std::ifstream in(file, std::ios::binary);
    if (!in) {
      out.error = file + ": cannot open: " + std::strerror(errno);
      return out;
    }
    std::ostringstream ss;
    ss << in.rdbuf();
    split_options so = base_;
    so.source_name = file;
    try {
      std::string raw = std::move(ss).str();
      out.issue = split_issue(raw, so);
      if (bundle && !attach_photos(*bundle, out)) return out;
      out.issue->manifest.set_source(std::move(raw));  // archived by hash for re-splitting
      // Encoded here, so that the sending thread only sends; the raw text then lives only in the
      // encoded manifest, not twice.
      out.encoded = encode_issue(*out.issue);
      std::string().swap(*out.issue->manifest.mutable_source());
    } catch (const split_error& e) {
      out.error = e.what();
    } catch (const std::exception& e) {  // e.g. bad_alloc: reported like a bad file
      out.error = file + ": " + e.what();
    }
    return out;
  }

  /// Checks, matches and stores the images of the issue in `out` (nothing of it is published if
  /// one is bad: the slot then holds the error instead of the issue).
  bool attach_photos(const photos::bundle& bundle, slot& out) const {
    auto r = photos::attach(*out.issue, bundle, *target_.store, target_.limits);
    if (!r) {
      out.error = r.error().to_string();
      out.error_rc = r.error().value() == photos::errc::store_unavailable ? cli::failure : cli::bad_input;
      out.issue.reset();
      return false;
    }
    out.photos = r.value();
    return true;
  }

  const std::vector<std::string>& files_;
  const split_options base_;
  const std::size_t ahead_;
  const photo_target target_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<slot> slots_;
  std::size_t next_ = 0;   // the next file a worker starts
  std::size_t taken_ = 0;  // files handed out by take()
  bool stopping_ = false;
  std::vector<std::jthread> pool_;  // last: joined before the members it uses are gone
};

int run_publish(const publish_args& a) {
  const config::root cfg = config::load(a.config_path);
  service::setup_logging(cfg.observability);
  // Held while the command runs: a second `publish` on this host takes the next slot instead of
  // fencing this one (both used to be "cli-<hostname>").
  const auto lease = instance::acquire("cli", a.instance);
  publisher_options po;
  po.instance = lease.given() ? lease.id() : "cli-" + lease.id();
  po.force = a.force;
  po.max_issues_per_transaction = static_cast<std::size_t>(cfg.producer.max_issues_per_transaction);
  // A correction file is read first (a bad one: exit 2, nothing published) and then nothing is
  // sent before every file is split and corrected.
  publish_gate gate(
      cfg.producer.review.dir, cfg.producer.review.min_confidence,
      a.corrections.empty() ? std::nullopt : std::optional(read_correction_file(a.corrections)));
  const std::size_t group =
      gate.has_corrections() ? a.files.size() : std::max<std::size_t>(1, po.max_issues_per_transaction);

  // Files are split on every core (the split was 59% of `publish`'s CPU on 2,000 issues) while
  // the previous group is sent: a group goes out as soon as its files are split, and bad files
  // are reported one line each, in the order given. The publisher connects when the first issue
  // is ready, so a command whose files are all bad never contacts the broker.
  split_options base;
  base.paper_code = a.paper;
  base.issue_date = a.date;
  base.papers = papers_of(cfg);
  split_pipeline::photo_target photo_target{nullptr, cfg.blobs, a.photos_dir};
  std::unique_ptr<blob::store> blobs;
  if (!a.photos_dir.empty() || std::any_of(a.files.begin(), a.files.end(), [](const std::string& f) {
        return std::filesystem::is_directory(f);
      })) {
    auto opened = blob::open(cfg.blobs);
    if (!opened) {
      cli::print_error(opened.error().to_string());
      return cli::failure;
    }
    blobs = std::move(opened).value();
    photo_target.store = blobs.get();
  }
  split_pipeline files(a.files, base, 2 * group, std::move(photo_target));
  std::optional<publisher> pub;
  int rc = cli::ok;
  json all = json::array();
  std::vector<split_result> issues;  // the group being gathered
  std::vector<encoded_issue> encoded;
  const auto publish_gathered = [&] {
    if (issues.empty()) return;
    if (!pub) pub.emplace(cfg.kafka, po);
    std::vector<const split_result*> ready;
    ready.reserve(issues.size());
    for (const auto& issue : issues) ready.push_back(&issue);
    std::vector<const encoded_issue*> records;
    records.reserve(encoded.size());
    for (const auto& e : encoded) records.push_back(&e);
    for (const auto& o : pub->publish(ready, records)) {
      log_publication("cli", po.instance, o);
      if (o.state == publish_outcome::status::failed && (rc == cli::ok || rc == cli::held)) rc = cli::failure;
      if (a.as_json) {
        all.push_back(outcome_json(o));
      } else {
        print_outcome(o);
      }
    }
    std::cout.flush();
    issues.clear();  // their text and articles are on the broker now
    encoded.clear();
  };
  for (std::size_t i = 0; i < files.size(); ++i) {
    auto sl = files.take(i);
    std::optional<std::string> held;
    if (sl.issue) {
      split_options so = base;
      so.source_name = a.files[i];
      held = gate.check(*sl.issue, sl.encoded, so);
    }
    if (held) {
      // Held (durably) for an editor: neither published nor failed (docs/RUNBOOK.md).
      if (a.as_json) {
        all.push_back({{"issueId", sl.issue->manifest.issue_id()}, {"status", "held"}, {"message", *held}});
      } else {
        std::cout << *held << "\n";
      }
      if (rc == cli::ok) rc = cli::held;
    } else if (sl.issue) {
      if (sl.photos && !a.as_json) print_photos(sl.issue->manifest.issue_id(), *sl.photos, *blobs);
      issues.push_back(std::move(*sl.issue));
      encoded.push_back(std::move(sl.encoded));
    } else {
      cli::print_error(sl.error);
      if (rc != cli::bad_input) rc = sl.error_rc;
    }
    if (issues.size() >= group) publish_gathered();
  }
  gate.finish();
  publish_gathered();
  if (a.as_json) std::cout << all.dump(2) << "\n";
  return rc;
}

/// How long a fenced or fatally failed trigger keeps answering 503 before it exits.
constexpr std::chrono::seconds fatal_linger{3};

bool is_loopback(const std::string& host) {
  return host == "127.0.0.1" || host == "::1" || host == "localhost";
}

/// The blob store for the photos of hot-folder bundles (issue 18). One that cannot be opened (an
/// unset S3 key variable) does not stop the trigger: bundles are then rejected with the reason.
void open_bundle_store(const config::blobs_config& blobs_config, trigger_options& to) {
  auto blobs = blob::open(blobs_config);
  if (blobs) {
    to.blobs = std::shared_ptr<blob::store>(std::move(blobs).value());
  } else {
    to.blobs_error = blobs.error().to_string();
    log::get("trigger").warn("hot-folder bundles will be rejected: {}", to.blobs_error);
  }
  to.blob_limits = blobs_config;
}

int run_trigger(const std::string& config_path, const std::string& listen_override,
                const std::string& instance, const std::string* metrics_override) {
  const config::root cfg = config::load(config_path);
  service::setup_logging(cfg.observability);
  const auto& tc = cfg.producer.trigger;
  auto [host, port] = service::split_host_port(listen_override.empty() ? tc.listen : listen_override);

  trigger_options to;
  to.papers = papers_of(cfg);
  if (tc.token.configured()) {
    auto token = tc.token.resolve();
    if (!token || token->empty()) {
      throw std::runtime_error("producer.trigger.token_env: environment variable " + tc.token.env +
                               " is not set; the trigger will not run without its bearer token");
    }
    to.token = *token;
  } else if (!is_loopback(host)) {
    throw std::runtime_error(
        "producer.trigger: no token_env configured; refusing to serve without authentication on " + host);
  }
  const auto& hf = cfg.producer.hot_folder;
  to.hot_folder.enabled = hf.enabled;
  to.hot_folder.incoming = std::filesystem::path(hf.dir) / hf.incoming;
  to.hot_folder.done = std::filesystem::path(hf.dir) / hf.done;
  to.hot_folder.failed = std::filesystem::path(hf.dir) / hf.failed;
  to.hot_folder.poll_interval = hf.poll_interval;
  to.hot_folder.stable_for = hf.stable_wait;
  to.hot_folder.ignore_suffixes = hf.ignore_suffixes;
  to.hot_folder.max_file_bytes = hf.max_file_bytes;

  const auto lease = instance::acquire("trigger", instance);
  publisher_options po;
  po.instance = lease.given() ? lease.id() : "trigger-" + lease.id();
  po.max_issues_per_transaction = static_cast<std::size_t>(cfg.producer.max_issues_per_transaction);
  to.max_issues_per_transaction = po.max_issues_per_transaction;
  // One spool per instance: two triggers on one host never replay each other's issues.
  to.spool_dir = std::filesystem::path(tc.spool_dir) / po.instance;
  to.min_confidence = cfg.producer.review.min_confidence;
  to.review_dir = cfg.producer.review.dir;  // shared by every instance and `syndicate review`
  if (hf.enabled) open_bundle_store(cfg.blobs, to);
  std::atomic<bool> fatal{false};
  to.on_fatal = [&fatal](const std::string&) { fatal = true; };

  // Bind both listeners BEFORE touching Kafka: a second instance started by mistake on a taken
  // port must exit here, before its init_transactions fences the running one. Until the
  // publisher is up, the API answers 503 and /readyz is not ready.
  std::atomic<trigger*> live{nullptr};
  std::atomic<bool> running{true};
  http::server_options so;
  so.address = host;
  so.port = port;
  so.body_limit = tc.max_body_bytes;
  so.io_timeout = tc.request_timeout;
  so.header_timeout = tc.header_timeout;
  so.max_connections = tc.max_connections;
  so.max_connections_per_client = tc.max_connections_per_client;
  const auto starting = [] {
    auto res = http::response::json_error(503, "the trigger is starting (connecting to Kafka)");
    res.headers.emplace_back("Retry-After", "5");
    return res;
  };
  http::server server(
      so,
      [&live, &starting](const http::request& r) {
        trigger* t = live.load();
        return t != nullptr ? t->handle(r) : starting();
      },
      // The token is checked from the headers, before a byte of the body is read.
      [&live, &starting](const http::request& head) -> std::optional<http::response> {
        trigger* t = live.load();
        if (t == nullptr) return head.path == "/healthz" ? std::nullopt : std::optional(starting());
        return t->authorise(head);
      });
  auto metrics = service::serve_metrics(
      metrics_override != nullptr ? *metrics_override : cfg.observability.metrics.trigger, "trigger",
      [&live] {
        trigger* t = live.load();
        return t != nullptr ? t->metrics_text() : std::string();
      },
      [&] {
        trigger* t = live.load();
        return running.load() && t != nullptr && t->ready();
      });

  std::optional<publisher> pub;
  std::optional<trigger> trig;
  try {
    pub.emplace(cfg.kafka, po);
    trig.emplace(
        to, [&](std::span<const split_result* const> ready) { return pub->publish(ready); },
        [&](const std::string& id) { return pub->latest_manifest(id); });
  } catch (...) {
    server.stop();
    throw;
  }
  live = &*trig;
  log::get("trigger").info("listening on http://{}:{} (POST /v1/issues), spool {}{}", host, server.port(),
                           to.spool_dir.string(),
                           hf.enabled ? ", hot folder " + to.hot_folder.incoming.string() : std::string());
  int sig = service::wait_for_termination([&fatal] { return fatal.load(); });
  if (fatal.load() && sig == 0) {
    // Fenced or fatally failed: POST already answers 503 and /readyz "not ready". Keep saying so
    // for a moment before the listeners close, so a load balancer's health check and the clients
    // in flight see why (503 with the reason) rather than "connection refused"; a stop signal
    // ends the wait at once.
    const auto until = std::chrono::steady_clock::now() + fatal_linger;
    sig = service::wait_for_termination([until] { return std::chrono::steady_clock::now() >= until; });
  }
  running = false;
  server.stop();
  live = nullptr;
  metrics.reset();  // its handlers read the trigger, which goes first
  if (auto why = trig->fatal_error()) {
    // A fenced producer stays fenced: exit for the supervisor, which starts a fresh one (it
    // replays the spool). Recreating it here could fence the instance that fenced us in turn.
    throw std::runtime_error("trigger: the publisher failed fatally (" + *why +
                             "); exiting so that the supervisor restarts it; accepted issues are kept in " +
                             to.spool_dir.string());
  }
  log::get("trigger").info("signal {}, stopping", sig);
  trig->drain(std::chrono::seconds(30));
  return cli::ok;
}

}  // namespace

void register_publish_commands(CLI::App& root, cli::dispatcher& dispatch) {
  auto args = std::make_shared<publish_args>();
  auto* publish = root.add_subcommand(
      "publish",
      "Split issue files and publish them, each issue (articles + manifest) whole inside one Kafka "
      "transaction "
      "(the files share transactions, producer.max_issues_per_transaction per transaction; each group is "
      "sent as soon "
      "as its files are split, and the outcomes are printed in the order the files were given). "
      "An issue whose articles are already on the topic unchanged is not published again (--force to "
      "override); "
      "a corrected issue publishes its changed articles as new revisions and a new manifest. "
      "An issue whose confidence is below producer.review.min_confidence is HELD for review (syndicate "
      "review), "
      "not published. Exit status: 0 published or unchanged, 4 held (nothing failed), 1 a transaction "
      "failed, 2 a bad file or correction file. "
      "Photos: a FILE may be a bundle folder (one *.txt, its JPEG/PNG/GIF/WebP images, optionally "
      "photos.yaml), "
      "or one FILE may come with --photos DIR; each image is checked (type by content, blobs.max_* limits, "
      "decodes), matched to a caption of the text (embedded IPTC/XMP caption, else photos.yaml, else order), "
      "stored in the blob store (blobs section) BEFORE any record names it, and referenced by SHA-256 from "
      "its Article.photos entry; a bad image is one error naming the file, exit 2, and nothing of that issue "
      "is published (docs/OPERATIONS.md \"Photos with an issue\").");
  cli::add_config_option(publish, args->config_path);
  publish
      ->add_option("FILE", args->files,
                   "issue files (UTF-8 or GB18030 text), or bundle folders (one *.txt, its images, optional "
                   "photos.yaml)")
      ->required()
      ->check(CLI::ExistingPath);
  publish
      ->add_option(
          "--photos", args->photos_dir,
          "a folder of images (and optional photos.yaml) for the one FILE given; stored in the blob store "
          "and referenced from its articles")
      ->check(CLI::ExistingDirectory);
  publish->add_option("--paper", args->paper, "paper code override (default: from the masthead)");
  publish->add_option("--date", args->date, "issue date override, YYYY-MM-DD");
  publish->add_option(
      "--instance", args->instance,
      "publisher instance name; transactional.id = <prefix>-<instance> (default: $SYNDICATE_INSTANCE, else "
      "cli-<hostname>-<N>, N the lowest slot no other publish on this host holds)");
  publish->add_flag("--force", args->force, "publish even if the topic already holds the same articles");
  publish
      ->add_option("--corrections", args->corrections,
                   "an editor's correction file (YAML, docs/SPLITTING.md \"Editor corrections\") for one of "
                   "the issues; only the articles it changes are published again, as new revisions")
      ->check(CLI::ExistingFile);
  publish->add_flag("--json", args->as_json, "print the outcome as JSON");
  dispatch.on(publish, [args] {
    if (!args->photos_dir.empty() &&
        (args->files.size() != 1 || std::filesystem::is_directory(args->files.front()))) {
      cli::print_error(
          "publish: --photos goes with exactly one issue FILE (a bundle folder brings its own images)");
      return static_cast<int>(cli::bad_input);
    }
    try {
      return run_publish(*args);
    } catch (const correction_error& e) {  // one line naming file, line and field; nothing published
      cli::print_error(e.what());
      return static_cast<int>(cli::bad_input);
    }
  });

  auto config_path = std::make_shared<std::string>();
  auto listen = std::make_shared<std::string>();
  auto instance = std::make_shared<std::string>();
  auto* trig = root.get_subcommand("serve")->add_subcommand(
      "trigger",
      "The newsroom trigger: HTTP POST /v1/issues (bearer token from producer.trigger.token_env) and the hot "
      "folder "
      "(producer.hot_folder); both publish through one pipeline. GET /v1/issues/{id} reports status.");
  cli::add_config_option(trig, *config_path);
  trig->add_option("--listen", *listen, "HOST:PORT to listen on (default: producer.trigger.listen)");
  trig->add_option(
      "--instance", *instance,
      "publisher instance name (default: $SYNDICATE_INSTANCE, else trigger-<hostname>-<N>, N the "
      "lowest slot no other trigger on this host holds)");
  auto metrics_listen = std::make_shared<std::string>();
  auto* metrics_opt = trig->add_option(
      "--metrics-listen", *metrics_listen,
      "HOST:PORT for /metrics, /healthz, /readyz (default: observability.metrics.trigger; \"\" = off)");
  dispatch.on(trig, [=] {
    return run_trigger(*config_path, *listen, *instance,
                       metrics_opt->count() > 0 ? metrics_listen.get() : nullptr);
  });
}

}  // namespace syn::producer
