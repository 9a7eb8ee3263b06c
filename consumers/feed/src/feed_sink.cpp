#include "syn/feed/feed_sink.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>
#include <thread>

#include "clock.hpp"
#include "feed_plan.hpp"
#include "photo_uploads.hpp"
#include "syn/core/http_client.hpp"
#include "syn/core/log.hpp"
#include "syn/core/metrics.hpp"
#include "syn/core/receipts.hpp"
#include "syn/core/sha256.hpp"
#include "syn/feed/pages.hpp"
#include "syn/feed/routing.hpp"
#include "syn/feed/state.hpp"
#include "syn/feed/wechat.hpp"
#include "work_pool.hpp"

namespace syn::feed {
namespace {

using syndication::v1::Article;

using detail::now_ms;

/// Outcome of pushing one group.
struct group_failure {
  bool transient = false;
  std::string reason;
  /// A daily-quota answer (45009): the account's calls of `api` are paused, nothing is rejected.
  bool quota = false;
  std::string api;  ///< the API that failed (`draft/add`, `freepublish/submit`, ...)
  int errcode = 0;

  group_failure() = default;
  group_failure(bool t, std::string r, bool q = false, std::string a = {}, int code = 0)
      : transient(t), reason(std::move(r)), quota(q), api(std::move(a)), errcode(code) {}
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
    state = std::make_unique<state_store>(
        state_backend{opt.state_pg_conninfo.empty() ? state_backend::sqlite : state_backend::postgres,
                      opt.state_path, opt.state_pg_conninfo, opt.state_pg_schema},
        false, opt.durable);
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
    photos = std::make_unique<detail::photo_uploads>(*state, *client, opt.blobs.get());
  }

  config::feed_config cfg;
  feed_sink_options opt;
  std::unique_ptr<state_store> state;
  std::shared_ptr<wechat::client> client;
  std::unique_ptr<detail::photo_uploads> photos;
  struct atomic_counters {
    std::atomic<std::uint64_t> articles_seen{0}, articles_pushed{0}, articles_skipped{0}, drafts_added{0},
        drafts_submitted{0}, rejected{0}, held_dead_lettered{0};
  } stats;
  /// Per account (label `account`).
  metrics::counter_family routed, drafts_created, drafts_submitted, failures, retries, paused_total;
  static metrics::labels of(const config::feed_account& acc) { return {{"account", acc.name}}; }

  /// Delivery receipts not taken by the runner yet (feed_sink::take_receipts); groups are pushed
  /// in parallel, hence the lock.
  std::mutex receipts_mu;
  std::vector<receipts::receipt> receipts_out;
  /// One receipt of `state` per article of draft `d` on its account.
  void note(receipts::receipt::State what, const draft_record& d, const std::string& detail = {}) {
    const std::lock_guard lock(receipts_mu);
    for (const auto& a : d.articles) {
      auto r = receipts::make(receipts::receipt::FEED, what, a.article_id, d.issue_id, a.content_sha256, "");
      r.set_account(d.account);
      r.set_media_id(d.media_id);
      r.set_publish_id(d.publish_id);
      r.set_url(article_url(cfg.server.public_base_url, a.article_id));
      r.set_detail(detail);
      receipts::seal(r);
      receipts_out.push_back(std::move(r));
    }
  }

  struct cover_file {
    std::filesystem::file_time_type mtime;
    std::uintmax_t size = 0;
    std::string sha;
    std::string bytes;
  };
  std::map<std::string, cover_file> covers;  ///< by path
  std::mutex cover_mu;                       ///< cover(): `covers` and the upload (worker threads)

  // Daily-quota pauses, (account, api) -> until (ms since the epoch): read from the state db at
  // every batch and tick, since `syndicate feed quota reset` (another process) clears them there.
  mutable std::mutex pause_mu;
  std::map<std::pair<std::string, std::string>, std::int64_t> pauses;
  /// Calls answered per (account, api): {ok, refused}; added to the state db's per-day counts once
  /// per batch (`syndicate feed status`).
  std::mutex count_mu;
  std::map<std::pair<std::string, std::string>, std::pair<std::uint64_t, std::uint64_t>> counts;
  /// After a transient failure of the resume pass (tick), an account waits before the next one.
  std::map<std::string, std::int64_t> resume_after_ms;

  void load_pauses() {
    auto rows = state->quota_pauses();
    const std::lock_guard lock(pause_mu);
    pauses.clear();
    for (auto& r : rows) pauses[{std::move(r.account), std::move(r.api)}] = r.until_ms;
  }

  [[nodiscard]] bool paused(const std::string& account, std::string_view api) const {
    const std::lock_guard lock(pause_mu);
    const auto it = pauses.find({account, std::string(api)});
    return it != pauses.end() && it->second > now_ms();
  }

