// `syndicate run`: every role in one process, for a first try, built from the roles' own
// components: the splitter and publisher, the translation roles' steps on core's transactional
// loop (OpenCC targets), the archive and feed sinks behind core's runner. Publishes the given
// issues (the fixture bundle, its text and its photo, by default) on librdkafka's embedded mock
// cluster unless a real cluster is configured, prints where each article went, and serves the feed
// pages it printed links to until Ctrl-C (or exits when done, --exit-when-done).
#include "run_command.hpp"

#include <spdlog/spdlog.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <sstream>

#include "syn/archive/commands.hpp"
#include "syn/archive/sink.hpp"
#include "syn/archive/store.hpp"
#include "syn/console/console.hpp"
#include "syn/contract/schema.hpp"
#include "syn/core/blob_store.hpp"
#include "syn/core/config.hpp"
#include "syn/core/http_server.hpp"
#include "syn/core/kafka/admin.hpp"
#include "syn/core/kafka/embedded.hpp"
#include "syn/core/runner.hpp"
#include "syn/core/service.hpp"
#include "syn/core/transform.hpp"
#include "syn/feed/commands.hpp"
#include "syn/feed/feed_server.hpp"
#include "syn/feed/feed_sink.hpp"
#include "syn/feed/state.hpp"
#include "syn/producer/photos.hpp"
#include "syn/producer/publisher.hpp"
#include "syn/producer/splitter.hpp"
#include "syn/translation/roles.hpp"

