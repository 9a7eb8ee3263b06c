// `syndicate publish FILE...` and `syndicate serve trigger`.
#include "syn/core/config.hpp"
#include "syn/core/http_server.hpp"
#include "syn/core/service.hpp"
#include "syn/producer/commands.hpp"
#include "syn/producer/publisher.hpp"
#include "syn/producer/trigger.hpp"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <thread>
#include <unistd.h>

namespace syn::producer {
namespace {

using json = nlohmann::json;

std::vector<known_paper> papers_of(const config::root& cfg) {
  std::vector<known_paper> out;
  for (const auto& p : cfg.papers) out.push_back({p.code, p.name, p.aliases});
  return out;
}

std::string host_name() {
  char buf[256] = {};
  if (gethostname(buf, sizeof buf - 1) != 0) return "localhost";
  return buf;
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
    ranges.push_back({{"topic", r.topic}, {"partition", r.partition}, {"firstOffset", r.first}, {"lastOffset", r.last}});
  }
  return {{"issueId", o.issue_id},     {"source", o.source_name},       {"status", to_string(o.state)},
          {"articleIds", o.article_ids}, {"articlesSent", o.articles_sent}, {"revisions", o.revisions},
          {"ranges", ranges},          {"error", o.error}};
}

struct publish_args {
  std::string config_path;
  std::vector<std::string> files;
  std::string paper;
  std::string date;
  std::string instance;
  bool force = false;
  bool as_json = false;
};

int run_publish(const publish_args& a) {
  const config::root cfg = config::load(a.config_path);
  // Split everything first: a bad file is reported before anything is published. Files are read
  // and split on every core (the split was 59% of `publish`'s CPU on 2,000 issues); results and
  // errors keep the order of the command line.
  struct slot {
    std::optional<split_result> issue;
    std::string error;
  };
  std::vector<slot> slots(a.files.size());
  const auto papers = papers_of(cfg);
  std::atomic<std::size_t> next_file{0};
  const auto work = [&] {
    for (std::size_t i = next_file++; i < a.files.size(); i = next_file++) {
      const auto& file = a.files[i];
      std::ifstream in(file, std::ios::binary);
      if (!in) {
        slots[i].error = file + ": cannot open: " + std::strerror(errno);
        continue;
      }
      std::ostringstream ss;
      ss << in.rdbuf();
      split_options so;
      so.source_name = file;
      so.paper_code = a.paper;
      so.issue_date = a.date;
      so.papers = papers;
      try {
        std::string raw = std::move(ss).str();
        slots[i].issue = split_issue(raw, so);
        slots[i].issue->manifest.set_source(std::move(raw));  // archived by hash for re-splitting
      } catch (const split_error& e) {
        slots[i].error = e.what();
      } catch (const std::exception& e) {  // e.g. bad_alloc: reported like a bad file
        slots[i].error = file + ": " + e.what();
      }
    }
  };
  {
    const std::size_t threads =
        std::min<std::size_t>({a.files.size(), std::max(1U, std::thread::hardware_concurrency()), 8});
    std::vector<std::jthread> pool;
    for (std::size_t t = 1; t < threads; ++t) pool.emplace_back(work);
    work();
  }
  std::vector<split_result> issues;
  issues.reserve(slots.size());
  int rc = cli::ok;
  for (auto& sl : slots) {
    if (sl.issue) {
      issues.push_back(std::move(*sl.issue));
    } else {
      cli::print_error(sl.error);
      rc = cli::bad_input;
    }
  }
  if (issues.empty()) return rc;

  publisher_options po;
  po.instance = a.instance.empty() ? "cli-" + host_name() : a.instance;
  po.force = a.force;
  po.max_issues_per_transaction = static_cast<std::size_t>(cfg.producer.max_issues_per_transaction);
  publisher pub(cfg.kafka, po);
  // Every file is ready: they go out together, max_issues_per_transaction per transaction.
  std::vector<const split_result*> ready;
  for (const auto& issue : issues) ready.push_back(&issue);
  json all = json::array();
  for (const auto& o : pub.publish(ready)) {
    log_publication("cli", po.instance, o);
    if (o.state == publish_outcome::status::failed && rc == cli::ok) rc = cli::failure;
    if (a.as_json) {
      all.push_back(outcome_json(o));
      continue;
    }
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
  if (a.as_json) std::cout << all.dump(2) << "\n";
  return rc;
}

bool is_loopback(const std::string& host) { return host == "127.0.0.1" || host == "::1" || host == "localhost"; }

int run_trigger(const std::string& config_path, const std::string& listen_override, const std::string& instance,
                const std::string* metrics_override) {
  const config::root cfg = config::load(config_path);
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
    throw std::runtime_error("producer.trigger: no token_env configured; refusing to serve without authentication on " +
                             host);
  }
  const auto& hf = cfg.producer.hot_folder;
  to.hot_folder.enabled = hf.enabled;
  to.hot_folder.incoming = std::filesystem::path(hf.dir) / hf.incoming;
  to.hot_folder.done = std::filesystem::path(hf.dir) / hf.done;
  to.hot_folder.failed = std::filesystem::path(hf.dir) / hf.failed;
  to.hot_folder.poll_interval = hf.poll_interval;
  to.hot_folder.stable_for = hf.stable_wait;
  to.hot_folder.ignore_suffixes = hf.ignore_suffixes;

  publisher_options po;
  po.instance = instance.empty() ? "trigger-" + host_name() : instance;
  po.max_issues_per_transaction = static_cast<std::size_t>(cfg.producer.max_issues_per_transaction);
  to.max_issues_per_transaction = po.max_issues_per_transaction;
  publisher pub(cfg.kafka, po);
  trigger trig(
      to, [&](std::span<const split_result* const> ready) { return pub.publish(ready); },
      [&](const std::string& id) { return pub.latest_manifest(id); });

  http::server_options so;
  so.address = host;
  so.port = port;
  so.body_limit = tc.max_body_bytes;
  so.io_timeout = tc.request_timeout;
  http::server server(so, [&](const http::request& r) { return trig.handle(r); });
  std::atomic<bool> running{true};
  const auto metrics = service::serve_metrics(
      metrics_override != nullptr ? *metrics_override : cfg.observability.metrics.trigger, "trigger",
      [&trig] { return trig.metrics_text(); }, [&] { return running.load() && trig.ready(); });
  spdlog::info("trigger: listening on http://{}:{} (POST /v1/issues){}", host, server.port(),
               hf.enabled ? ", hot folder " + to.hot_folder.incoming.string() : std::string());
  spdlog::info("trigger: signal {}, stopping", service::wait_for_termination());
  running = false;
  server.stop();
  trig.drain(std::chrono::seconds(30));
  return cli::ok;
}

}  // namespace