  /// No draft can be made for the account: draft/add or the cover upload is out of quota.
  [[nodiscard]] bool add_paused(const std::string& account) const {
    return paused(account, "draft/add") || paused(account, "material/add_material") ||
           paused(account, "media/uploadimg");
  }

  void count(const config::feed_account& acc, std::string_view api, bool refused) {
    const std::lock_guard lock(count_mu);
    auto& c = counts[{acc.name, std::string(api)}];
    ++(refused ? c.second : c.first);
  }

  void flush_counts() {
    decltype(counts) taken;
    {
      const std::lock_guard lock(count_mu);
      taken.swap(counts);
    }
    if (taken.empty()) return;
    const auto day = quota_day(now_ms(), cfg.quota_reset_utc_minute);
    for (const auto& [key, c] : taken) state->count_calls(key.first, key.second, day, c.first, c.second);
  }

  /// A daily-quota answer: the account's calls of `api` wait for the next reset (durably).
  group_failure pause(const config::feed_account& acc, std::string_view api, const wechat::error& e) {
    const auto now = now_ms();
    const auto until = next_quota_reset_ms(now, cfg.quota_reset_utc_minute);
    state->pause_quota({acc.name, std::string(api), until, e.errcode(), e.message(), now});
    {
      const std::lock_guard lock(pause_mu);
      pauses[{acc.name, std::string(api)}] = until;
    }
    count(acc, api, true);
    state->note_error(acc.name, e.message());
    paused_total.inc(of(acc));
    log::get("feed").warn(
        "feed account {}: daily quota of {} reached; its {} calls pause until the reset in {} s "
        "(records wait, nothing is dead-lettered; `syndicate feed quota reset {}` resumes now): {}",
        acc.name, api, api, (until - now) / 1000, acc.name, e.message());
    return {false, e.message(), true, std::string(api), e.errcode()};
  }

  /// The photos of a group on WeChat: body image URLs (by photo_key()) and per-article covers.
  struct photo_plan {
    std::map<std::string, std::string> urls;
    std::map<std::string, std::string> covers;  ///< article id -> media_id of its lead photo
  };

  /// An upload failed: a daily quota pauses the account's calls of `api`; else the failure as it is.
  group_failure upload_failure(const config::feed_account& acc, std::string_view api,
                               const wechat::error& e) {
    if (wechat::is_daily_quota(e.code())) return pause(acc, api, e);
    count(acc, api, true);
    return fail(e, api);
  }

  /// Uploads what WeChat does not have yet of the group's photos (once per AppID and sha256).
  /// A photo that cannot be shown (no blob, refused by the platform) leaves its caption and the
  /// account cover; a failed call holds the group (quota, transient) or rejects it.
  std::variant<photo_plan, group_failure> photos_for(const config::feed_account& acc,
                                                     const wechat::credentials& creds,
                                                     const detail::group& g) {
    photo_plan plan;
    for (const auto* m : g.members) {
      const Article& a = *m->article;
      for (int i = 0; i < a.photos_size(); ++i) {
        if (a.photos(i).sha256().empty()) continue;
        auto up = photos->body_url(creds, a.photos(i));
        if (!up) return upload_failure(acc, "media/uploadimg", up.error());
        if (up.value().called) count(acc, "media/uploadimg", false);
        if (!up.value().id.empty()) plan.urls[photo_key(a.id(), static_cast<std::size_t>(i))] = up.value().id;
      }
      if (const int lead = detail::lead_photo(a); lead >= 0) {
        auto up = photos->cover(creds, a.photos(lead));
        if (!up) return upload_failure(acc, "material/add_material", up.error());
        if (up.value().called) count(acc, "material/add_material", false);
        if (!up.value().id.empty()) plan.covers[a.id()] = up.value().id;
      }
    }
    return plan;
  }

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

  static group_failure fail(const wechat::error& e, std::string_view api = {}) {
    return {e.retriable(), e.message(), false, std::string(api), e.errcode()};
  }

  /// The account's cover as permanent material, uploaded once per (AppID, image sha256): a
  /// changed `app_id` or cover file uploads it again; forget_app_cover() (after a 40007) too.
  std::variant<std::string, group_failure> cover(const config::feed_account& acc,
                                                 const wechat::credentials& creds) {
    if (acc.cover_image.empty()) {
      return group_failure{false, "no cover_image configured (WeChat requires a thumb_media_id)"};
    }
    const std::lock_guard lock(cover_mu);
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
    if (auto id = state->app_cover(acc.app_id, cf.sha)) return *id;
    if (add_paused(acc.name))
      return group_failure{false, "material/add_material paused by its daily quota", true};
    auto m =
        client->add_material(creds, std::filesystem::path(acc.cover_image).filename().string(), cf.bytes);
    if (!m) {
      if (wechat::is_daily_quota(m.error().code())) return pause(acc, "material/add_material", m.error());
      return fail(m.error(), "material/add_material");
    }
    count(acc, "material/add_material", false);
    state->store_app_cover(acc.app_id, cf.sha, m.value().media_id, m.value().url);
    log::get("feed").info("cover uploaded account={} app_id={} media_id={}", acc.name, acc.app_id,
                          m.value().media_id);
    return m.value().media_id;
  }