namespace syn::app {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

struct run_args {
  std::vector<std::string> files;
  std::string config_path;
  std::string bootstrap;
  std::string state_dir = "var/run";
  bool exit_when_done = false;
};

/// The fixture bundle: the page and its photo (tests/data/photos/make.sh says where it comes from).
constexpr const char* fixture_text = "tests/data/issues/changji-daily-2024-01-30-p1.txt";
constexpr const char* fixture_photos = "tests/data/photos/changji-daily-2024-01-30-p1";

struct article_trace {
  std::string id;
  std::string headline;
  std::string kafka;
  std::vector<std::string> translations;  // "job <id> -> <translated id> (OpenCC <config>)"
};

/// The trial's configuration: the named config (or the defaults), on the embedded broker unless a
/// config or --bootstrap names a cluster, archiving to SQLite under the state dir.
config::root trial_config(const run_args& a, bool config_given) {
  config::root cfg = config_given || fs::exists(a.config_path) ? config::load(a.config_path) : config::root{};
  cfg.kafka.bootstrap_servers =
      !a.bootstrap.empty() ? a.bootstrap : (config_given ? cfg.kafka.bootstrap_servers : "embedded");
  fs::create_directories(a.state_dir);
  cfg.archive.backend = config::archive_backend::sqlite;
  cfg.archive.sqlite.path = (fs::path(a.state_dir) / "archive.db").string();
  // Photos go to a folder of the trial's own unless a config names the store.
  if (!config_given) cfg.blobs.folder = (fs::path(a.state_dir) / "blobs").string();
  return cfg;
}

void create_topics(const config::root& cfg) {
  auto admin = kafka::admin::create(cfg.kafka);
  if (!admin) throw std::runtime_error(admin.error().to_string());
  std::vector<config::topic_config> topics;
  for (const auto* t : cfg.kafka.topics.all()) topics.push_back(*t);
  if (auto r = admin.value().create_topics(topics, kafka::after(30s)); !r)
    throw std::runtime_error(r.error().to_string());
}

/// The text and the images of one input: a bundle folder, the fixture (with its photo), or a
/// plain text file (no images).
std::pair<std::string, std::optional<producer::photos::bundle>> bundle_of(const std::string& input) {
  if (fs::is_directory(input)) {
    auto b = producer::photos::read_folder(input);
    if (!b) throw std::runtime_error(b.error().to_string());
    return {b.value().text.string(), b.value().photos};
  }
  if (input == fixture_text && fs::is_directory(fixture_photos)) {
    auto b = producer::photos::read_photo_folder(fixture_photos);
    if (!b) throw std::runtime_error(b.error().to_string());
    return {input, b.value()};
  }
  return {input, std::nullopt};
}

/// 1. Split and publish, one transaction per issue, as `publish` does; the photos of a bundle
/// stored first. False if one failed.
bool publish_files(const config::root& cfg, const std::vector<std::string>& inputs,
                   std::vector<article_trace>& traces) {
  std::vector<producer::known_paper> papers;
  for (const auto& p : cfg.papers) papers.push_back({p.code, p.name, p.aliases});
  producer::publisher pub(cfg.kafka, {"run", false});
  std::unique_ptr<blob::store> blobs;
  bool ok = true;
  for (const auto& input : inputs) {
    const auto [file, bundle] = bundle_of(input);
    std::ifstream in(file, std::ios::binary);
    if (!in) throw std::runtime_error(file + ": cannot open");
    std::ostringstream ss;
    ss << in.rdbuf();
    const std::string raw = std::move(ss).str();
    producer::split_options so;
    so.source_name = file;
    so.papers = papers;
    auto issue = producer::split_issue(raw, so);
    if (bundle) {
      if (!blobs) {
        auto opened = blob::open(cfg.blobs);
        if (!opened) throw std::runtime_error(opened.error().to_string());
        blobs = std::move(opened).value();
      }
      auto r = producer::photos::attach(issue, *bundle, *blobs, cfg.blobs);
      if (!r) throw std::runtime_error(r.error().to_string());
      std::cout << "photos of " << issue.manifest.issue_id() << ": " << r.value().stored << " stored in "
                << blobs->describe() << " (" << r.value().bytes << " bytes), " << r.value().unmatched
                << " without a caption, " << r.value().uncaptured << " caption(s) without an image\n";
    }
    issue.manifest.set_source(raw);
    const auto o = pub.publish(issue);
    std::cout << "issue " << o.issue_id << " (" << file << "): " << producer::to_string(o.state);
    if (!o.error.empty()) std::cout << ": " << o.error;
    std::cout << "\n";
    if (o.state == producer::publish_outcome::status::failed) ok = false;
    // Offsets: the sent articles are contiguous in their partition, in order.
    const producer::offset_range* range = nullptr;
    for (const auto& r : o.ranges) {
      if (r.topic == cfg.kafka.topics.articles.name) range = &r;
    }
    for (std::size_t i = 0; i < issue.articles.size(); ++i) {
      const auto& art = issue.articles[i];
      article_trace t{art.id(), art.headline(), "", {}};
      if (range != nullptr && o.articles_sent == issue.articles.size()) {
        t.kafka = range->topic + "[" + std::to_string(range->partition) + "]@" +
                  std::to_string(range->first + static_cast<std::int64_t>(i));
      } else {
        t.kafka = cfg.kafka.topics.articles.name + " (already there, unchanged)";
      }
      traces.push_back(std::move(t));
    }
  }
  return ok;
}

/// The loop options of a trial stage: its own group and transactional id (a trial on a real
/// cluster never moves the roles' offsets), done once caught up.
void trial_stage(transform::options& o, const config::root& cfg, const std::string& role) {
  o.group_id = "syndicate-run-" + role;
  o.transactional_id = cfg.kafka.transactional_id_prefix + "-run-" + role;
  o.stop_when_idle = true;
  o.idle_for = 2s;
}

/// 2. Translation as `consume translation` and `translate` run it: the jobs step and the
/// translator on core's transactional loop, OpenCC targets only (the trial calls no HTTP engine).
bool translate(const config::root& cfg, std::vector<article_trace>& traces) {
  config::root tcfg = cfg;
  std::vector<std::string> skipped;
  std::erase_if(tcfg.translation.targets, [&skipped](const config::translation_target& t) {
    if (t.engine == config::translation_engine::opencc) return false;
    skipped.push_back(t.language);
    return true;
  });
  std::map<std::string, std::size_t> trace_of;
  for (std::size_t i = 0; i < traces.size(); ++i) {
    trace_of[traces[i].id] = i;
    for (const auto& lang : skipped) traces[i].translations.push_back(lang + ": engine not run by `run`");
  }
  std::atomic<bool> stop{false};
  auto jobs = translation::job_options(tcfg);
  trial_stage(jobs, tcfg, "translation");
  bool ok = transform::run(tcfg.kafka, jobs, translation::job_step(tcfg, jobs.group_id), stop) == 0;

  translation::translator tr(tcfg,
                             {.group_id = "syndicate-run-translator", .done_store_path = {}, .stop = &stop});
  tr.on_translated = [&](const syndication::v1::TranslationJob& job, const syndication::v1::Article& art) {
    const auto t = trace_of.find(job.source_id());
    if (t == trace_of.end()) return;
    std::string how;
    for (const auto& target : tcfg.translation.targets) {
      if (target.language == job.target_language()) how = std::string(config::to_string(target.opencc));
    }
    traces[t->second].translations.push_back("job " + job.job_id() + " -> " + art.id() + " (OpenCC " + how +
                                             ")");
  };
  auto o = tr.loop_options(nullptr);
  trial_stage(o, tcfg, "translator");
  ok = transform::run(tcfg.kafka, o,
                      transform::step_fn([&tr](const kafka::message& m) { return tr.step(m); }), stop) == 0 &&
       ok;
  return ok;
}

/// 3. and 4. The archive and feed sinks behind core's runner with the options of `consume archive`
/// and `consume feed` (--until-caught-up), in groups of their own. Accounts without an AppID get
/// feed pages only (nothing is pushed).
/// The photos' blob store (`blobs`; <state-dir>/blobs unless a config names one), shared by the
/// feed sink (uploads) and the pages (`/photos/`).
std::shared_ptr<blob::store> open_blobs(const config::root& cfg) {
  auto opened = blob::open(cfg.blobs);
  if (!opened) throw std::runtime_error(opened.error().to_string());
  return std::shared_ptr<blob::store>(std::move(opened).value());
}

bool run_sinks(const config::root& cfg, const std::string& feed_state,
               const std::shared_ptr<blob::store>& blobs) {
  service::consumer_args until_caught_up;
  until_caught_up.until_caught_up = true;
  bool ok = true;
  {
    archive::archive_sink sink(cfg.archive);
    runner::runner r(cfg.kafka, archive::consume_options(cfg, until_caught_up, "syndicate-run-archive"),
                     sink);
    ok = r.run() == 0 && ok;
  }
  {
    feed::feed_sink_options fo;
    fo.state_path = feed_state;
    fo.blobs = blobs;
    feed::feed_sink sink(cfg.feed, fo);
    runner::runner r(cfg.kafka, feed::consume_options(cfg, until_caught_up, "syndicate-run-feed"), sink);
    ok = r.run() == 0 && ok;
  }
  return ok;
}

/// 5. Where each article went: its record, its archive revision, its translations, its feeds.
void report(const config::root& cfg, const std::vector<article_trace>& traces,
            const std::string& feed_state) {
  std::map<std::string, std::vector<std::string>> feeds_of;  // article id -> accounts
  {
    feed::state_store state(feed_state, true);
    for (const auto& account : state.feed_accounts()) {
      for (const auto& e : state.feed(account, 1000)) feeds_of[e.article_id].push_back(account);
    }
  }
  auto feed_line = [&](const std::string& id) {
    auto it = feeds_of.find(id);
    if (it == feeds_of.end()) return std::string("no account's rules matched");
    std::string accounts;
    for (const auto& acc : it->second) accounts += (accounts.empty() ? "" : ", ") + acc;
    return cfg.feed.server.public_base_url + "/articles/" + id + "  (feed " + accounts + ")";
  };
  archive::store_options ro;
  ro.mode = archive::open_mode::read_only;
  auto store = archive::open(cfg.archive, ro);
  std::cout << "\n";
  for (const auto& t : traces) {
    std::cout << t.id << "  " << t.headline << "\n";
    std::cout << "  kafka        " << t.kafka << "\n";
    if (store) {
      auto got = store.value()->get(t.id, std::nullopt);
      std::cout << "  archive      "
                << (got ? "revision " + std::to_string(got.value().current_revision) + " in " +
                              cfg.archive.sqlite.path + "  (syndicate archive get " + t.id + " --db " +
                              cfg.archive.sqlite.path + ")"
                        : "MISSING: " + got.error().to_string())
                << "\n";
    }
    for (const auto& tr : t.translations) std::cout << "  translation  " << tr << "\n";
    std::cout << "  feed         " << feed_line(t.id) << "\n";
    const std::string hant = t.id + ".zh-Hant";
    if (feeds_of.contains(hant)) std::cout << "  feed         " << feed_line(hant) << "\n";
  }
}

/// 6. The feed pages (`serve feeds` on the trial's state), until SIGINT or SIGTERM, so that the
/// links printed above open; the embedded broker lives on meanwhile.
void serve_pages(const config::root& cfg, const std::string& feed_state, std::shared_ptr<blob::store> blobs) {
  feed::feed_server_options fo;
  fo.public_base_url = cfg.feed.server.public_base_url;
  fo.blobs = std::move(blobs);
  for (const auto& account : cfg.feed.accounts) fo.accounts.push_back(account.name);
  const auto [host, port] = service::split_host_port(cfg.feed.server.listen);
  http::server_options so;
  so.address = host;
  so.port = port;
  http::server server(so, feed::make_feed_handler(std::make_shared<feed::state_store>(feed_state, true), fo),
                      feed::make_feed_authoriser(fo));
  std::cout << "\nserving the feed pages on http://" << host << ":" << server.port() << " ("
            << cfg.feed.server.public_base_url << "); Ctrl-C to stop\n"
            << std::flush;
  const int sig = service::wait_for_termination();
  server.stop();
  std::cout << "signal " << sig << ": stopped\n";
}

int run_all(const run_args& a, bool config_given) {
  const config::root cfg = trial_config(a, config_given);
  const bool embedded = cfg.kafka.bootstrap_servers == "embedded";
  spdlog::set_level(spdlog::level::warn);
  std::shared_ptr<kafka::embedded_cluster> cluster;  // held for the whole run
  if (embedded) {
    auto c = kafka::embedded_cluster::shared();
    if (!c) throw std::runtime_error(c.error().to_string());
    cluster = c.value();
  }
  create_topics(cfg);
  std::cout << "syndicate run: broker "
            << (embedded ? "embedded (librdkafka mock cluster, in this process)"
                         : cfg.kafka.bootstrap_servers)
            << ", archive " << cfg.archive.sqlite.path << "\n\n";
  // The console (docs/CONSOLE.md), up while the run lasts: the receipts arrive as the sinks work.
  std::unique_ptr<console::console> web;
  try {
    web = std::make_unique<console::console>(
        cfg, console::console_options{config_given ? a.config_path : "", true});
    std::cout << "console: http://" << service::split_host_port(cfg.console.listen).first << ":"
              << web->port() << "/\n\n";
  } catch (const std::exception& e) {
    std::cout << "console: not started (" << e.what() << ")\n\n";
  }
  std::vector<article_trace> traces;
  bool ok = publish_files(cfg, a.files, traces);
  ok = translate(cfg, traces) && ok;
  const std::string feed_state = (fs::path(a.state_dir) / "feed-state.db").string();
  const auto blobs = open_blobs(cfg);
  ok = run_sinks(cfg, feed_state, blobs) && ok;
  report(cfg, traces, feed_state);
  if (a.exit_when_done) return ok ? 0 : 1;
  serve_pages(cfg, feed_state, blobs);  // until Ctrl-C: the links printed above open
  return ok ? 0 : 1;
}

}  // namespace

