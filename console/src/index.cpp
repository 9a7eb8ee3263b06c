#include "syn/console/index.hpp"

#include <algorithm>
#include <mutex>
#include <utility>

#include "syn/core/receipts.hpp"

namespace syn::console {

namespace {

receipt_row row_of(const syndication::v1::DeliveryReceipt& r) {
  receipt_row row;
  row.receipt_id = r.receipt_id();
  row.sink = receipts::sink_name(r.sink());
  row.state = receipts::state_name(r.state());
  row.content_sha256 = r.content_sha256();
  row.target = !r.account().empty() ? r.account() : r.target_language();
  row.revision = r.revision();
  row.media_id = r.media_id();
  row.publish_id = r.publish_id();
  row.url = r.url();
  row.target_article_id = r.target_article_id();
  row.detail = r.detail();
  row.time_ms = r.time().seconds() * 1000 + r.time().nanos() / 1000000;
  return row;
}

}  // namespace

index::index(index_limits limits) : limits_(limits) {}

void index::attach_locked(const issue_entry& e) {
  for (const auto& id : e.article_ids) {
    auto [it, fresh] = articles_.try_emplace(id);
    if (!fresh && it->second.issue_id.empty()) --orphan_count_;
    it->second.issue_id = e.issue_id;
  }
}

void index::add_orphan_locked(const std::string& article_id) {
  ++orphan_count_;
  orphans_.push_back(article_id);
  while (orphan_count_ > limits_.max_orphan_articles && !orphans_.empty()) {
    const auto o = articles_.find(orphans_.front());
    if (o != articles_.end() && o->second.issue_id.empty() && o->first != article_id) {
      articles_.erase(o);
      --orphan_count_;
    }
    orphans_.pop_front();
  }
  // Ids attached to an issue since stay in the queue until here: drop them once they dominate it.
  if (orphans_.size() > 2 * limits_.max_orphan_articles + 16) {
    std::erase_if(orphans_, [this](const std::string& id) {
      const auto o = articles_.find(id);
      return o == articles_.end() || !o->second.issue_id.empty();
    });
  }
}

void index::drop_oldest_locked() {
  while (issues_.size() > limits_.max_issues && !by_arrival_.empty()) {
    const auto oldest = by_arrival_.begin();
    const auto it = issues_.find(oldest->second);
    if (it != issues_.end()) {
      for (const auto& id : it->second.article_ids) {
        const auto a = articles_.find(id);
        if (a != articles_.end() && a->second.issue_id == it->first) articles_.erase(a);
      }
      issues_.erase(it);
      ++counters_.issues_dropped;
    }
    by_arrival_.erase(oldest);
  }
}

void index::add_manifest(const syndication::v1::IssueManifest& m, std::int32_t partition,
                         std::int64_t offset) {
  const std::unique_lock lock(mu_);
  issue_entry e;
  e.issue_id = m.issue_id();
  e.paper = !m.paper().name().empty() ? m.paper().name() : m.paper().code();
  e.issue_date = m.issue_date();
  e.state = "published";
  e.partition = partition;
  e.offset = offset;
  e.published_ms = m.published_at().seconds() * 1000 + m.published_at().nanos() / 1000000;
  e.article_ids.assign(m.article_ids().begin(), m.article_ids().end());
  e.article_hashes.assign(m.article_hashes().begin(), m.article_hashes().end());
  e.warnings = static_cast<std::size_t>(m.warnings_size());
  e.confidence = m.confidence();
  if (const auto old = issues_.find(e.issue_id); old != issues_.end()) by_arrival_.erase(old->second.arrival);
  e.arrival = ++next_arrival_;
  by_arrival_[e.arrival] = e.issue_id;
  attach_locked(e);
  issues_[e.issue_id] = std::move(e);
  drop_oldest_locked();
}

void index::add_review(const std::string& issue_id, const std::string& state, double confidence,
                       std::size_t warnings, const std::string& paper, const std::string& date) {
  const std::unique_lock lock(mu_);
  auto it = issues_.find(issue_id);
  if (it != issues_.end()) {
    // A published manifest wins over a release record; a held issue published since is published.
    if (it->second.state == "published") return;
    it->second.state = state;
    return;
  }
  issue_entry e;
  e.issue_id = issue_id;
  e.state = state;
  e.confidence = confidence;
  e.warnings = warnings;
  e.paper = paper;
  e.issue_date = date;
  e.arrival = ++next_arrival_;
  by_arrival_[e.arrival] = issue_id;
  issues_[issue_id] = std::move(e);
  drop_oldest_locked();
}

void index::add_receipt(const syndication::v1::DeliveryReceipt& r) {
  const std::unique_lock lock(mu_);
  ++counters_.receipts_read;
  auto [it, fresh] = articles_.try_emplace(r.article_id());
  if (fresh) {
    add_orphan_locked(r.article_id());
    it = articles_.find(r.article_id());
  }
  auto& rows = it->second.receipts;
  if (std::any_of(rows.begin(), rows.end(),
                  [&](const receipt_row& x) { return x.receipt_id == r.receipt_id(); })) {
    ++counters_.receipts_duplicate;
    return;
  }
  if (rows.size() >= limits_.max_receipts_per_article) rows.erase(rows.begin());
  rows.push_back(row_of(r));
}

std::vector<issue_summary> index::latest(std::size_t skip, std::size_t n) const {
  const std::shared_lock lock(mu_);
  std::vector<issue_summary> out;
  for (auto it = by_arrival_.rbegin(); it != by_arrival_.rend() && out.size() < n; ++it) {
    if (skip > 0) {
      --skip;
      continue;
    }
    const auto& e = issues_.at(it->second);
    issue_summary s{e, {}};
    for (const auto& id : e.article_ids) {
      const auto a = articles_.find(id);
      if (a == articles_.end()) continue;
      // The latest state per (sink, target) of this article.
      std::map<std::pair<std::string, std::string>, const receipt_row*> last;
      for (const auto& r : a->second.receipts) {
        auto& slot = last[{r.sink, r.target}];
        if (slot == nullptr || r.time_ms >= slot->time_ms) slot = &r;
      }
      for (const auto& [key, r] : last) ++s.by_sink[key.first][r->state];
    }
    out.push_back(std::move(s));
  }
  return out;
}

std::optional<issue_view> index::issue(const std::string& issue_id) const {
  const std::shared_lock lock(mu_);
  const auto it = issues_.find(issue_id);
  if (it == issues_.end()) return std::nullopt;
  issue_view v{it->second, {}};
  for (const auto& id : it->second.article_ids) {
    const auto a = articles_.find(id);
    v.articles.emplace_back(id, a == articles_.end() ? std::vector<receipt_row>{} : a->second.receipts);
  }
  return v;
}

std::vector<receipt_row> index::receipts(const std::string& article_id) const {
  const std::shared_lock lock(mu_);
  const auto a = articles_.find(article_id);
  return a == articles_.end() ? std::vector<receipt_row>{} : a->second.receipts;
}

index_counters index::counters() const {
  const std::shared_lock lock(mu_);
  index_counters c = counters_;
  c.issues = issues_.size();
  c.articles = articles_.size();
  c.orphan_articles = orphan_count_;
  return c;
}

}  // namespace syn::console
