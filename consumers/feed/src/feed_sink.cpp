#include "syn/feed/feed_sink.hpp"

#include "http_client.hpp"
#include "syn/core/metrics.hpp"
#include "syn/core/sha256.hpp"
#include "syn/feed/pages.hpp"
#include "syn/feed/routing.hpp"
#include "syn/feed/state.hpp"
#include "syn/feed/wechat.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <atomic>
#include <deque>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <thread>

namespace syn::feed {
namespace {

using syndication::v1::Article;

struct item {
  std::size_t index;  ///< into the batch; `no_record` for an article held from an earlier batch
  const Article* article;
  std::string sha;
};

constexpr std::size_t no_record = static_cast<std::size_t>(-1);

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

/// Outcome of pushing one group.
struct group_failure {
  bool transient = false;
  std::string reason;
};

std::string draft_key(const draft& d) {
  std::string s;
  for (const auto& a : d.articles) {
    s += a.content_source_url;
    s += '\n';
    s += a.content_sha256;
    s += '#';
    s += std::to_string(a.part);
    s += '\n';
  }
  return sha256_hex(s);
}

}  // namespace

struct feed_sink::impl {
  impl(config::feed_config c, feed_sink_options o) : cfg(std::move(c)), opt(std::move(o)) {
    state = std::make_unique<state_store>(opt.state_path, false, opt.durable);
    client = opt.client;
    if (!client) {
      wechat::client_options wo;
      wo.api_base_url = cfg.api_base_url;
      wo.request_timeout = cfg.request_timeout;
      wo.retry = opt.call_retry.value_or(cfg.retry);
      wo.retry_budget = opt.call_retry_budget;
      http::client_options ho;
      ho.default_timeout = cfg.request_timeout;
      client = std::make_shared<wechat::client>(std::move(wo), std::make_shared<http::client>(std::move(ho)));
    }
  }

  config::feed_config cfg;
  feed_sink_options opt;
  std::unique_ptr<state_store> state;
  std::shared_ptr<wechat::client> client;
  struct atomic_counters {
    std::atomic<std::uint64_t> articles_seen{0}, articles_pushed{0}, articles_skipped{0}, drafts_added{0},
        drafts_submitted{0}, rejected{0}, held_dead_lettered{0};
  } stats;
  /// Per account (label `account`).
  metrics::counter_family routed, drafts_created, drafts_submitted, failures, retries;
  static metrics::labels of(const config::feed_account& acc) { return {{"account", acc.name}}; }

  struct cover_file {
    std::filesystem::file_time_type mtime;
    std::uintmax_t size = 0;
    std::string sha;
    std::string bytes;
  };
  std::map<std::string, cover_file> covers;  ///< by path

  compose_options compose_for(const std::string& thumb) const {
    compose_options co;
    co.public_base_url = cfg.server.public_base_url;
    co.max_articles_per_draft = static_cast<std::size_t>(std::max(1, cfg.max_articles_per_draft));
    co.oversize = opt.oversize;
    co.thumb_media_id = thumb;
    co.need_open_comment = opt.need_open_comment;
    co.only_fans_can_comment = opt.only_fans_can_comment;
    return co;
  }

  static group_failure fail(const wechat::error& e) { return {e.retriable(), e.message()}; }