void register_run_command(CLI::App& root, cli::dispatcher& dispatch) {
  auto args = std::make_shared<run_args>();
  auto* run = root.add_subcommand("run",
                                  "Try it: every role in one process. Publishes the issue files (default: "
                                  "the fixture) on the embedded broker "
                                  "(librdkafka's mock cluster) unless --config or --bootstrap names a real "
                                  "one, translates with OpenCC, archives "
                                  "to SQLite, renders the feed pages, prints where each article went, "
                                  "and serves the feed pages until Ctrl-C (SIGINT/SIGTERM; --exit-when-done "
                                  "to exit instead). Photos of a bundle go to <state-dir>/blobs.");
  run->add_option("FILE", args->files,
                  "issue files or bundle folders (one *.txt, its images, optional photos.yaml); default: the "
                  "fixture page with its photo")
      ->check(CLI::ExistingPath);
  auto* cfg_opt =
      run->add_option("--config", args->config_path, "configuration file (default: the built-in defaults)");
  args->config_path = "config/syndication.yaml";
  run->add_option("--bootstrap", args->bootstrap, "Kafka bootstrap servers (default: embedded)");
  run->add_option("--state-dir", args->state_dir,
                  "where the archive database, the feed state and the photos go")
      ->capture_default_str();
  run->add_flag("--exit-when-done", args->exit_when_done,
                "exit once everything is published, consumed and reported, instead of serving the feed pages "
                "until Ctrl-C");
  dispatch.on(run, [args, cfg_opt] {
    if (args->files.empty()) args->files.emplace_back(fixture_text);
    return run_all(*args, cfg_opt->count() > 0);
  });
}

}  // namespace syn::app
