#pragma once
// The feed sink's batch plan (internal to syn_feed): what a batch routes where, the (issue,
// account) groups to push and which of them wait in the held table. Built by feed_sink.cpp's
// plan step (routing, pages, groups) and holds.cpp (draft grouping across batches); read by its
// push step. Pointers inside point into the plan itself: build it in place, do not copy it.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "syn/core/config.hpp"
#include "syn/feed/state.hpp"
#include "syndication/v1/article.pb.h"

namespace syn::feed::detail {

struct item {
  std::size_t index;  ///< into the batch; `no_record` for an article held from an earlier batch
  const syndication::v1::Article* article;
  std::string sha;
};

constexpr std::size_t no_record = static_cast<std::size_t>(-1);

/// The articles of one issue for one account that WeChat has not got yet.
struct group {
  std::size_t account;
  std::string issue;
  std::vector<const item*> members;
};

struct batch_plan {
  // 1. The articles of the batch, routed.
  std::vector<item> items;
  std::vector<std::vector<std::size_t>> routes;
  std::deque<syndication::v1::Article> owned;        ///< copies of articles that came without a content hash
  std::map<std::size_t, std::uint64_t> routed_here;  ///< counted once the batch is taken
  // The partitions of the batch (`topic:partition`) and the source of each issue.
  std::set<std::string> trailing;                ///< issues that may continue in the next batch
  std::map<std::string, std::string> source_of;  ///< issue -> source
  std::map<std::string, std::string> last;       ///< source -> issue of its last article
  // 3. Groups (issue, account), in order of first appearance.
  std::vector<group> groups;
  std::map<std::pair<std::string, std::size_t>, std::size_t> group_of;
  std::deque<item> held_items;  ///< articles held from earlier batches, merged into their groups
  std::deque<syndication::v1::Article> held_articles;
  std::vector<char> has_held;    ///< per group: it had held articles
  std::vector<char> hold_group;  ///< per group: held (again) instead of pushed

  /// The source (`topic:partition`) of the issue's records in this batch, empty if none came.
  [[nodiscard]] std::string source(const std::string& issue) const {
    const auto it = source_of.find(issue);
    return it == source_of.end() ? std::string() : it->second;
  }
};

struct hold_settings {
  std::size_t batch_size = 0;
  std::chrono::milliseconds hold_grace{2000};
  bool flush_all = false;  ///< every held group is due (shutdown)
};

/// Step 3b, draft grouping across batches: held articles of an issue join the batch's articles of
/// it; held groups past the grace window are pushed even without new records. An issue that may
/// continue in the next batch is held (durably: the records' offsets may then be committed)
/// instead of pushed, unless it has waited the grace window already. The groups of an account
/// paused by a daily quota (`add_paused`) are held the same way until the quota resets.
void merge_held(batch_plan& plan, state_store& state, const config::feed_config& cfg,
                const hold_settings& settings, const std::function<bool(const std::string&)>& add_paused,
                std::int64_t now_ms);

/// Puts the group's articles in the held table for `account` (durably), from `source`.
void hold_articles(state_store& state, const std::string& account, const std::string& source, const group& g);

}  // namespace syn::feed::detail