  /// freepublish/submit of a recorded draft. The intent is remembered before the call, so that an
  /// unknown outcome (timeout, 5xx, a crash) is looked up (recover_submit()) before submitting again.
  std::optional<group_failure> submit(const config::feed_account& acc, const wechat::credentials& creds,
                                      const draft_record& d) {
    const std::string& media_id = d.media_id;
    state->mark_submit_intent(media_id);
    auto t = client->submit_publish(creds, media_id);
    if (!t) {
      if (!t.error().ambiguous()) state->clear_submit_intent(media_id);
      if (wechat::is_daily_quota(t.error().code())) return pause(acc, "freepublish/submit", t.error());
      if (!t.error().retriable() && !t.error().ambiguous()) {
        // Permanent: the draft is not submitted again at every batch (docs/FEED.md "Re-posting").
        state->set_draft_status(media_id, "submit_failed");
        state->note_error(acc.name, t.error().message());
        note(receipts::receipt::REJECTED, d, "freepublish/submit: " + t.error().message());
      }
      return fail(t.error(), "freepublish/submit");
    }
    state->record_submitted(media_id, t.value().publish_id, t.value().msg_data_id);
    state->clear_submit_intent(media_id);
    draft_record submitted = d;
    submitted.publish_id = t.value().publish_id;
    note(receipts::receipt::SUBMITTED, submitted);
    count(acc, "freepublish/submit", false);
    ++stats.drafts_submitted;
    drafts_submitted.inc(of(acc));
    log::get("feed").debug("draft submitted account={} media_id={} publish_id={}", acc.name, media_id,
                           t.value().publish_id);
    return std::nullopt;
  }

  /// The last freepublish/submit of `d` has no known outcome: asks the platform before submitting
  /// again. true: settled and recorded (it went through); false: still in the draft box.
  std::variant<bool, group_failure> recover_submit(const config::feed_account& acc,
                                                   const wechat::credentials& creds, const draft_record& d) {
    auto in_box = client->draft_exists(creds, d.media_id);
    if (!in_box) return fail(in_box.error(), "draft/get");
    if (in_box.value()) {
      state->clear_submit_intent(d.media_id);
      return false;
    }
    // A submitted draft leaves the draft box: it went through. Published already?
    std::optional<wechat::published_article> pub;
    if (!d.articles.empty()) {
      auto found = client->find_published(
          creds, article_url(cfg.server.public_base_url, d.articles.front().article_id));
      if (!found) return fail(found.error(), "freepublish/batchget");
      pub = found.value();
    }
    state->set_draft_status(d.media_id, pub ? "published" : "submitted");
    state->clear_submit_intent(d.media_id);
    log::get("feed").warn(
        "the submission of draft {} (account {}) had no known outcome; the platform shows it {}{}; "
        "not submitted again",
        d.media_id, acc.name, pub ? "published as article_id " : "submitted (publish_id unknown)",
        pub ? pub->article_id : std::string());
    return true;
  }

  /// Submits the account's drafts added and not submitted (a submit refused by the daily quota, a
  /// transient failure, an unknown outcome): each once, oldest first. Stops at the first failure.
  std::optional<group_failure> submit_waiting(const config::feed_account& acc,
                                              const wechat::credentials& creds) {
    for (const auto& d : state->drafts_waiting(acc.name)) {
      if (paused(acc.name, "freepublish/submit")) return std::nullopt;  // waits for the reset
      if (state->submit_intent(d.media_id)) {
        auto r = recover_submit(acc, creds, d);
        if (auto* f = std::get_if<group_failure>(&r)) return *f;
        if (std::get<bool>(r)) continue;
      }
      if (auto f = submit(acc, creds, d)) {
        if (f->quota) return std::nullopt;
        if (f->transient) return f;
        failures.inc(of(acc));
        log::get("feed").error("freepublish/submit failed permanently account={} media_id={} reason=\"{}\"",
                               acc.name, d.media_id, f->reason);
      }
    }
    return std::nullopt;
  }