void register_publish_commands(CLI::App& root, cli::dispatcher& dispatch) {
  auto args = std::make_shared<publish_args>();
  auto* publish = root.add_subcommand(
      "publish",
      "Split issue files and publish them, each issue (articles + manifest) whole inside one Kafka transaction "
      "(the files share transactions, producer.max_issues_per_transaction per transaction). "
      "An issue whose articles are already on the topic unchanged is not published again (--force to override); "
      "a corrected issue publishes its changed articles as new revisions and a new manifest.");
  cli::add_config_option(publish, args->config_path);
  publish->add_option("FILE", args->files, "issue files (UTF-8 or GB18030 text)")->required()->check(CLI::ExistingFile);
  publish->add_option("--paper", args->paper, "paper code override (default: from the masthead)");
  publish->add_option("--date", args->date, "issue date override, YYYY-MM-DD");
  publish->add_option("--instance", args->instance,
                      "publisher instance name; transactional.id = <prefix>-<instance> (default: cli-<hostname>)");
  publish->add_flag("--force", args->force, "publish even if the topic already holds the same articles");
  publish->add_flag("--json", args->as_json, "print the outcome as JSON");
  dispatch.on(publish, [args] { return run_publish(*args); });

  auto config_path = std::make_shared<std::string>();
  auto listen = std::make_shared<std::string>();
  auto instance = std::make_shared<std::string>();
  auto* trig = root.get_subcommand("serve")->add_subcommand(
      "trigger",
      "The newsroom trigger: HTTP POST /v1/issues (bearer token from producer.trigger.token_env) and the hot folder "
      "(producer.hot_folder); both publish through one pipeline. GET /v1/issues/{id} reports status.");
  cli::add_config_option(trig, *config_path);
  trig->add_option("--listen", *listen, "HOST:PORT to listen on (default: producer.trigger.listen)");
  trig->add_option("--instance", *instance, "publisher instance name (default: trigger-<hostname>)");
  auto metrics_listen = std::make_shared<std::string>();
  auto* metrics_opt = trig->add_option(
      "--metrics-listen", *metrics_listen,
      "HOST:PORT for /metrics, /healthz, /readyz (default: observability.metrics.trigger; \"\" = off)");
  dispatch.on(trig, [=] {
    return run_trigger(*config_path, *listen, *instance, metrics_opt->count() > 0 ? metrics_listen.get() : nullptr);
  });
}

}  // namespace syn::producer