  /// The account's cover as permanent material, uploaded once per (account, file sha256).
  std::variant<std::string, group_failure> cover(const config::feed_account& acc, const wechat::credentials& creds) {
    if (acc.cover_image.empty()) {
      return group_failure{false, "no cover_image configured (WeChat requires a thumb_media_id)"};
    }
    std::error_code ec;
    const auto mtime = std::filesystem::last_write_time(acc.cover_image, ec);
    const auto size = ec ? 0 : std::filesystem::file_size(acc.cover_image, ec);
    if (ec) return group_failure{false, "cover_image " + acc.cover_image + ": " + ec.message()};
    auto& cf = covers[acc.cover_image];
    if (cf.sha.empty() || cf.mtime != mtime || cf.size != size) {
      std::ifstream in(acc.cover_image, std::ios::binary);
      std::ostringstream ss;
      ss << in.rdbuf();
      if (!in && !in.eof()) {
        return group_failure{false, "cannot read cover_image " + acc.cover_image};
      }
      cf.bytes = ss.str();
      cf.sha = sha256_hex(cf.bytes);
      cf.mtime = mtime;
      cf.size = size;
    }
    if (auto id = state->cover_media_id(acc.name, cf.sha)) return *id;
    auto m = client->add_material(creds, std::filesystem::path(acc.cover_image).filename().string(), cf.bytes);
    if (!m) return fail(m.error());
    state->store_cover(acc.name, cf.sha, m.value().media_id, m.value().url);
    spdlog::info("feed: cover uploaded account={} media_id={}", acc.name, m.value().media_id);
    return m.value().media_id;
  }

  std::optional<group_failure> submit(const config::feed_account& acc, const wechat::credentials& creds,
                                      const std::string& media_id) {
    auto t = client->submit_publish(creds, media_id);
    if (!t) return fail(t.error());
    state->record_submitted(media_id, t.value().publish_id, t.value().msg_data_id);
    ++stats.drafts_submitted;
    drafts_submitted.inc(of(acc));
    spdlog::debug("feed: draft submitted account={} media_id={} publish_id={}", acc.name, media_id, t.value().publish_id);
    return std::nullopt;
  }

  /// Pushes one draft; nullopt on success.
  std::optional<group_failure> push(const config::feed_account& acc, const wechat::credentials& creds, const draft& d) {
    const auto key = draft_key(d);
    std::string media_id;
    if (state->is_ambiguous(acc.name, key)) {
      // A previous draft/add timed out after sending: the draft may exist.
      std::vector<std::string> urls;
      for (const auto& a : d.articles) urls.push_back(a.content_source_url);
      auto found = client->find_draft(creds, urls);
      if (!found) return fail(found.error());
      if (found.value()) {
        media_id = *found.value();
        spdlog::info("feed: ambiguous draft/add resolved: draft exists account={} media_id={}", acc.name, media_id);
      }
    }
    if (media_id.empty()) {
      // Remembered before the call, so that a crash between WeChat creating the draft and the
      // ledger recording it makes the next attempt look the draft up instead of adding it twice.
      state->mark_ambiguous(acc.name, key);
      auto added = client->add_draft(creds, d.articles);
      if (!added) {
        if (!added.error().ambiguous()) state->clear_ambiguous(acc.name, key);
        return fail(added.error());
      }
      media_id = added.value();
    }
    draft_record rec;
    rec.media_id = media_id;
    rec.account = acc.name;
    rec.issue_id = d.issue_id;
    rec.status = opt.publish ? "added" : "kept";
    for (const auto& a : d.articles) rec.articles.push_back({a.article_id, a.content_sha256, a.part, a.parts});
    state->record_draft(rec, acc.app_id, key);  // and clears the intent, in one transaction
    ++stats.drafts_added;
    drafts_created.inc(of(acc));
    stats.articles_pushed += d.articles.size();
    if (opt.publish) return submit(acc, creds, media_id);
    return std::nullopt;
  }