  /// The resume pass of every pushed account (held back: `skip`); returns the accounts whose
  /// pass failed transiently, with the reason.
  std::map<std::size_t, std::string> resume(const std::vector<char>& skip, bool tick) {
    std::map<std::size_t, std::string> transient;
    if (!opt.publish) return transient;
    const auto now = now_ms();
    for (std::size_t idx = 0; idx < cfg.accounts.size(); ++idx) {
      const auto& acc = cfg.accounts[idx];
      if (acc.app_id.empty() || (idx < skip.size() && skip[idx] != 0)) continue;
      if (paused(acc.name, "freepublish/submit")) continue;
      if (tick && resume_after_ms[acc.name] > now) continue;
      const auto secret = acc.app_secret.resolve();
      if (!secret || secret->empty()) continue;  // reported with the account's groups, if any
      if (auto f = submit_waiting(acc, {acc.app_id, *secret}); f && f->transient) {
        resume_after_ms[acc.name] = now + 30000;
        transient.emplace(idx, f->reason);
      }
    }
    return transient;
  }

  /// Pushes one draft; nullopt on success.
  std::optional<group_failure> push(const config::feed_account& acc, const wechat::credentials& creds,
                                    const draft& d) {
    const auto key = draft_key(d);
    std::string media_id;
    if (state->is_ambiguous(acc.name, key)) {
      // A previous draft/add timed out after sending: the draft may exist.
      std::vector<std::string> urls;
      for (const auto& a : d.articles) urls.push_back(a.content_source_url);
      auto found = client->find_draft(creds, urls);
      if (!found) return fail(found.error(), "draft/batchget");
      if (found.value()) {
        media_id = *found.value();
        log::get("feed").info("ambiguous draft/add resolved: draft exists account={} media_id={}", acc.name,
                              media_id);
      }
    }
    if (media_id.empty()) {
      // Remembered before the call, so that a crash between WeChat creating the draft and the
      // ledger recording it makes the next attempt look the draft up instead of adding it twice.
      state->mark_ambiguous(acc.name, key);
      auto added = client->add_draft(creds, d.articles);
      if (!added) {
        if (!added.error().ambiguous()) state->clear_ambiguous(acc.name, key);
        if (wechat::is_daily_quota(added.error().code())) return pause(acc, "draft/add", added.error());
        return fail(added.error(), "draft/add");
      }
      count(acc, "draft/add", false);
      media_id = added.value();
    }
    draft_record rec;
    rec.media_id = media_id;
    rec.account = acc.name;
    rec.issue_id = d.issue_id;
    rec.status = opt.publish ? "added" : "kept";
    for (const auto& a : d.articles)
      rec.articles.push_back({a.article_id, a.content_sha256, a.part, a.parts});
    state->record_draft(rec, acc.app_id, key);  // and clears the intent, in one transaction
    note(receipts::receipt::DRAFTED, rec);
    ++stats.drafts_added;
    drafts_created.inc(of(acc));
    stats.articles_pushed += d.articles.size();
    // With the submit quota spent, the draft waits as `added`; the resume pass submits it.
    if (!opt.publish || paused(acc.name, "freepublish/submit")) return std::nullopt;
    if (auto f = submit(acc, creds, rec); f && !f->quota) return f;
    return std::nullopt;
  }

  /// The records a batch rejects, with their reasons (joined when one record fails several ways).
  struct rejections {
    std::map<std::size_t, std::string> by_record;
    void record(std::size_t i, const std::string& why) {
      auto& r = by_record[i];
      r += (r.empty() ? "" : "; ") + why;
    }
  };

  void reject(rejections& rejected, const detail::item& it, const std::string& why) {
    if (it.index != detail::no_record) return rejected.record(it.index, why);
    // Held from an earlier batch whose offsets are committed: the runner cannot dead-letter it,
    // so the sink hands it to the dead-letter topic itself.
    ++stats.held_dead_lettered;
    if (opt.dead_letter_held) {
      opt.dead_letter_held(*it.article, why);
    } else {
      log::get("feed").error("a held article could not be pushed and there is no dead-letter topic: {}: {}",
                             it.article->id(), why);
    }
  }

