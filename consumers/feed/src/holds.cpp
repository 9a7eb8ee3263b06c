// Draft grouping across batches: the held table's side of the feed sink's plan (feed_plan.hpp).

#include <spdlog/spdlog.h>

#include <algorithm>
#include <limits>

#include "feed_plan.hpp"
#include "syn/core/log.hpp"

namespace syn::feed::detail {

using syndication::v1::Article;

void hold_articles(state_store& state, const std::string& account, const std::string& source,
                   const group& g) {
  std::vector<const Article*> arts;
  for (const auto* m : g.members) arts.push_back(m->article);
  state.hold(account, source, arts);
}

namespace {

/// An account that takes whole issues (no page, kicker or headline filter; papers and languages
/// select whole issues) has all of an issue once it stored `issue_article_count` of its articles
/// in each language it got them in. Translations come one job per transaction, so an issue's can
/// arrive in different batches: until the rest is in, or the grace window has passed, the group
/// waits like the trailing issue of a full batch. (Asking the state db for every group slowed the
/// throughput run, BENCHMARKS.md: only a short group asks.)
bool incomplete(const group& g, state_store& state, const config::feed_config& cfg,
                const hold_settings& settings) {
  if (settings.batch_size == 0) return false;
  const auto& acc = cfg.accounts[g.account];
  const auto& r = acc.rules;
  if (!r.pages.empty() || !r.kickers.empty() || !r.headline_keywords.empty()) return false;
  struct tally {
    std::uint32_t wanted = 0;  ///< articles in the issue
    std::uint32_t here = 0;    ///< of them in the group
  };
  std::map<std::string, tally> by_language;
  for (const auto* m : g.members) {
    auto& t = by_language[m->article->language()];
    t.wanted = std::max(t.wanted, m->article->issue_article_count());
    ++t.here;
  }
  // The group itself holds the whole issue (originals, in one transaction): no query.
  return std::any_of(by_language.begin(), by_language.end(), [&](const auto& l) {
    const auto& t = l.second;
    return t.here < t.wanted && state.issue_articles(acc.name, g.issue, l.first) < t.wanted;
  });
}

}  // namespace

void merge_held(batch_plan& plan, state_store& state, const config::feed_config& cfg,
                const hold_settings& settings, const std::function<bool(const std::string&)>& add_paused,
                std::int64_t now_ms) {
  auto& groups = plan.groups;
  auto& has_held = plan.has_held;
  auto& hold_group = plan.hold_group;
  has_held.assign(groups.size(), 0);
  hold_group.assign(groups.size(), 0);
  std::map<std::string, std::size_t> account_index;
  for (std::size_t i = 0; i < cfg.accounts.size(); ++i) account_index[cfg.accounts[i].name] = i;
  // Held groups past the grace window are pushed in any case.
  const auto overdue = state.held_groups(settings.flush_all ? std::numeric_limits<std::int64_t>::max()
                                                            : now_ms - settings.hold_grace.count());
  // A partition's records come in order: once a batch carries more of a partition, an issue
  // held from it is either continued in this batch or complete (unless it is again the
  // trailing issue of a full batch).
  std::vector<std::pair<std::string, std::string>> from_batch_sources;
  for (const auto& [source, issue] : plan.last) {
    for (auto& g : state.held_groups_from(source)) from_batch_sources.push_back(std::move(g));
  }
  std::set<std::pair<std::string, std::size_t>> due;
  auto add_group = [&](const std::string& account, const std::string& issue, bool overdue_group) {
    const auto ai = account_index.find(account);
    if (ai == account_index.end() || cfg.accounts[ai->second].app_id.empty()) {
      state.release(account, issue);  // the account is gone from the config, or is feed-only now
      return;
    }
    if (add_paused(account)) return;  // waits for the quota reset, held
    if (overdue_group) due.emplace(issue, ai->second);
    if (plan.group_of.emplace(std::make_pair(issue, ai->second), groups.size()).second) {
      groups.push_back({ai->second, issue, {}});
      has_held.push_back(0);
      hold_group.push_back(0);
    }
  };
  for (const auto& [account, issue] : overdue) add_group(account, issue, true);
  for (const auto& [account, issue] : from_batch_sources) add_group(account, issue, false);
  for (std::size_t gi = 0; gi < groups.size(); ++gi) {
    auto& g = groups[gi];
    const auto& acc = cfg.accounts[g.account];
    for (auto& h : state.held(acc.name, g.issue)) {
      has_held[gi] = 1;
      if (state.pushed(acc.name, h.id(), h.content_sha256()) ||
          state.superseded(acc.name, h.id(), h.content_sha256())) {
        continue;
      }
      // An article of the batch is the same or a later record of it: the batch's one wins.
      if (std::any_of(g.members.begin(), g.members.end(),
                      [&](const item* m) { return m->article->id() == h.id(); })) {
        continue;
      }
      plan.held_articles.push_back(std::move(h));
      plan.held_items.push_back(
          {no_record, &plan.held_articles.back(), plan.held_articles.back().content_sha256()});
      g.members.push_back(&plan.held_items.back());
    }
    if (due.count({g.issue, g.account}) == 0 &&
        (plan.trailing.count(g.issue) != 0 || incomplete(g, state, cfg, settings))) {
      hold_group[gi] = 1;
    }
    if (!g.members.empty() && add_paused(acc.name)) hold_group[gi] = 1;
    if (has_held[gi] != 0 && g.members.empty()) state.release(acc.name, g.issue);  // all pushed before
  }
  for (std::size_t gi = 0; gi < groups.size(); ++gi) {
    if (hold_group[gi] == 0) continue;
    const auto& account = cfg.accounts[groups[gi].account].name;
    hold_articles(state, account, plan.source(groups[gi].issue), groups[gi]);
    log::get("feed").debug("issue {} held for account {} ({} articles): it may continue in the next batch",
                           groups[gi].issue, account, groups[gi].members.size());
  }
}

}  // namespace syn::feed::detail