  /// With an empty batch (the hold timer, shutdown): pushes the held groups older than the grace
  /// window (`flush_all`: every held group).
  ::syn::sink::verdict write(std::span<const ::syn::sink::envelope> batch, bool flush_all = false) {
    std::map<std::size_t, std::string> rejected;
    auto reject_record = [&](std::size_t i, const std::string& why) {
      auto& r = rejected[i];
      r += (r.empty() ? "" : "; ") + why;
    };
    auto reject = [&](const item& it, const std::string& why) {
      if (it.index != no_record) return reject_record(it.index, why);
      // Held from an earlier batch whose offsets are committed: the runner cannot dead-letter it,
      // so the sink hands it to the dead-letter topic itself.
      ++stats.held_dead_lettered;
      if (opt.dead_letter_held) {
        opt.dead_letter_held(*it.article, why);
      } else {
        spdlog::error("feed: a held article could not be pushed and there is no dead-letter topic: {}: {}",
                      it.article->id(), why);
      }
    };

    // Steps 1-3 read and write the state db many times per article and call no WeChat API (only
    // a dead letter for a held article that failed may wait on Kafka): one transaction, committed
    // before the first WeChat call, so the holds are durable before the offsets are committed.
    state_store::batch_transaction planning(*state);

    // 1. The articles of the batch, routed.
    std::vector<item> items;
    std::vector<std::vector<std::size_t>> routes;
    std::deque<Article> owned;  ///< copies of articles that came without a content hash
    std::map<std::size_t, std::uint64_t> routed_here;  ///< counted once the batch is taken
    for (std::size_t i = 0; i < batch.size(); ++i) {
      const auto* a = std::get_if<Article>(&batch[i].payload);
      if (a == nullptr) continue;  // manifests and translation jobs: nothing to do here
      ++stats.articles_seen;
      if (a->id().empty()) {
        reject_record(i, "feed: article without id");
        continue;
      }
      std::string sha = a->content_sha256();
      if (sha.empty()) {
        // Should not happen (the producer sets it); a hash of the record keeps replays idempotent.
        sha = sha256_hex(a->SerializeAsString());
        owned.push_back(*a);
        owned.back().set_content_sha256(sha);
        a = &owned.back();
      }
      items.push_back({i, a, std::move(sha)});
      routes.push_back(route(*a, cfg.accounts));
      for (const auto idx : routes.back()) ++routed_here[idx];
    }

    // Issues that may continue in the next batch: with a full batch, the issue of each partition's
    // last article (the runner cuts batches by count, so only there can an issue be split).
    // The partitions of the batch (`topic:partition`) and the source of each issue.
    std::set<std::string> trailing;
    std::map<std::string, std::string> source_of;  ///< issue -> source
    std::map<std::string, std::string> last;       ///< source -> issue of its last article
    for (const auto& e : batch) {
      if (const auto* a = std::get_if<Article>(&e.payload)) {
        auto source = std::string(e.topic) + ":" + std::to_string(e.partition);
        source_of.emplace(a->issue_id(), source);
        last[std::move(source)] = a->issue_id();
      }
    }
    if (opt.batch_size > 0 && batch.size() >= opt.batch_size) {
      for (const auto& [source, issue] : last) trailing.insert(issue);
    }

    // 2. Pages and feed entries: every routed account, pushed or not.
    {
      std::vector<state_store::article_to_store> pages;
      for (std::size_t k = 0; k < items.size(); ++k) {
        std::vector<std::string> accounts;
        for (const auto idx : routes[k]) accounts.push_back(cfg.accounts[idx].name);
        if (accounts.empty()) continue;
        const Article& a = *items[k].article;
        // Render only what changed: a replay of the same hash stores nothing new.
        std::string html;
        const auto known = state->article_version(a.id());
        if (!known || known->first != items[k].sha) html = render_article_page(a, known ? known->second + 1 : 1);
        pages.push_back({&a, std::move(html), std::move(accounts)});
      }
      state->store_articles(pages);
    }

    // 3. Groups (issue, account) of what WeChat has not got yet, in order of first appearance.
    struct group {
      std::size_t account;
      std::string issue;
      std::vector<const item*> members;
    };
    std::vector<group> groups;
    std::map<std::pair<std::string, std::size_t>, std::size_t> group_of;
    std::deque<item> held_items;  ///< articles held from earlier batches, merged into their groups
    std::deque<Article> held_articles;
    std::map<std::size_t, std::set<std::string>> pending;  ///< account -> drafts to submit
    for (std::size_t k = 0; k < items.size(); ++k) {
      for (const auto idx : routes[k]) {
        const auto& acc = cfg.accounts[idx];
        if (acc.app_id.empty()) continue;  // served by the feed server only
        if (state->superseded(acc.name, items[k].article->id(), items[k].sha)) {
          ++stats.articles_skipped;
          continue;
        }
        if (state->pushed(acc.name, items[k].article->id(), items[k].sha)) {
          ++stats.articles_skipped;
          if (opt.publish) {
            if (auto d = state->draft_of(acc.name, items[k].article->id(), items[k].sha); d && d->status != "submitted" &&
                                                                                          d->status != "kept") {
              pending[idx].insert(d->media_id);
            }
          }
          continue;
        }
        const auto key = std::make_pair(items[k].article->issue_id(), idx);
        auto [it, fresh] = group_of.emplace(key, groups.size());
        if (fresh) groups.push_back({idx, items[k].article->issue_id(), {}});
        auto& members = groups[it->second].members;
        // The same article twice in a batch (a replay overlapping new records): push it once; of
        // two revisions, the later record wins, and the earlier one is remembered as superseded so
        // that a replay cut into other batches never posts the older text after the newer.
        const auto dup = std::find_if(members.begin(), members.end(), [&](const item* m) {
          return m->article->id() == items[k].article->id();
        });
        if (dup == members.end()) {
          members.push_back(&items[k]);
        } else {
          if ((*dup)->sha != items[k].sha) state->mark_superseded(acc.name, (*dup)->article->id(), (*dup)->sha);
          *dup = &items[k];
        }
      }
    }

    // 3b. Draft grouping across batches. Held articles of an issue join the batch's articles of it;
    // held groups past the grace window are pushed even without new records. An issue that may
    // continue in the next batch is held (durably: the records' offsets may then be committed)
    // instead of pushed, unless it has waited the grace window already.
    std::vector<char> has_held(groups.size(), 0), hold_group(groups.size(), 0);
    if (opt.batch_size > 0) {
      std::map<std::string, std::size_t> account_index;
      for (std::size_t i = 0; i < cfg.accounts.size(); ++i) account_index[cfg.accounts[i].name] = i;
      // Held groups past the grace window are pushed in any case.
      const auto overdue = state->held_groups(flush_all ? std::numeric_limits<std::int64_t>::max()
                                                        : now_ms() - opt.hold_grace.count());
      // A partition's records come in order: once a batch carries more of a partition, an issue
      // held from it is either continued in this batch or complete (unless it is again the
      // trailing issue of a full batch).
      std::vector<std::pair<std::string, std::string>> from_batch_sources;
      for (const auto& [source, issue] : last) {
        for (auto& g : state->held_groups_from(source)) from_batch_sources.push_back(std::move(g));
      }
      std::set<std::pair<std::string, std::size_t>> due;
      auto add_group = [&](const std::string& account, const std::string& issue, bool overdue_group) {
        const auto ai = account_index.find(account);
        if (ai == account_index.end() || cfg.accounts[ai->second].app_id.empty()) {
          state->release(account, issue);  // the account is gone from the config, or is feed-only now
          return;
        }
        if (overdue_group) due.emplace(issue, ai->second);
        if (group_of.emplace(std::make_pair(issue, ai->second), groups.size()).second) {
          groups.push_back({ai->second, issue, {}});
          has_held.push_back(0);
          hold_group.push_back(0);
        }
      };
      for (const auto& [account, issue] : overdue) add_group(account, issue, true);
      for (const auto& [account, issue] : from_batch_sources) add_group(account, issue, false);
      // An account that takes whole issues (no page, kicker or headline filter; papers and
      // languages select whole issues) has all of an issue once it stored `issue_article_count`
      // of its articles in each language it got them in. Translations come one job per
      // transaction, so an issue's can arrive in different batches: until the rest is in, or the
      // grace window has passed, the group waits like the trailing issue of a full batch. (Asking
      // the state db for every group slowed the throughput run, BENCHMARKS.md: only a short group asks.)
      const auto incomplete = [&](const group& g) {
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
          return t.here < t.wanted && state->issue_articles(acc.name, g.issue, l.first) < t.wanted;
        });
      };
      for (std::size_t gi = 0; gi < groups.size(); ++gi) {
        auto& g = groups[gi];
        const auto& acc = cfg.accounts[g.account];
        for (auto& h : state->held(acc.name, g.issue)) {
          has_held[gi] = 1;
          if (state->pushed(acc.name, h.id(), h.content_sha256()) || state->superseded(acc.name, h.id(), h.content_sha256())) {
            continue;
          }
          // An article of the batch is the same or a later record of it: the batch's one wins.
          if (std::any_of(g.members.begin(), g.members.end(), [&](const item* m) { return m->article->id() == h.id(); })) {
            continue;
          }
          held_articles.push_back(std::move(h));
          held_items.push_back({no_record, &held_articles.back(), held_articles.back().content_sha256()});
          g.members.push_back(&held_items.back());
        }
        if (due.count({g.issue, g.account}) == 0 && (trailing.count(g.issue) != 0 || incomplete(g))) hold_group[gi] = 1;
        if (has_held[gi] != 0 && g.members.empty()) state->release(acc.name, g.issue);  // all pushed before
      }
      for (std::size_t gi = 0; gi < groups.size(); ++gi) {
        if (hold_group[gi] == 0) continue;
        std::vector<const Article*> arts;
        for (const auto* m : groups[gi].members) arts.push_back(m->article);
        const auto src = source_of.find(groups[gi].issue);
        state->hold(cfg.accounts[groups[gi].account].name, src == source_of.end() ? std::string() : src->second, arts);
        spdlog::debug("feed: issue {} held for account {} ({} articles): it may continue in the next batch",
                      groups[gi].issue, cfg.accounts[groups[gi].account].name, arts.size());
      }
    }