  /// 1. The articles of the batch, routed; the issues that may continue in the next batch.
  void route_batch(std::span<const ::syn::sink::envelope> batch, detail::batch_plan& p,
                   rejections& rejected) {
    for (std::size_t i = 0; i < batch.size(); ++i) {
      const auto* a = std::get_if<Article>(&batch[i].payload);
      if (a == nullptr) continue;  // manifests and translation jobs: nothing to do here
      ++stats.articles_seen;
      if (a->id().empty()) {
        rejected.record(i, "feed: article without id");
        continue;
      }
      std::string sha = a->content_sha256();
      if (sha.empty()) {
        // Should not happen (the producer sets it); a hash of the record keeps replays idempotent.
        sha = sha256_hex(a->SerializeAsString());
        p.owned.push_back(*a);
        p.owned.back().set_content_sha256(sha);
        a = &p.owned.back();
      }
      p.items.push_back({i, a, std::move(sha)});
      p.routes.push_back(route(*a, cfg.accounts));
      for (const auto idx : p.routes.back()) ++p.routed_here[idx];
    }

    // Issues that may continue in the next batch: with a full batch, the issue of each partition's
    // last article (the runner cuts batches by count, so only there can an issue be split).
    // The partitions of the batch (`topic:partition`) and the source of each issue.
    for (const auto& e : batch) {
      if (const auto* a = std::get_if<Article>(&e.payload)) {
        auto source = std::string(e.topic) + ":" + std::to_string(e.partition);
        p.source_of.emplace(a->issue_id(), source);
        p.last[std::move(source)] = a->issue_id();
      }
    }
    if (opt.batch_size > 0 && batch.size() >= opt.batch_size) {
      for (const auto& [source, issue] : p.last) p.trailing.insert(issue);
    }
  }

  /// 2. Pages and feed entries: every routed account, pushed or not.
  void store_pages(const detail::batch_plan& p) {
    std::vector<state_store::article_to_store> pages;
    for (std::size_t k = 0; k < p.items.size(); ++k) {
      std::vector<std::string> accounts;
      for (const auto idx : p.routes[k]) accounts.push_back(cfg.accounts[idx].name);
      if (accounts.empty()) continue;
      const Article& a = *p.items[k].article;
      // Render only what changed: a replay of the same hash stores nothing new.
      std::string html;
      const auto known = state->article_version(a.id());
      if (!known || known->first != p.items[k].sha)
        html = render_article_page(a, known ? known->second + 1 : 1);
      pages.push_back({&a, std::move(html), std::move(accounts)});
    }
    state->store_articles(pages);
  }

  /// 3. Groups (issue, account) of what WeChat has not got yet, in order of first appearance.
  void group_unpushed(detail::batch_plan& p) {
    for (std::size_t k = 0; k < p.items.size(); ++k) {
      const auto& items = p.items;
      for (const auto idx : p.routes[k]) {
        const auto& acc = cfg.accounts[idx];
        if (acc.app_id.empty()) continue;  // served by the feed server only
        if (state->superseded(acc.name, items[k].article->id(), items[k].sha)) {
          ++stats.articles_skipped;
          continue;
        }
        // The ledger decides: an article in a draft (added, submitted, published, rejected,
        // deleted...) is never added again; a draft added and not submitted is submitted by the
        // resume pass below, never by a replay of its records.
        if (state->pushed(acc.name, items[k].article->id(), items[k].sha)) {
          ++stats.articles_skipped;
          continue;
        }
        const auto key = std::make_pair(items[k].article->issue_id(), idx);
        auto [it, fresh] = p.group_of.emplace(key, p.groups.size());
        if (fresh) p.groups.push_back({idx, items[k].article->issue_id(), {}});
        auto& members = p.groups[it->second].members;
        // The same article twice in a batch (a replay overlapping new records): push it once; of
        // two revisions, the later record wins, and the earlier one is remembered as superseded so
        // that a replay cut into other batches never posts the older text after the newer.
        const auto dup = std::find_if(members.begin(), members.end(), [&](const detail::item* m) {
          return m->article->id() == items[k].article->id();
        });
        if (dup == members.end()) {
          members.push_back(&items[k]);
        } else {
          if ((*dup)->sha != items[k].sha)
            state->mark_superseded(acc.name, (*dup)->article->id(), (*dup)->sha);
          *dup = &items[k];
        }
      }
    }
  }

  /// A transient failure (45009 quota, -1, 5xx, timeouts) holds back that account only: the other
  /// accounts' groups are still pushed and recorded, and the batch is retried for the held one.
  struct holdback {
    std::vector<char> held;
    std::string reason;
  };

  void hold_account(holdback& h, std::size_t idx, const std::string& why) {
    h.held[idx] = 1;
    retries.inc(of(cfg.accounts[idx]));
    if (h.reason.empty()) h.reason = "feed account " + cfg.accounts[idx].name + ": " + why;
  }

  /// One group to push, with its account's credentials and cover.
  struct job {
    const detail::group* g;
    bool release;  ///< the group had held articles: forget them once its drafts are recorded
    const config::feed_account* acc;
    wechat::credentials creds;
    std::string thumb;
    std::string source;  ///< the partition of the group's issue, if it came in this batch
    photo_plan photos;
  };

