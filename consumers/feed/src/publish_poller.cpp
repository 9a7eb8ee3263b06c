#include "syn/feed/publish_poller.hpp"

#include <spdlog/spdlog.h>

#include "syn/core/log.hpp"
#include "syn/feed/state.hpp"

namespace syn::feed {

publish_poller::publish_poller(std::shared_ptr<state_store> state, std::shared_ptr<wechat::client> client,
                               std::map<std::string, wechat::credentials> accounts,
                               publish_poll_options options)
    : state_(std::move(state)),
      client_(std::move(client)),
      accounts_(std::move(accounts)),
      options_(options) {}

int publish_poller::poll_once(std::int64_t now_s) {
  const std::lock_guard lock(mu_);
  const std::int64_t day = now_s / 86400;
  int made = 0;
  for (const auto& [account, publish_id] : state_->unsettled_publishes(now_s - options_.after.count())) {
    const auto creds = accounts_.find(account);
    if (creds == accounts_.end()) continue;
    auto& [spent_day, spent] = spent_[account];
    if (spent_day != day) spent_day = day, spent = 0;
    if (spent >= options_.daily_budget) {
      log::get("wechat").warn(
          "wechat publish {}: freepublish/get budget of {} calls today spent; publish_id {} waits", account,
          options_.daily_budget, publish_id);
      continue;
    }
    ++spent, ++calls_, ++made;
    state_->touch_publish(publish_id);
    auto r = client_->get_publish(creds->second, publish_id);
    if (!r) {
      log::get("wechat").warn("wechat publish {}: freepublish/get {}: {}", account, publish_id,
                              r.error().message());
      continue;
    }
    if (r.value().status == 1) continue;  // still publishing: asked again after `after`
    publish_result res;
    res.publish_id = publish_id, res.status = r.value().status, res.article_id = r.value().article_id;
    res.source = "poll";
    if (!state_->record_publish_result(res)) {
      log::get("wechat").warn("wechat publish {}: publish_id {} names no draft in the feed state", account,
                              publish_id);
    }
    spdlog::log(res.status == 0 ? spdlog::level::info : spdlog::level::warn,
                "wechat publish {}: publish_id {} {} (publish_status {}, from freepublish/get)", account,
                publish_id, publish_status_name(res.status), res.status);
  }
  return made;
}

std::uint64_t publish_poller::calls() const {
  const std::lock_guard lock(mu_);
  return calls_;
}

}  // namespace syn::feed
