#include "syn/translation/commands.hpp"

#include <atomic>
#include <csignal>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "syn/core/config.hpp"
#include "syn/core/instance.hpp"
#include "syn/core/log.hpp"
#include "syn/core/runner.hpp"
#include "syn/core/service.hpp"
#include "syn/core/transform.hpp"
#include "syn/translation/roles.hpp"

namespace syn::translation {
namespace {

std::atomic<bool> g_stop{false};
extern "C" void on_stop_signal(int) { g_stop = true; }

struct args {
  std::string config_path;
  std::string instance;
  bool until_idle = false;
  std::string done_store_path;
  std::optional<std::string> metrics_listen;  ///< --metrics-listen; unset: config, or off with --until-idle
};

/// Serves /metrics (the transactional loop's counters), /healthz and /readyz while it lives.
std::unique_ptr<http::server> serve_role_metrics(const args& a, const std::string& configured,
                                                 const std::string& role, runner::stats& stats,
                                                 std::function<std::string()> more = {}) {
  return service::serve_metrics(
      service::metrics_address(a.metrics_listen, a.until_idle, configured), role,
      [&stats, role, more = std::move(more)] {
        return runner::prometheus_text(stats, role) + (more ? more() : "");
      },
      [&stats] { return !g_stop.load() && !stats.kafka_problem(); });
}

/// articles -> translation jobs.
int run_jobs(const args& a) {
  const config::root cfg = config::load(a.config_path);
  service::setup_logging(cfg.observability);
  transform::options o = job_options(cfg);
  const auto lease = instance::acquire("translation", a.instance);  // held while the role runs
  o.transactional_id = cfg.kafka.transactional_id_prefix + "-translation-" + lease.id();
  o.stop_when_idle = a.until_idle;
  runner::stats stats;
  o.stats = &stats;
  const auto metrics = serve_role_metrics(a, cfg.observability.metrics.translation, "translation", stats);
  std::signal(SIGINT, on_stop_signal);
  std::signal(SIGTERM, on_stop_signal);
  return transform::run(cfg.kafka, o, job_step(cfg, o.group_id), g_stop);
}

/// translation jobs -> translated articles.
int run_translate(const args& a) {
  const config::root cfg = config::load(a.config_path);
  service::setup_logging(cfg.observability);
  translator tr(cfg, {.group_id = {}, .done_store_path = a.done_store_path, .stop = &g_stop});
  runner::stats stats;
  transform::options o = tr.loop_options(&stats);
  const auto lease = instance::acquire("translator", a.instance);  // held while the role runs
  o.transactional_id = cfg.kafka.transactional_id_prefix + "-translator-" + lease.id();
  log::get("translator").info("instance {} (transactional.id {})", lease.id(), o.transactional_id);
  o.stop_when_idle = a.until_idle;
  const auto metrics = serve_role_metrics(a, cfg.observability.metrics.translator, "translator", stats,
                                          [&tr] { return tr.metrics_text(); });
  std::signal(SIGINT, on_stop_signal);
  std::signal(SIGTERM, on_stop_signal);
  const int rc = transform::run(
      cfg.kafka, o, transform::step_fn([&tr](const kafka::message& m) { return tr.step(m); }), g_stop);
  log::get("translator")
      .info("{} job(s) translated; {} job(s) skipped as already done", tr.translated(), tr.skipped());
  return rc;
}

void add_common(CLI::App* sub, args& a) {
  cli::add_config_option(sub, a.config_path);
  sub->add_option(
      "--instance", a.instance,
      "instance name in the transactional.id (default: $SYNDICATE_INSTANCE, else <hostname>-<N>, N the "
      "lowest slot no other process of this role on this host holds)");
  sub->add_flag("--until-idle", a.until_idle, "exit 0 after 5 s without records (batch jobs, tests)");
  sub->add_option(
      "--metrics-listen", a.metrics_listen,
      "HOST:PORT for /metrics, /healthz, /readyz (default: observability.metrics.<role>, off with "
      "--until-idle; \"\" = off)");
}

}  // namespace

void register_commands(CLI::App& root, cli::dispatcher& dispatch) {
  auto jobs_args = std::make_shared<args>();
  auto* consume = root.get_subcommand("consume")->add_subcommand(
      "translation",
      "Turn each original article into one TranslationJob per matching target language (consumer group "
      "consumers.groups.translation). Exactly once: jobs and consumed offsets commit in one Kafka "
      "transaction.");
  add_common(consume, *jobs_args);
  dispatch.on(consume, [jobs_args] { return run_jobs(*jobs_args); });

  auto tr_args = std::make_shared<args>();
  auto* translate = root.add_subcommand("translate",
                                        "Run translation jobs with the configured engine per language "
                                        "(OpenCC offline, LibreTranslate-compatible "
                                        "HTTP) and publish the translated articles (consumer group "
                                        "consumers.groups.translator; exactly once).");
  add_common(translate, *tr_args);
  tr_args->done_store_path = "var/translation-done.db";
  translate
      ->add_option(
          "--done-store", tr_args->done_store_path,
          "SQLite index of jobs already done (rebuilt from the translated topic when lost; \"\" disables)")
      ->capture_default_str();
  dispatch.on(translate, [tr_args] { return run_translate(*tr_args); });
}

}  // namespace syn::translation
