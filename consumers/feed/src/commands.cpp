#include "syn/feed/commands.hpp"

#include <pthread.h>
#include <spdlog/spdlog.h>

#include <condition_variable>
#include <csignal>
#include <ctime>
#include <iostream>
#include <memory>
#include <mutex>
#include <thread>

#include "syn/core/blob_store.hpp"
#include "syn/core/config.hpp"
#include "syn/core/http_client.hpp"
#include "syn/core/http_server.hpp"
#include "syn/core/log.hpp"
#include "syn/core/service.hpp"
#include "syn/feed/callback.hpp"
#include "syn/feed/feed_server.hpp"
#include "syn/feed/publish_poller.hpp"
#include "syn/feed/state.hpp"

namespace syn::feed {
namespace {

struct serve_args {
  std::string config_path;
  state_args state;
  std::string listen;         ///< overrides feed.server.listen
  std::string nonce_journal;  ///< the callback's nonces; empty: <state.path>.nonces
};

int serve_feeds(const serve_args& args) {
  // A config_error goes to the dispatcher, which reports every problem as the other commands do.
  const config::root cfg = config::load(args.config_path);
  service::setup_logging(cfg.observability);
  std::pair<std::string, std::uint16_t> where;
  try {
    where = service::split_host_port(args.listen.empty() ? cfg.feed.server.listen : args.listen);
  } catch (const std::invalid_argument& e) {
    cli::print_error(e.what());
    return cli::exit_code::bad_input;
  }
  state_backend state_at;
  try {
    state_at = args.state.where(cfg.feed.state);
  } catch (const std::invalid_argument& e) {
    cli::print_error(e.what());
    return cli::exit_code::bad_input;
  }
  auto state = std::make_shared<state_store>(state_at);
  feed_server_options fo;
  fo.public_base_url = cfg.feed.server.public_base_url;
  for (const auto& a : cfg.feed.accounts) {
    fo.accounts.push_back(a.name);
    if (auto token = a.callback_token.resolve(); token && !token->empty())
      fo.callback_tokens[a.name] = *token;
    if (auto key = a.encoding_aes_key.resolve(); key && !key->empty()) fo.encoding_aes_keys[a.name] = *key;
    if (!a.app_id.empty()) fo.app_ids[a.name] = a.app_id;
  }
  // Beside the SQLite state db: the nonces of the last callback window survive a restart. On a
  // PostgreSQL state each instance keeps its own file (--nonce-journal; docs/FEED.md).
  fo.callback_nonce_file =
      args.nonce_journal.empty() ? args.state.sqlite_path(cfg.feed.state) + ".nonces" : args.nonce_journal;
  // The photos (issue 18): served from the blob store the producer filled.
  auto blobs = blob::open(cfg.blobs);
  if (!blobs) {
    cli::print_error("blobs: " + blobs.error().to_string());
    return cli::exit_code::bad_input;
  }
  fo.blobs = std::move(blobs.value());

  // Block the stop signals before the server's threads start so only sigwait() sees them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  http::server_options so;
  so.address = where.first;
  so.port = where.second;
  http::handler handler;
  try {
    handler = make_feed_handler(state, fo);
  } catch (const std::invalid_argument& e) {
    // A malformed EncodingAESKey: say which account and variable, before listening.
    cli::print_error(std::string("feed.accounts: ") + e.what());
    return cli::exit_code::bad_input;
  }
  // The server takes no body larger than a callback message: 413 from the Content-Length alone.
  so.body_limit = callback::xml_limits{}.max_bytes;
  http::server server(so, std::move(handler), make_feed_authoriser(fo));

  // The freepublish/get fallback (publish_poller.hpp): a pass a minute for the pushed accounts.
  std::map<std::string, wechat::credentials> pushed;
  for (const auto& a : cfg.feed.accounts) {
    if (a.app_id.empty()) continue;
    if (auto secret = a.app_secret.resolve()) pushed[a.name] = {a.app_id, *secret};
  }
  std::mutex poll_mu;
  std::condition_variable poll_cv;
  bool stopping = false;
  std::thread poll_thread;
  if (!pushed.empty()) {
    wechat::client_options wo;
    wo.api_base_url = cfg.feed.api_base_url;
    wo.request_timeout = cfg.feed.request_timeout;
    http::client_options ho;
    ho.default_timeout = cfg.feed.request_timeout;
    auto client =
        std::make_shared<wechat::client>(std::move(wo), std::make_shared<http::client>(std::move(ho)));
    poll_thread = std::thread([&, poller = std::make_shared<publish_poller>(state, client, pushed)] {
      std::unique_lock lock(poll_mu);
      while (!poll_cv.wait_for(lock, std::chrono::minutes(1), [&] { return stopping; })) {
        lock.unlock();
        try {
          const int calls = poller->poll_once(static_cast<std::int64_t>(std::time(nullptr)));
          log::get("feed-server").debug("publish poll: {} freepublish/get call(s)", calls);
        } catch (const std::exception& e) {
          log::get("feed-server").error("publish poll: {}", e.what());
        }
        lock.lock();
      }
    });
  }
  log::get("feed-server")
      .info("listening on {}:{} state={} public_base_url={}", where.first, server.port(), state->path(),
            fo.public_base_url);
  int sig = 0;
  sigwait(&stop_signals, &sig);
  log::get("feed-server").info("signal {}, stopping", sig);
  {
    const std::lock_guard lock(poll_mu);
    stopping = true;
  }
  poll_cv.notify_all();
  if (poll_thread.joinable()) poll_thread.join();
  server.stop();
  return cli::exit_code::ok;
}

}  // namespace

state_backend state_args::where(const config::feed_state_config& cfg) const {
  auto where = state_backend_of(backend.value_or(std::string(config::to_string(cfg.backend))),
                                sqlite_path(cfg), pg_env.value_or(cfg.postgres.conninfo.env));
  where.schema = cfg.postgres.schema;
  return where;
}

void add_state_options(CLI::App* sub, state_args& args) {
  sub->add_option("--state", args.path,
                  "the feed state database file (backend sqlite; default: feed.state.sqlite.path)");
  sub->add_option(
         "--state-backend", args.backend,
         "sqlite (one host) or postgres (several `consume feed` / `serve feeds` instances); default: "
         "feed.state.backend")
      ->check(CLI::IsMember({"sqlite", "postgres"}));
  sub->add_option("--state-pg-env", args.pg_env,
                  "environment variable holding the PostgreSQL conninfo (backend postgres; default: "
                  "feed.state.postgres.conninfo_env)");
}

void register_commands(CLI::App& root, cli::dispatcher& dispatch) {
  register_consume_command(root, dispatch);
  register_feed_command(root, dispatch);

  auto args = std::make_shared<serve_args>();
  auto* serve = root.get_subcommand("serve")->add_subcommand(
      "feeds",
      "Serve the feed pages, RSS 2.0, JSON Feed 1.1 and Atom (/feeds/<account>, /feeds/<account>.xml, .json, "
      ".atom, /articles/<id>)");
  cli::add_config_option(serve, args->config_path);
  add_state_options(serve, args->state);
  serve->add_option("--listen", args->listen, "host:port to listen on (default: feed.server.listen)");
  serve->add_option("--nonce-journal", args->nonce_journal,
                    "file keeping the WeChat callback's nonces of the last 300 s across restarts (default: "
                    "<state>.nonces)");
  dispatch.on(serve, [args] { return serve_feeds(*args); });
}

}  // namespace syn::feed
