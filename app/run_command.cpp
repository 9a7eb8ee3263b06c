// `syndicate run`: every role in one process, for a first try. Publishes the given issues (the
// fixture by default) on librdkafka's embedded mock cluster unless a real cluster is configured,
// runs the translation step (OpenCC) and the archive consumer, and prints where each article went.
#include "run_command.hpp"

#include <spdlog/spdlog.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <sstream>

#include "syn/archive/sink.hpp"
#include "syn/archive/store.hpp"
#include "syn/contract/schema.hpp"
#include "syn/core/config.hpp"
#include "syn/core/kafka/admin.hpp"
#include "syn/core/kafka/embedded.hpp"
#include "syn/core/kafka/producer.hpp"
#include "syn/core/runner.hpp"
#include "syn/core/service.hpp"
#include "syn/core/transform.hpp"
#include "syn/feed/feed_sink.hpp"
#include "syn/feed/state.hpp"
#include "syn/producer/publisher.hpp"
#include "syn/producer/splitter.hpp"
#include "syn/translation/article_builder.hpp"
#include "syn/translation/engine.hpp"
#include "syn/translation/job_builder.hpp"

namespace syn::app {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

struct run_args {
  std::vector<std::string> files;
  std::string config_path;
  std::string bootstrap;
  std::string state_dir = "var/run";
};

struct article_trace {
  std::string id;
  std::string headline;
  std::string kafka;
  std::vector<std::string> translations;  // "job <id> -> <translated id>"
};

int run_all(const run_args& a, bool config_given) {
  config::root cfg = config_given || fs::exists(a.config_path) ? config::load(a.config_path) : config::root{};
  // The zero-setup trial runs on the embedded broker unless a config was named explicitly.
  cfg.kafka.bootstrap_servers =
      !a.bootstrap.empty() ? a.bootstrap : (config_given ? cfg.kafka.bootstrap_servers : "embedded");
  const bool embedded = cfg.kafka.bootstrap_servers == "embedded";
  fs::create_directories(a.state_dir);
  cfg.archive.backend = config::archive_backend::sqlite;
  cfg.archive.sqlite.path = (fs::path(a.state_dir) / "archive.db").string();
  spdlog::set_level(spdlog::level::warn);

  std::shared_ptr<kafka::embedded_cluster> cluster;
  if (embedded) {
    auto c = kafka::embedded_cluster::shared();
    if (!c) throw std::runtime_error(c.error().to_string());
    cluster = c.value();
  }
  auto admin = kafka::admin::create(cfg.kafka);
  if (!admin) throw std::runtime_error(admin.error().to_string());
  std::vector<config::topic_config> topics;
  for (const auto* t : cfg.kafka.topics.all()) topics.push_back(*t);
  if (auto r = admin.value().create_topics(topics, kafka::after(30s)); !r)
    throw std::runtime_error(r.error().to_string());

  std::cout << "syndicate run: broker "
            << (embedded ? "embedded (librdkafka mock cluster, in this process)"
                         : cfg.kafka.bootstrap_servers)
            << ", archive " << cfg.archive.sqlite.path << "\n\n";

  // 1. Split and publish, one transaction per issue.
  std::vector<producer::known_paper> papers;
  for (const auto& p : cfg.papers) papers.push_back({p.code, p.name, p.aliases});
  producer::publisher pub(cfg.kafka, {"run", false});
  std::vector<article_trace> traces;
  std::vector<syndication::v1::Article> published;
  int rc = 0;
  for (const auto& file : a.files) {
    std::ifstream in(file, std::ios::binary);
    if (!in) throw std::runtime_error(file + ": cannot open");
    std::ostringstream ss;
    ss << in.rdbuf();
    const std::string raw = std::move(ss).str();
    producer::split_options so;
    so.source_name = file;
    so.papers = papers;
    auto issue = producer::split_issue(raw, so);
    issue.manifest.set_source(raw);
    const auto o = pub.publish(issue);
    std::cout << "issue " << o.issue_id << " (" << file << "): " << producer::to_string(o.state);
    if (!o.error.empty()) std::cout << ": " << o.error;
    std::cout << "\n";
    if (o.state == producer::publish_outcome::status::failed) rc = 1;
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
      published.push_back(art);
    }
  }

