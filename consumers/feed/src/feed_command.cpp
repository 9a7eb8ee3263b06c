// `syndicate feed status | quota reset ACCOUNT | repost ACCOUNT ARTICLE...`: the operator's view of
// the WeChat accounts and the two acts that change what is posted (docs/FEED.md "Quotas",
// "Re-posting", docs/RUNBOOK.md). Acts are dry runs unless --execute, as `replay` and `dlq` are,
// and each one that is executed is written to the state db's operator_actions and the log.
#include <spdlog/spdlog.h>

#include <chrono>
#include <filesystem>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "clock.hpp"
#include "syn/core/config.hpp"
#include "syn/core/http_client.hpp"
#include "syn/core/log.hpp"
#include "syn/core/service.hpp"
#include "syn/feed/commands.hpp"
#include "syn/feed/feed_sink.hpp"
#include "syn/feed/state.hpp"
#include "syn/feed/wechat.hpp"

namespace syn::feed {
namespace {

using json = nlohmann::json;

struct feed_args {
  std::string config_path;
  state_args state;
  bool json_out = false;
  bool offline = false;  ///< status: no openapi/quota/get calls
  bool execute = false;
  std::string account;
  std::vector<std::string> articles;
};

using detail::now_ms;

std::shared_ptr<wechat::client> make_client(const config::feed_config& f) {
  wechat::client_options wo;
  wo.api_base_url = f.api_base_url;
  wo.request_timeout = f.request_timeout;
  wo.retry.max_attempts = 2;
  http::client_options ho;
  ho.default_timeout = f.request_timeout;
  return std::make_shared<wechat::client>(std::move(wo), std::make_shared<http::client>(std::move(ho)));
}

const config::feed_account* find_account(const config::root& cfg, const std::string& name) {
  for (const auto& a : cfg.feed.accounts) {
    if (a.name == name) return &a;
  }
  return nullptr;
}

std::string utc(std::int64_t ms) {
  const std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

/// The state db of `consume feed`; a missing SQLite file is an error (opening would create an
/// empty one).
std::unique_ptr<state_store> open_state(const state_args& args, const config::feed_state_config& cfg) {
  const state_backend where = args.where(cfg);
  if (where.kind == state_backend::sqlite && !std::filesystem::exists(where.path)) {
    throw std::runtime_error("feed state " + where.path + ": no such file (give `consume feed`'s --state)");
  }
  return std::make_unique<state_store>(where);
}

int status(const feed_args& args) {
  const config::root cfg = config::load(args.config_path);
  auto owned = open_state(args.state, cfg.feed.state);
  auto& state = *owned;
  const auto now = now_ms();
  const auto day = quota_day(now, cfg.feed.quota_reset_utc_minute);
  auto client = args.offline ? nullptr : make_client(cfg.feed);
  json doc{{"quota_day", day},
           {"next_reset", utc(next_quota_reset_ms(now, cfg.feed.quota_reset_utc_minute))},
           {"accounts", json::array()}};
  for (const auto& a : cfg.feed.accounts) {
    json acc{{"account", a.name}, {"app_id", a.app_id}};
    if (a.app_id.empty()) {
      acc["pushed"] = false;
      doc["accounts"].push_back(std::move(acc));
      continue;
    }
    acc["pushed"] = true;
    json calls = json::object();
    for (const auto& c : state.calls_on(a.name, day)) calls[c.api] = {{"ok", c.ok}, {"refused", c.refused}};
    acc["today"] = calls;
    json paused = json::array();
    for (const auto& p : state.quota_pauses(a.name)) {
      if (p.until_ms <= now) continue;
      paused.push_back(
          {{"api", p.api}, {"until", utc(p.until_ms)}, {"errcode", p.errcode}, {"since", utc(p.since_ms)}});
    }
    acc["paused"] = paused;
    acc["drafts_waiting"] = state.drafts_waiting(a.name).size();
    json errors = json::array();
    for (const auto& [at, msg] : state.last_errors(a.name))
      errors.push_back({{"at", utc(at * 1000)}, {"error", msg}});
    acc["last_errors"] = errors;
    if (client) {
      json left = json::object();
      const auto secret = a.app_secret.resolve();
      for (const char* api : {"draft/add", "freepublish/submit"}) {
        if (!secret || secret->empty()) {
          left[api] = "unknown: " + (a.app_secret.env.empty() ? std::string("no app_secret_env")
                                                              : a.app_secret.env + " is not set");
          continue;
        }
        auto q = client->get_quota({a.app_id, *secret}, std::string("/cgi-bin/") + api);
        if (q) {
          left[api] = {
              {"daily_limit", q.value().daily_limit}, {"used", q.value().used}, {"remain", q.value().remain}};
        } else {
          left[api] = "unknown: " + q.error().message();
        }
      }
      acc["quota"] = left;
    }
    doc["accounts"].push_back(std::move(acc));
  }
  if (args.json_out) {
    std::cout << doc.dump(2) << '\n';
    return cli::exit_code::ok;
  }
  std::cout << "quota day " << day << " (next reset " << doc["next_reset"].get<std::string>() << ")\n";
  for (const auto& acc : doc["accounts"]) {
    std::cout << acc["account"].get<std::string>();
    if (!acc["pushed"].get<bool>()) {
      std::cout << ": feed only (no app_id)\n";
      continue;
    }
    std::cout << " (" << acc["app_id"].get<std::string>() << ")";
    if (acc["paused"].empty()) {
      std::cout << ": flowing";
    } else {
      std::cout << ": PAUSED";
      for (const auto& p : acc["paused"]) {
        std::cout << " " << p["api"].get<std::string>() << " until " << p["until"].get<std::string>();
      }
    }
    std::cout << "; drafts waiting to be submitted: " << acc["drafts_waiting"].get<std::size_t>() << "\n";
    for (const auto& [api, c] : acc["today"].items()) {
      std::cout << "  today " << api << ": " << c["ok"] << " ok, " << c["refused"]
                << " refused by the quota\n";
    }
    if (acc.contains("quota")) {
      for (const auto& [api, q] : acc["quota"].items()) {
        std::cout << "  quota left " << api << ": "
                  << (q.is_object() ? std::to_string(q["remain"].get<long long>()) + " of " +
                                          std::to_string(q["daily_limit"].get<long long>())
                                    : q.get<std::string>())
                  << "\n";
      }
    }
    for (const auto& e : acc["last_errors"]) {
      std::cout << "  error " << e["at"].get<std::string>() << ": " << e["error"].get<std::string>() << "\n";
    }
  }
  return cli::exit_code::ok;
}

int quota_reset(const feed_args& args) {
  const config::root cfg = config::load(args.config_path);
  const auto* acc = find_account(cfg, args.account);
  if (acc == nullptr || acc->app_id.empty()) {
    cli::print_error("feed quota reset: no pushed account '" + args.account + "' in " + args.config_path);
    return cli::exit_code::bad_input;
  }
  const auto secret = acc->app_secret.resolve();
  if (!secret || secret->empty()) {
    cli::print_error("feed quota reset " + acc->name + ": the app secret (" + acc->app_secret.env +
                     ") is not set");
    return cli::exit_code::bad_input;
  }
  auto owned = open_state(args.state, cfg.feed.state);
  auto& state = *owned;
  const auto pauses = state.quota_pauses(acc->name);
  if (!args.execute) {
    std::cout << "dry run: would call clear_quota for " << acc->app_id
              << " (the platform allows 10 a month) and resume " << acc->name << " (" << pauses.size()
              << " paused API(s), " << state.drafts_waiting(acc->name).size()
              << " draft(s) waiting); add --execute to do it\n";
    return cli::exit_code::ok;
  }
  auto client = make_client(cfg.feed);
  auto r = client->clear_quota({acc->app_id, *secret});
  if (!r) {
    cli::print_error("feed quota reset " + acc->name + ": " + r.error().message());
    return cli::exit_code::failure;
  }
  const auto cleared = state.clear_quota_pauses(acc->name);
  const std::string detail =
      "clear_quota " + acc->app_id + " ok; " + std::to_string(cleared) + " pause(s) cleared";
  state.log_action("quota reset", acc->name, detail);
  log::get("feed").warn("operator: quota reset account={} {}", acc->name, detail);
  std::cout << acc->name << ": " << detail << "; a running `consume feed` resumes it within a second\n";
  return cli::exit_code::ok;
}

int repost(const feed_args& args) {
  const config::root cfg = config::load(args.config_path);
  const auto* acc = find_account(cfg, args.account);
  if (acc == nullptr) {
    cli::print_error("feed repost: no account '" + args.account + "' in " + args.config_path);
    return cli::exit_code::bad_input;
  }
  auto owned = open_state(args.state, cfg.feed.state);
  auto& state = *owned;
  const auto writer = state.lock_writer();  // not in the middle of a consumer's batch
  std::size_t total = 0;
  for (const auto& id : args.articles) {
    std::size_t drafts = 0;
    for (const auto& d : state.drafts(acc->name)) {
      for (const auto& a : d.articles) {
        if (a.article_id == id) {
          ++drafts;
          std::cout << id << ": in draft " << d.media_id << " (" << d.status << ")\n";
          break;
        }
      }
    }
    if (drafts == 0) std::cout << id << ": not in the ledger of " << acc->name << "\n";
    if (!args.execute) continue;
    const auto n = state.forget_pushed(acc->name, id);
    total += n;
    state.log_action("repost", acc->name, id + ": " + std::to_string(n) + " ledger row(s) forgotten");
    log::get("feed").warn("operator: repost account={} article={} rows={}", acc->name, id, n);
  }
  if (!args.execute) {
    std::cout << "dry run: nothing changed; add --execute to let the next delivery of these articles post "
                 "them again\n";
    return cli::exit_code::ok;
  }
  std::cout
      << total
      << " ledger row(s) forgotten; the articles are posted again as new drafts when they are delivered "
         "again: `syndicate replay` the articles topic, or `syndicate publish --force` the issue\n";
  return cli::exit_code::ok;
}

}  // namespace

void register_feed_command(CLI::App& root, cli::dispatcher& dispatch) {
  auto args = std::make_shared<feed_args>();
  auto* feed = root.add_subcommand("feed", "The WeChat accounts: status, daily quotas, re-posting")
                   ->require_subcommand(1);
  auto common = [&](CLI::App* sub) {
    cli::add_config_option(sub, args->config_path);
    add_state_options(sub, args->state);
  };
  auto* st = feed->add_subcommand(
      "status",
      "Per account: paused APIs and until when, drafts waiting, today's calls, quota left "
      "(openapi/quota/get), last errors");
  common(st);
  st->add_flag("--json", args->json_out, "JSON output");
  st->add_flag("--offline", args->offline, "do not ask the platform for the quota left");
  dispatch.on(st, [args] { return status(*args); });

  auto* quota = feed->add_subcommand("quota", "Daily API quotas")->require_subcommand(1);
  auto* reset = quota->add_subcommand("reset",
                                      "Call clear_quota for the account's AppID (10 a month) and resume its "
                                      "paused pushes (dry run unless --execute)");
  common(reset);
  reset->add_option("account", args->account, "the account (feed.accounts[].name)")->required();
  reset->add_flag("--execute", args->execute, "do it");
  dispatch.on(reset, [args] { return quota_reset(*args); });

  auto* rp =
      feed->add_subcommand("repost",
                           "Let articles already posted to an account be posted again on their next delivery "
                           "(dry run unless --execute; logged)");
  common(rp);
  rp->add_option("account", args->account, "the account (feed.accounts[].name)")->required();
  rp->add_option("articles", args->articles, "article ids")->required();
  rp->add_flag("--execute", args->execute, "do it");
  dispatch.on(rp, [args] { return repost(*args); });
}

}  // namespace syn::feed