  /// 4. Credentials and covers, one account at a time (a cover is uploaded once). A group that
  /// cannot go on for its account's daily quota waits in the held table (durably, so the records'
  /// offsets are committed and nothing is dead-lettered) until the reset.
  std::vector<job> prepare_jobs(const detail::batch_plan& p, holdback& h, rejections& rejected) {
    std::vector<job> jobs;
    for (std::size_t gi = 0; gi < p.groups.size(); ++gi) {
      const auto& g = p.groups[gi];
      if (h.held[g.account] != 0 || p.hold_group[gi] != 0 || g.members.empty()) continue;
      const auto& acc = cfg.accounts[g.account];
      auto reject_group = [&](const std::string& why) {
        if (p.has_held[gi] != 0) state->release(acc.name, g.issue);
        failures.inc(of(acc), g.members.size());
        for (const auto* m : g.members) reject(rejected, *m, "feed account " + acc.name + ": " + why);
      };
      const auto secret = acc.app_secret.resolve();
      if (!secret || secret->empty()) {
        reject_group("app_secret environment variable " +
                     (acc.app_secret.env.empty() ? "(none)" : acc.app_secret.env) + " is not set");
        continue;
      }
      wechat::credentials creds{acc.app_id, *secret};
      const std::string source = p.source(g.issue);
      auto thumb = cover(acc, creds);
      if (auto* f = std::get_if<group_failure>(&thumb)) {
        if (f->quota) {
          detail::hold_articles(*state, acc.name, source, g);
          continue;
        }
        if (f->transient) {
          hold_account(h, g.account, f->reason);
          continue;
        }
        reject_group(f->reason);
        continue;
      }
      auto plan = photos_for(acc, creds, g);
      if (auto* f = std::get_if<group_failure>(&plan)) {
        if (f->quota) {
          detail::hold_articles(*state, acc.name, source, g);
        } else if (f->transient) {
          hold_account(h, g.account, f->reason);
        } else {
          reject_group(f->reason);
        }
        continue;
      }
      jobs.push_back({&g, p.has_held[gi] != 0, &acc, std::move(creds), std::get<std::string>(thumb), source,
                      std::move(std::get<photo_plan>(plan))});
    }
    return jobs;
  }

  struct job_result {
    bool transient = false;
    std::string reason;
    std::vector<std::pair<const detail::item*, std::string>> rejects;
  };

  /// Pushes one draft of a job, uploading the cover again once if WeChat no longer knows it.
  /// `photo_covers`: the articles' own covers (their lead photos), by article id; the others take `thumb`.
  std::optional<group_failure> push_draft(const job& j, draft& d, std::string& thumb,
                                          std::map<std::string, std::string>& photo_covers,
                                          bool& cover_renewed) {
    for (auto& a : d.articles) {
      const auto it = photo_covers.find(a.article_id);
      a.thumb_media_id = it != photo_covers.end() ? it->second : thumb;
    }
    auto f = push(*j.acc, j.creds, d);
    if (f && !cover_renewed && f->api == "draft/add" &&
        f->errcode == static_cast<int>(wechat::errc::invalid_media_id)) {
      // The cover (the draft's only media_id) is gone from the material library: upload it
      // again, once, and retry the draft.
      cover_renewed = true;
      log::get("feed").warn("account {}: cover {} unknown to WeChat (40007): uploading it again", j.acc->name,
                            thumb);
      // Photo covers are forgotten too (any of them may be the one deleted): the group's drafts
      // take the account cover from here; a later delivery uploads the photos' covers again.
      for (const auto& a : d.articles) state->forget_app_cover(j.acc->app_id, a.thumb_media_id);
      photo_covers.clear();
      auto renewed = cover(*j.acc, j.creds);
      if (auto* nf = std::get_if<group_failure>(&renewed)) {
        f = *nf;
      } else {
        thumb = std::get<std::string>(renewed);
        for (auto& a : d.articles) a.thumb_media_id = thumb;
        f = push(*j.acc, j.creds, d);
      }
    }
    return f;
  }