    planning.commit();

    // A transient failure (45009 quota, -1, 5xx, timeouts) holds back that account only: the other
    // accounts' groups are still pushed and recorded, and the batch is retried for the held one.
    std::vector<char> held(cfg.accounts.size(), 0);
    std::string held_reason;
    auto hold = [&](std::size_t idx, const std::string& why) {
      held[idx] = 1;
      retries.inc(of(cfg.accounts[idx]));
      if (held_reason.empty()) held_reason = "feed account " + cfg.accounts[idx].name + ": " + why;
    };

    // Drafts added earlier whose submission failed: submit them, never add them again.
    for (const auto& [idx, ids] : pending) {
      const auto& acc = cfg.accounts[idx];
      const auto secret = acc.app_secret.resolve();
      if (!secret) continue;  // reported below with the account's groups, if any
      const wechat::credentials creds{acc.app_id, *secret};
      for (const auto& id : ids) {
        if (auto f = submit(acc, creds, id)) {
          if (f->transient) {
            hold(idx, f->reason);
            break;
          }
          failures.inc(of(acc));
          spdlog::error("feed: freepublish/submit failed permanently account={} media_id={} reason=\"{}\"", acc.name, id,
                        f->reason);
        }
      }
    }

    // 4. Credentials and covers, one account at a time (a cover is uploaded once).
    struct job {
      const group* g;
      bool release;  ///< the group had held articles: forget them once its drafts are recorded
      const config::feed_account* acc;
      wechat::credentials creds;
      std::string thumb;
    };
    std::vector<job> jobs;
    for (std::size_t gi = 0; gi < groups.size(); ++gi) {
      const auto& g = groups[gi];
      if (held[g.account] != 0 || hold_group[gi] != 0 || g.members.empty()) continue;
      const auto& acc = cfg.accounts[g.account];
      auto reject_group = [&](const std::string& why) {
        if (has_held[gi] != 0) state->release(acc.name, g.issue);
        failures.inc(of(acc), g.members.size());
        for (const auto* m : g.members) reject(*m, "feed account " + acc.name + ": " + why);
      };
      const auto secret = acc.app_secret.resolve();
      if (!secret || secret->empty()) {
        reject_group("app_secret environment variable " + (acc.app_secret.env.empty() ? "(none)" : acc.app_secret.env) +
                     " is not set");
        continue;
      }
      wechat::credentials creds{acc.app_id, *secret};
      auto thumb = cover(acc, creds);
      if (auto* f = std::get_if<group_failure>(&thumb)) {
        if (f->transient) {
          hold(g.account, f->reason);
          continue;
        }
        reject_group(f->reason);
        continue;
      }
      jobs.push_back({&g, has_held[gi] != 0, &acc, std::move(creds), std::get<std::string>(thumb)});
    }