  // 2. Translation: jobs to the jobs topic, translations to the translated topic (OpenCC offline).
  auto out = kafka::producer::create(cfg.kafka, {"syndicate-run-translator", ""});
  if (!out) throw std::runtime_error(out.error().to_string());
  std::map<std::string, std::unique_ptr<translation::translation_engine>> engines;
  std::map<std::uint64_t, std::pair<std::size_t, std::size_t>> sent_by;  // send id -> trace, translation line
  const auto now = std::chrono::system_clock::now();
  for (std::size_t i = 0; i < published.size(); ++i) {
    auto jobs = translation::build_jobs(published[i], cfg.translation, now);
    if (!jobs) {
      traces[i].translations.push_back("no jobs: " + jobs.error().message());
      continue;
    }
    for (auto& job : jobs.value()) {
      *job.mutable_source() = published[i];
      const config::translation_target* target = nullptr;
      for (const auto& t : cfg.translation.targets) {
        if (t.language == job.target_language()) target = &t;
      }
      if (target == nullptr || target->engine != config::translation_engine::opencc) {
        traces[i].translations.push_back("job " + job.job_id() + " (engine not run by `run`)");
        continue;
      }
      auto& engine = engines[target->language];
      if (!engine) {
        auto e = translation::make_engine(*target);
        if (!e) throw std::runtime_error(e.error().message());
        engine = std::move(e).value();
      }
      auto texts = engine->translate(job);
      if (!texts) {
        traces[i].translations.push_back("job " + job.job_id() + " failed: " + texts.error().message());
        continue;
      }
      auto translated = translation::build_translated_article(published[i], job, texts.value(), now);
      if (!translated) {
        traces[i].translations.push_back("job " + job.job_id() + " failed: " + translated.error().message());
        continue;
      }
      // The records the real roles produce (transform::issue_record: the contract's headers, the
      // issue's partition); a send that fails is reported and fails the run.
      const std::size_t at = traces[i].translations.size();
      traces[i].translations.push_back("job " + job.job_id() + " -> " + translated.value().id() +
                                       " (OpenCC " + std::string(config::to_string(target->opencc)) + ")");
      for (const auto& rec :
           {transform::issue_record(cfg.kafka.topics.translation_jobs.name, job.job_id(),
                                    job.SerializeAsString(), contract::schema::translation_job,
                                    job.issue_id(), job.target_language()),
            transform::issue_record(cfg.kafka.topics.translated.name, translated.value().id(),
                                    translated.value().SerializeAsString(), contract::schema::article,
                                    job.issue_id(), translated.value().language())}) {
        std::vector<kafka::header> headers;
        for (const auto& [k, v] : rec.headers) headers.push_back({k, v});
        auto sent = out.value().send(
            {rec.topic, rec.key, rec.value, headers, std::nullopt, std::string_view(rec.partition_key)},
            kafka::after(10s));
        if (!sent) {
          traces[i].translations[at] += " NOT SENT: " + sent.error().to_string();
          rc = 1;
          break;
        }
        sent_by[sent.value()] = {i, at};
      }
    }
  }
  // Every translation record delivered, or the run fails saying which was not.
  const auto flushed = out.value().flush(kafka::after(30s));
  for (const auto& r : out.value().take_delivery_reports()) {
    const auto at = sent_by.find(r.id);
    if (at == sent_by.end()) continue;
    if (r.err) {
      traces[at->second.first].translations[at->second.second] += " NOT DELIVERED: " + r.err->to_string();
      rc = 1;
    }
    sent_by.erase(at);
  }
  if (!flushed.complete() || !sent_by.empty()) {
    std::cerr << "syndicate run: " << flushed.undelivered << " translation record(s) not delivered in 30 s\n";
    rc = 1;
  }

  // 3. The archive consumer, until it has read everything.
  {
    archive::archive_sink sink(cfg.archive);
    runner::options o;
    o.group_id = "syndicate-run-archive";
    o.topics = {cfg.kafka.topics.articles.name, cfg.kafka.topics.translated.name,
                cfg.kafka.topics.issues.name};
    o.schemas = contract::schemas_of(
        {contract::topic_role::articles, contract::topic_role::translated, contract::topic_role::issues});
    o.stop_at_end = true;
    o.retry = cfg.consumers.retry;
    runner::runner r(cfg.kafka, o, sink);
    if (r.run() != 0) rc = 1;
  }

  // 4. The feed consumer: accounts without an AppID get feed pages only (nothing is pushed).
  const std::string feed_state = (fs::path(a.state_dir) / "feed-state.db").string();
  {
    feed::feed_sink_options fo;
    fo.state_path = feed_state;
    feed::feed_sink sink(cfg.feed, fo);
    runner::options o;
    o.group_id = "syndicate-run-feed";
    o.topics = {cfg.kafka.topics.articles.name, cfg.kafka.topics.translated.name};
    o.schemas = contract::schemas_of({contract::topic_role::articles, contract::topic_role::translated});
    o.stop_at_end = true;
    o.retry = cfg.consumers.retry;
    runner::runner r(cfg.kafka, o, sink);
    if (r.run() != 0) rc = 1;
  }
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

  // 5. Where each article went.
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
  return rc;
}

}  // namespace

void register_run_command(CLI::App& root, cli::dispatcher& dispatch) {
  auto args = std::make_shared<run_args>();
  auto* run = root.add_subcommand("run",
                                  "Try it: every role in one process. Publishes the issue files (default: "
                                  "the fixture) on the embedded broker "
                                  "(librdkafka's mock cluster) unless --config or --bootstrap names a real "
                                  "one, translates with OpenCC, archives "
                                  "to SQLite, renders the feed pages (`syndicate serve feeds --state "
                                  "<state-dir>/feed-state.db` serves them), "
                                  "and prints where each article went.");
  run->add_option("FILE", args->files, "issue files")->check(CLI::ExistingFile);
  auto* cfg_opt =
      run->add_option("--config", args->config_path, "configuration file (default: the built-in defaults)");
  args->config_path = "config/syndication.yaml";
  run->add_option("--bootstrap", args->bootstrap, "Kafka bootstrap servers (default: embedded)");
  run->add_option("--state-dir", args->state_dir, "where the archive database goes")->capture_default_str();
  dispatch.on(run, [args, cfg_opt] {
    if (args->files.empty()) args->files.emplace_back("tests/data/issues/changji-daily-2024-01-30-p1.txt");
    return run_all(*args, cfg_opt->count() > 0);
  });
}

}  // namespace syn::app