  /// One job: its drafts in order. A transient failure stops what has not started for that
  /// account (`stop_account`; a state-db failure: for every account, `stop`).
  void run_job(const job& j, job_result& r, std::atomic<bool>& stop, std::atomic<bool>& stop_account) {
    std::vector<const Article*> arts;
    std::map<std::string, const detail::item*> by_id;
    for (const auto* m : j.g->members) {
      arts.push_back(m->article);
      by_id[m->article->id()] = m;
    }
    try {
      std::string thumb = j.thumb;
      bool cover_renewed = false;
      bool quota_held = false;
      auto photo_covers = j.photos.covers;
      auto co = compose_for(thumb);
      co.photo_urls = j.photos.urls;
      for (auto& d : compose_drafts(arts, co)) {
        if (stop || stop_account) {
          r.transient = true;
          r.reason = "stopped after another group's transient failure";
          break;
        }
        if (add_paused(j.acc->name)) {  // another group of the account met the daily quota
          quota_held = true;
          break;
        }
        auto f = push_draft(j, d, thumb, photo_covers, cover_renewed);
        if (!f) continue;
        if (f->quota) {
          quota_held = true;
          break;
        }
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
      if (quota_held) {
        detail::hold_articles(*state, j.acc->name, j.source,
                              *j.g);  // what was pushed is skipped when it comes back
      } else if (!r.transient && j.release) {
        state->release(j.acc->name, j.g->issue);
      }
    } catch (const std::exception& e) {  // the state db failed: nothing certain, retry
      r.transient = true;
      r.reason = std::string("feed: ") + e.what();
      stop = true;
    }
  }

  /// 5. Push the groups, in parallel across groups; a group's drafts in order. What was pushed is
  /// recorded either way.
  std::vector<job_result> push_jobs(const std::vector<job>& jobs) {
    std::vector<job_result> results(jobs.size());
    std::atomic<bool> stop{false};
    std::vector<std::atomic<bool>> account_stop(cfg.accounts.size());
    const auto threads =
        std::min<std::size_t>(static_cast<std::size_t>(std::max(1, opt.parallel_groups)), jobs.size());
    detail::run_pool(jobs.size(), threads, stop, [&](std::size_t k) {
      run_job(jobs[k], results[k], stop, account_stop[jobs[k].g->account]);
    });
    return results;
  }

  /// With an empty batch (the hold timer, shutdown): pushes the held groups older than the grace
  /// window (`flush_all`: every held group).
  ::syn::sink::verdict write(std::span<const ::syn::sink::envelope> batch, bool flush_all = false) {
    rejections rejected;

    // Steps 1-3 read and write the state db many times per article and call no WeChat API (only
    // a dead letter for a held article that failed may wait on Kafka): one transaction, committed
    // before the first WeChat call, so the holds are durable before the offsets are committed.
    load_pauses();
    state_store::batch_transaction planning(*state);
    detail::batch_plan p;
    route_batch(batch, p, rejected);
    store_pages(p);
    group_unpushed(p);
    detail::merge_held(
        p, *state, cfg, {opt.batch_size, opt.hold_grace, flush_all},
        [this](const std::string& account) { return add_paused(account); }, now_ms());
    planning.commit();

    holdback h{std::vector<char>(cfg.accounts.size(), 0), {}};
    // Drafts added earlier and not submitted (a failed or quota-refused submit, an unknown
    // outcome): submitted once each, never added again.
    for (const auto& [idx, why] : resume(h.held, false)) hold_account(h, idx, why);

    const auto jobs = prepare_jobs(p, h, rejected);
    const auto results = push_jobs(jobs);
    for (const auto& r : results) {
      if (r.transient && r.reason.rfind("stopped after", 0) != 0)
        return ::syn::sink::verdict::transient(r.reason);
    }
    if (!h.reason.empty()) return ::syn::sink::verdict::transient(h.reason);
    for (const auto& r : results) {
      for (const auto& [it, why] : r.rejects) reject(rejected, *it, why);
    }

    for (const auto& [idx, n] : p.routed_here) routed.inc(of(cfg.accounts[idx]), n);
    auto v = ::syn::sink::verdict::success();
    for (auto& [i, why] : rejected.by_record) v.rejected.emplace_back(i, std::move(why));
    stats.rejected += v.rejected.size();
    return v;
  }
};

std::int64_t next_quota_reset_ms(std::int64_t now_ms, int reset_utc_minute) {
  constexpr std::int64_t minute = 60000;
  constexpr std::int64_t day = 1440 * minute;
  const std::int64_t offset = static_cast<std::int64_t>(reset_utc_minute) * minute;
  // The resets are at offset + k * day; the first one strictly after now.
  const std::int64_t k =
      (now_ms - offset) >= 0 ? (now_ms - offset) / day + 1 : -((offset - now_ms - 1) / day);
  return offset + k * day;
}

std::string quota_day(std::int64_t now_ms, int reset_utc_minute) {
  // Named after the date on the reset's clock: with a reset at 16:00 UTC (midnight China time)
  // the day from 16:00 UTC on the 6th is the 7th, as in Beijing.
  const auto shift = static_cast<std::int64_t>((1440 - reset_utc_minute % 1440) % 1440) * 60000;
  const std::chrono::sys_days d{
      std::chrono::floor<std::chrono::days>(std::chrono::milliseconds(now_ms + shift))};
  const std::chrono::year_month_day ymd{d};
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
  return buf;
}

feed_sink::feed_sink(config::feed_config cfg, feed_sink_options options)
    : impl_(std::make_unique<impl>(std::move(cfg), std::move(options))) {
  // A changed AppID is noticed at start: its covers are uploaded again (they are per AppID); what
  // the ledger holds for the account is not pushed again (`syndicate feed repost` does that).
  for (const auto& a : impl_->cfg.accounts) {
    if (a.app_id.empty()) continue;
    if (auto before = impl_->state->remember_app_id(a.name, a.app_id)) {
      log::get("feed").warn(
          "feed account {}: app_id changed from {} to {} since the last run: covers are uploaded to the new "
          "AppID; articles already pushed are not pushed again (`syndicate feed repost` re-posts them)",
          a.name, *before, a.app_id);
    }
  }
  // Held issues that no further batch completes (the last issue before the topic goes quiet) are
  // pushed once they have waited the grace window; accounts paused by a daily quota resume once
  // it resets (or `feed quota reset` clears the pause).
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
    impl_->load_pauses();
    for (const auto& [idx, why] : impl_->resume({}, true)) {
      log::get("feed").warn("feed account {}: waiting drafts not submitted yet: {}",
                            impl_->cfg.accounts[idx].name, why);
    }
    impl_->flush_counts();
    if (impl_->state
            ->held_groups(all ? std::numeric_limits<std::int64_t>::max()
                              : now_ms() - impl_->opt.hold_grace.count())
            .empty()) {
      return;
    }
    const auto v = impl_->write({}, all);
    impl_->flush_counts();
    if (v.kind != ::syn::sink::verdict::ok) log::get("feed").warn("held issues not pushed yet: {}", v.reason);
  } catch (const std::exception& e) {
    log::get("feed").warn("held issues not pushed yet: {}", e.what());
  }
}

::syn::sink::verdict feed_sink::write(std::span<const ::syn::sink::envelope> batch) {
  try {
    const std::lock_guard lock(write_mu_);
    const auto writer = impl_->state->lock_writer();  // another instance may share the state db
    auto v = impl_->write(batch);
    impl_->flush_counts();
    return v;
  } catch (const std::exception& e) {
    // The state db failed (disk full, locked beyond the busy timeout): nothing is certain, retry.
    return ::syn::sink::verdict::transient(std::string("feed: ") + e.what());
  }
}

std::vector<syndication::v1::DeliveryReceipt> feed_sink::take_receipts() {
  const std::lock_guard lock(impl_->receipts_mu);
  return std::exchange(impl_->receipts_out, {});
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
  family("syndicate_feed_articles_routed_total",
         "Article records routed to the account, counted when their batch is taken (replays included).",
         impl_->routed);
  family("syndicate_feed_drafts_created_total", "Drafts created with draft/add and recorded.",
         impl_->drafts_created);
  family("syndicate_feed_drafts_submitted_total",
         "Drafts submitted for publication (freepublish/submit accepted).", impl_->drafts_submitted);
  family("syndicate_feed_failures_total", "Permanent failures: article pushes rejected (dead-lettered).",
         impl_->failures);
  family("syndicate_feed_retries_total", "Transient failures that held the account back for a retry.",
         impl_->retries);
  family("syndicate_feed_quota_pauses_total",
         "Daily-quota answers (45009) that paused one of the account's APIs.", impl_->paused_total);
  // Paused now and until when, from the state db (`feed quota reset` clears a pause there).
  std::map<std::string, std::int64_t> until;
  try {
    const auto now = now_ms();
    for (const auto& p : impl_->state->quota_pauses()) {
      if (p.until_ms > now) until[p.account] = std::max(until[p.account], p.until_ms);
    }
  } catch (const std::exception& e) {
    log::get("feed").warn("metrics: quota pauses unreadable: {}", e.what());
  }
  w.family("syndicate_feed_quota_paused", "gauge",
           "1 while a daily quota (45009) pauses the account's pushes (draft/add, cover upload or submit).");
  for (const auto& a : impl_->cfg.accounts)
    w.sample(impl::of(a), std::int64_t{until.count(a.name) != 0 ? 1 : 0});
  w.family(
      "syndicate_feed_quota_resume_time_seconds", "gauge",
      "When the account's paused pushes resume (the next quota reset, unix seconds); 0 when not paused.");
  for (const auto& a : impl_->cfg.accounts) {
    const auto it = until.find(a.name);
    w.sample(impl::of(a), it == until.end() ? std::int64_t{0} : it->second / 1000);
  }
  return w.text();
}

feed_sink::counters feed_sink::stats() const noexcept {
  const auto& s = impl_->stats;
  return {s.articles_seen.load(),     s.articles_pushed.load(),  s.articles_skipped.load(),
          s.drafts_added.load(),      s.drafts_submitted.load(), s.rejected.load(),
          s.held_dead_lettered.load()};
}

}  // namespace syn::feed