    // 5. Push the groups, in parallel across groups; a group's drafts in order. A transient failure
    // stops what has not started for that account (a state-db failure: for every account); what was
    // pushed is recorded either way.
    struct job_result {
      bool transient = false;
      std::string reason;
      std::vector<std::pair<const item*, std::string>> rejects;
    };
    std::vector<job_result> results(jobs.size());
    std::atomic<bool> stop{false};
    std::vector<std::atomic<bool>> account_stop(cfg.accounts.size());
    std::atomic<std::size_t> next{0};
    auto worker = [&] {
      for (;;) {
        const std::size_t k = next++;
        if (k >= jobs.size() || stop) return;
        const auto& j = jobs[k];
        auto& r = results[k];
        auto& stop_account = account_stop[j.g->account];
        std::vector<const Article*> arts;
        std::map<std::string, const item*> by_id;
        for (const auto* m : j.g->members) {
          arts.push_back(m->article);
          by_id[m->article->id()] = m;
        }
        try {
          for (const auto& d : compose_drafts(arts, compose_for(j.thumb))) {
            if (stop || stop_account) {
              r.transient = true;
              r.reason = "stopped after another group's transient failure";
              break;
            }
            auto f = push(*j.acc, j.creds, d);
            if (!f) continue;
            if (f->transient) {
              r.transient = true;
              r.reason = "feed account " + j.acc->name + ": " + f->reason;
              stop_account = true;
              retries.inc(of(*j.acc));
              break;
            }
            failures.inc(of(*j.acc), d.articles.size());
            for (const auto& a : d.articles) {
              if (const auto it = by_id.find(a.article_id); it != by_id.end()) {
                r.rejects.emplace_back(it->second, "feed account " + j.acc->name + ": " + f->reason);
              }
            }
          }
          if (!r.transient && j.release) state->release(j.acc->name, j.g->issue);
        } catch (const std::exception& e) {  // the state db failed: nothing certain, retry
          r.transient = true;
          r.reason = std::string("feed: ") + e.what();
          stop = true;
        }
      }
    };
    const auto threads = std::min<std::size_t>(static_cast<std::size_t>(std::max(1, opt.parallel_groups)), jobs.size());
    if (threads <= 1) {
      worker();
    } else {
      std::vector<std::jthread> pool;
      for (std::size_t t = 0; t < threads; ++t) pool.emplace_back(worker);
    }
    for (const auto& r : results) {
      if (r.transient && r.reason.rfind("stopped after", 0) != 0) return ::syn::sink::verdict::transient(r.reason);
    }
    if (!held_reason.empty()) return ::syn::sink::verdict::transient(held_reason);
    for (const auto& r : results) {
      for (const auto& [it, why] : r.rejects) reject(*it, why);
    }

    for (const auto& [idx, n] : routed_here) routed.inc(of(cfg.accounts[idx]), n);
    auto v = ::syn::sink::verdict::success();
    for (auto& [i, why] : rejected) v.rejected.emplace_back(i, std::move(why));
    stats.rejected += v.rejected.size();
    return v;
  }
};

feed_sink::feed_sink(config::feed_config cfg, feed_sink_options options)
    : impl_(std::make_unique<impl>(std::move(cfg), std::move(options))) {
  if (impl_->opt.batch_size == 0) return;
  // Held issues that no further batch completes (the last issue before the topic goes quiet) are
  // pushed once they have waited the grace window.
  flusher_ = std::jthread([this](const std::stop_token& stop) {
    std::mutex m;
    std::condition_variable_any cv;
    const auto tick = std::max(std::chrono::milliseconds(100), impl_->opt.hold_grace / 2);
    while (!stop.stop_requested()) {
      {
        std::unique_lock lock(m);
        cv.wait_for(lock, stop, tick, [] { return false; });
      }
      if (stop.stop_requested()) break;
      flush_held(false);
    }
  });
}

feed_sink::~feed_sink() {
  if (flusher_.joinable()) {
    flusher_.request_stop();
    flusher_.join();
    flush_held(true);  // e.g. `consume feed --until-caught-up`: nothing waits for a next batch
  }
}

void feed_sink::flush_held(bool all) {
  try {
    const std::lock_guard lock(write_mu_);
    const auto writer = impl_->state->lock_writer();  // another instance may share the state db
    if (impl_->state->held_groups(all ? std::numeric_limits<std::int64_t>::max()
                                      : now_ms() - impl_->opt.hold_grace.count())
            .empty()) {
      return;
    }
    const auto v = impl_->write({}, all);
    if (v.kind != ::syn::sink::verdict::ok) spdlog::warn("feed: held issues not pushed yet: {}", v.reason);
  } catch (const std::exception& e) {
    spdlog::warn("feed: held issues not pushed yet: {}", e.what());
  }
}

::syn::sink::verdict feed_sink::write(std::span<const ::syn::sink::envelope> batch) {
  try {
    const std::lock_guard lock(write_mu_);
    const auto writer = impl_->state->lock_writer();  // another instance may share the state db
    return impl_->write(batch);
  } catch (const std::exception& e) {
    // The state db failed (disk full, locked beyond the busy timeout): nothing is certain, retry.
    return ::syn::sink::verdict::transient(std::string("feed: ") + e.what());
  }
}

state_store& feed_sink::state() noexcept { return *impl_->state; }

std::string feed_sink::prometheus_text() const {
  metrics::writer w;
  const auto family = [&](std::string_view name, std::string_view help, const metrics::counter_family& f) {
    w.family(name, "counter", help);
    for (const auto& a : impl_->cfg.accounts) {  // every account, zero until something happens
      std::uint64_t v = 0;
      for (const auto& [l, n] : f.snapshot()) {
        if (l == impl::of(a)) v = n;
      }
      w.sample(impl::of(a), v);
    }
  };
  family("syndicate_feed_articles_routed_total", "Article records routed to the account, counted when their batch is taken (replays included).",
         impl_->routed);
  family("syndicate_feed_drafts_created_total", "Drafts created with draft/add and recorded.", impl_->drafts_created);
  family("syndicate_feed_drafts_submitted_total", "Drafts submitted for publication (freepublish/submit accepted).",
         impl_->drafts_submitted);
  family("syndicate_feed_failures_total", "Permanent failures: article pushes rejected (dead-lettered).",
         impl_->failures);
  family("syndicate_feed_retries_total", "Transient failures that held the account back for a retry.", impl_->retries);
  return w.text();
}

feed_sink::counters feed_sink::stats() const noexcept {
  const auto& s = impl_->stats;
  return {s.articles_seen.load(), s.articles_pushed.load(), s.articles_skipped.load(),
          s.drafts_added.load(), s.drafts_submitted.load(), s.rejected.load(), s.held_dead_lettered.load()};
}

}  // namespace syn::feed
