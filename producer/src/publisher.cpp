#include "syn/producer/publisher.hpp"

#include <google/protobuf/util/time_util.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdlib>
#include <set>
#include <stdexcept>
#include <thread>
#include <utility>

#include "syn/contract/headers.hpp"
#include "syn/contract/schema.hpp"
#include "syn/core/kafka/partitioner.hpp"
#include "syn/core/log.hpp"
#include "syn/core/test_hooks.hpp"

namespace syn::producer {
namespace {

using namespace std::chrono_literals;
using syndication::v1::Article;
using syndication::v1::IssueManifest;

std::string fail_line(const kafka::error& e) { return e.to_string(); }

double ms_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t).count();
}

/// A record the broker (or librdkafka's message.max.bytes) will never take: retrying is useless.
/// A commit that failed on it reports the delivery error in its message, hence the text match.
bool too_large(const kafka::error& e) {
  const int code = e.code().value();
  return code == 10 /* MSG_SIZE_TOO_LARGE */ || code == 4 /* INVALID_MSG_SIZE */ ||
         e.message().find("Message size too large") != std::string::npos ||
         e.message().find("MSG_SIZE_TOO_LARGE") != std::string::npos;
}

/// Groups delivery reports into one offset range per topic partition, in first-seen order.
std::vector<offset_range> ranges_of(const std::vector<kafka::delivery_report>& reports) {
  std::vector<offset_range> out;
  for (const auto& r : reports) {
    auto it = std::find_if(out.begin(), out.end(), [&](const offset_range& o) {
      return o.topic == r.topic && o.partition == r.partition;
    });
    if (it == out.end()) {
      out.push_back({r.topic, r.partition, r.offset, r.offset});
    } else {
      it->first = std::min(it->first, r.offset);
      it->last = std::max(it->last, r.offset);
    }
  }
  return out;
}

/// A manifest as the index keeps it: without the issue's raw text and split warnings, which the
/// publisher never reads back. A trigger that runs for months holds one per issue of the issues
/// topic: ids and hashes are ~1 kB per issue, the text it kept before was tens of kB more.
IssueManifest slim(IssueManifest m) {
  m.clear_source();
  m.clear_warnings();
  return m;
}

/// One issue of a group, ready to send.
struct planned_issue {
  std::size_t slot = 0;  // index into the caller's issues and outcomes
  const split_result* issue = nullptr;
  const encoded_issue* encoded = nullptr;  // the caller's, or `own`
  std::unique_ptr<encoded_issue> own;      // encoded here: the caller gave none
  std::int32_t article_partition = -1;
  std::int32_t issue_partition = -1;
  std::vector<std::size_t> articles;  // indices of the articles to send
  std::size_t revisions = 0;
  std::uint64_t first_record = 0;  // the ids send() gave its records in the current attempt
  std::uint64_t last_record = 0;
};

bool same_articles(const IssueManifest& a, const IssueManifest& b) {
  return std::equal(a.article_ids().begin(), a.article_ids().end(), b.article_ids().begin(),
                    b.article_ids().end()) &&
         std::equal(a.article_hashes().begin(), a.article_hashes().end(), b.article_hashes().begin(),
                    b.article_hashes().end());
}

}  // namespace

std::string_view to_string(publish_outcome::status s) noexcept {
  switch (s) {
    case publish_outcome::status::published:
      return "published";
    case publish_outcome::status::unchanged:
      return "unchanged";
    case publish_outcome::status::failed:
      return "failed";
  }
  return "failed";
}

struct publisher::impl {
  config::kafka_config kafka;
  publisher_options options;
  kafka::producer producer;
  kafka::consumer reader;
  /// Crash point of the whole-issue atomicity test (syn/core/test_hooks.hpp; none in production).
  std::optional<std::size_t> exit_after = test_hooks::points().exit_after_records;

  /// What the issues topic holds, read incrementally per partition.
  struct partition_index {
    std::int64_t next_offset = kafka::offset_beginning;
    std::map<std::string, IssueManifest, std::less<>> latest;
    /// The manifests this process committed last on the partition, in one transaction: offsets
    /// `own_first..own_last`, `own_count` of them (0: none). They are in `latest` already; the
    /// commit marker follows the last.
    std::int64_t own_first = -1;
    std::int64_t own_last = -1;
    std::int64_t own_count = 0;
  };
  std::map<std::int32_t, partition_index> index;
  /// Partitions read to their end during the group being planned: read once per group (a
  /// watermark query is a broker round trip; per issue it was ~1 ms of every issue's cost).
  std::set<std::int32_t> read_this_group;

  impl(const config::kafka_config& k, publisher_options o, kafka::producer p, kafka::consumer c)
      : kafka(k), options(std::move(o)), producer(std::move(p)), reader(std::move(c)) {}

  kafka::result<std::int32_t> partition_of(const std::string& topic, const std::string& issue_id) {
    auto n = producer.partition_count(topic, kafka::after(10s));
    if (!n) return n.error();
    return kafka::partition_for(issue_id, n.value());
  }

  /// Reads the issues topic partition `p` from where we left off to its end.
  kafka::result<void> catch_up(std::int32_t p) {
    const std::string& topic = kafka.topics.issues.name;
    auto& idx = index[p];
    // Right after topic creation or a leader change the broker answers "not leader" for a while,
    // and a dead leader not at all until another is elected: watermark_offsets asks again, within
    // the transaction timeout (what the publish would wait for its commit).
    auto marks = reader.watermark_offsets(
        topic, p, kafka::after(std::chrono::milliseconds(kafka.transaction_timeout_ms)));
    if (!marks) return marks.error();
    const auto deadline = kafka::after(15s);
    const std::int64_t high = marks.value().high;
    // Nothing but our own last manifests (contiguous: nobody else wrote between them) and their
    // commit marker since we last read (under read_committed `high` is the last stable offset, so
    // the marker is written): nothing to read. Re-reading them cost a fetch round trip per commit.
    if (idx.own_count > 0 && idx.next_offset == idx.own_first &&
        idx.own_last - idx.own_first + 1 == idx.own_count && high == idx.own_last + 2) {
      idx.next_offset = high;
      return kafka::success();
    }
    const std::int64_t start =
        idx.next_offset == kafka::offset_beginning ? marks.value().low : idx.next_offset;
    if (start >= high) return kafka::success();
    const std::array<kafka::partition_offset, 1> from{kafka::partition_offset{topic, p, start, std::nullopt}};
    if (auto r = reader.assign(from); !r) return r.error();
    const std::array<kafka::topic_partition, 1> tp{kafka::topic_partition{topic, p}};
    // Stop fetching once read: an assigned partition is fetched again and again in the
    // background (every fetch.wait.max.ms), and the next watermark query waits behind that fetch.
    std::size_t read = 0;
    const auto done = [&] {
      if (auto r = reader.assign(std::span<const kafka::partition_offset>{}); !r)
        log::get("publisher").debug("unassigning {}[{}]: {}", topic, p, r.error().to_string());
      log::get("publisher")
          .debug("read {} manifest(s) of {}[{}], offsets {}..{}", read, topic, p, start, high - 1);
      return kafka::success();
    };
    while (true) {
      // Short polls: the partition usually ends with a transaction marker, which poll() never
      // returns; only the position shows we are past it. A 100 ms poll cost 100 ms per issue.
      auto m = reader.poll(5ms);
      if (!m) return m.error();
      if (m.value()) {
        const auto& msg = *m.value();
        IssueManifest manifest;
        if (msg.has_key() &&
            manifest.ParseFromArray(msg.value().data(), static_cast<int>(msg.value().size()))) {
          idx.latest[std::string(msg.key())] = slim(std::move(manifest));
          ++read;
        }
        idx.next_offset = msg.offset() + 1;
      }
      // The position moves past transaction markers too, so it reaches `high` at the end.
      auto pos = reader.position(tp);
      if (pos && !pos.value().empty() && pos.value()[0].offset >= high) {
        idx.next_offset = pos.value()[0].offset;
        return done();
      }
      if (idx.next_offset >= high) return done();
      if (kafka::clock::now() > deadline) {
        return kafka::error(kafka::errc::timed_out,
                            "reading " + topic + "[" + std::to_string(p) + "] up to offset " +
                                std::to_string(high) +
                                " took over 15s (an open transaction on the issues topic?)");
      }
    }
  }

  std::optional<IssueManifest> latest_manifest(const std::string& issue_id) {
    auto p = partition_of(kafka.topics.issues.name, issue_id);
    if (!p) throw std::runtime_error(fail_line(p.error()));
    if (!read_this_group.contains(p.value())) {
      if (auto r = catch_up(p.value()); !r) throw std::runtime_error(fail_line(r.error()));
    }
    const auto& latest = index[p.value()].latest;
    if (auto it = latest.find(issue_id); it != latest.end()) return it->second;
    return std::nullopt;
  }

  /// What to send of each issue of a group: what the topic (or the group, ahead of it) does not
  /// hold yet. Resets each outcome; an issue that cannot be planned gets its error and no plan.
  std::vector<planned_issue> plan_group(std::span<const split_result* const> issues,
                                        std::span<const encoded_issue* const> encoded,
                                        std::span<publish_outcome> out, double& read_ms) {
    const auto& topics = kafka.topics;
    std::vector<planned_issue> plan;
    plan.reserve(issues.size());
    // Manifests planned earlier in this group, by issue id: a later copy compares with them.
    std::map<std::string, const IssueManifest*, std::less<>> planned_latest;
    read_this_group.clear();
    for (std::size_t i = 0; i < issues.size(); ++i) {
      const split_result& issue = *issues[i];
      auto& o = out[i];
      // Fresh, but for who it is (a retry one by one follows a failed group's outcome).
      o.state = publish_outcome::status::failed;
      o.articles_sent = o.revisions = 0;
      o.ranges.clear();
      o.error.clear();
      o.fatal = o.permanent = false;
      // What the topic (or this group, ahead of it) already holds for this issue.
      std::optional<IssueManifest> previous;
      if (auto it = planned_latest.find(o.issue_id); it != planned_latest.end()) {
        previous = *it->second;
      } else {
        try {
          const auto reading = std::chrono::steady_clock::now();
          previous = latest_manifest(o.issue_id);
          read_ms += ms_since(reading);
          if (auto read = partition_of(topics.issues.name, o.issue_id)) read_this_group.insert(read.value());
        } catch (const std::exception& e) {
          o.error = e.what();
          continue;
        }
      }
      if (previous && same_articles(*previous, issue.manifest) && !options.force) {
        o.state = publish_outcome::status::unchanged;
        continue;
      }
      std::map<std::string, std::string, std::less<>> held;  // article id -> content hash
      if (previous) {
        for (int k = 0; k < previous->article_ids_size() && k < previous->article_hashes_size(); ++k) {
          held[previous->article_ids(k)] = previous->article_hashes(k);
        }
      }
      auto article_partition = partition_of(topics.articles.name, o.issue_id);
      auto issue_partition = partition_of(topics.issues.name, o.issue_id);
      if (!article_partition || !issue_partition) {
        o.error = fail_line(article_partition ? issue_partition.error() : article_partition.error());
        continue;
      }
      planned_issue p;
      p.slot = i;
      p.issue = &issue;
      if (!encoded.empty()) {
        p.encoded = encoded[i];
      } else {
        p.own = std::make_unique<encoded_issue>(encode_issue(issue));
        p.encoded = p.own.get();
      }
      p.article_partition = article_partition.value();
      p.issue_partition = issue_partition.value();
      for (std::size_t k = 0; k < issue.articles.size(); ++k) {
        const auto& a = issue.articles[k];
        auto it = held.find(a.id());
        const bool known = it != held.end();
        if (known && it->second == a.content_sha256() && !options.force) continue;
        if (known && it->second != a.content_sha256()) ++p.revisions;
        p.articles.push_back(k);
      }
      plan.push_back(std::move(p));
      planned_latest[out[i].issue_id] = &issue.manifest;  // the same ids and hashes as published
    }
    read_this_group.clear();
    return plan;
  }

  /// Sends the planned issues (articles, then the manifest) in one transaction; `sent_in_attempt`
  /// counts the records of the last attempt.
  kafka::result<std::vector<kafka::delivery_report>> send_group(std::vector<planned_issue>& plan,
                                                                std::span<publish_outcome> out,
                                                                const google::protobuf::Timestamp& now,
                                                                std::size_t& sent_in_attempt) {
    const auto& topics = kafka.topics;
    // Values are stamped into one buffer (the producer copies what it sends).
    const publish_stamp stamp_now(now);
    std::string stamped;
    auto body = [&](kafka::producer& tx) -> kafka::result<void> {
      sent_in_attempt = 0;
      for (auto& p : plan) {
        p.first_record = p.last_record = 0;
        const std::string& issue_id = out[p.slot].issue_id;
        auto send = [&](const std::string& topic, std::int32_t partition, const std::string& key,
                        const std::string& value, std::string_view schema,
                        std::string_view language) -> kafka::result<void> {
          const auto headers = contract::record_headers(schema, issue_id, language);
          kafka::outgoing_record rec{topic, key, value, headers, partition, std::nullopt};
          auto r = tx.send(rec, kafka::after(10s));
          if (!r) return r.error();
          if (p.first_record == 0) p.first_record = r.value();
          p.last_record = r.value();
          ++sent_in_attempt;
          if (exit_after && sent_in_attempt >= *exit_after) {
            if (const auto f = tx.flush(kafka::after(10s)); !f.complete())
              log::get("publisher").warn("test hook: {} record(s) not flushed", f.undelivered);
            log::get("publisher")
                .warn("test hook: exiting after {} records of an open transaction", sent_in_attempt);
            std::_Exit(70);
          }
          return kafka::success();
        };
        const auto& articles = p.issue->articles;
        for (const std::size_t k : p.articles) {
          stamp(p.encoded->articles[k], stamp_now.article, stamped);
          if (auto r = send(topics.articles.name, p.article_partition, articles[k].id(), stamped,
                            contract::schema::article, articles[k].language());
              !r) {
            return r.error();
          }
        }
        const std::string language = articles.empty() ? "zh-Hans" : articles.front().language();
        stamp(p.encoded->manifest, stamp_now.manifest, stamped);
        if (auto r = send(topics.issues.name, p.issue_partition, issue_id, stamped,
                          contract::schema::issue_manifest, language);
            !r) {
          return r.error();
        }
      }
      return kafka::success();
    };
    return producer.transact(kafka::after(std::chrono::milliseconds(kafka.transaction_timeout_ms)), body);
  }

  /// A committed group: each issue's outcome from its delivery reports, and the index of the
  /// issues topic from what was committed (without re-reading it).
  void record_group(const std::vector<planned_issue>& plan, std::span<publish_outcome> out,
                    std::vector<kafka::delivery_report>& reports, const google::protobuf::Timestamp& now) {
    const auto& topics = kafka.topics;
    // Each report to its issue: send() numbers records in order, so an issue's ids are one run.
    std::vector<std::vector<kafka::delivery_report>> mine(plan.size());
    for (auto& r : reports) {
      const auto it =
          std::upper_bound(plan.begin(), plan.end(), r.id,
                           [](std::uint64_t id, const planned_issue& p) { return id < p.first_record; });
      if (it == plan.begin() || r.id > std::prev(it)->last_record) continue;  // not of this attempt
      mine[static_cast<std::size_t>(std::prev(it) - plan.begin())].push_back(std::move(r));
    }
    // Per issues-topic partition: the offsets of the manifests just committed.
    std::map<std::int32_t, std::vector<std::int64_t>> own;
    for (std::size_t k = 0; k < plan.size(); ++k) {
      const auto& p = plan[k];
      auto& o = out[p.slot];
      for (const auto& r : mine[k]) {
        if (r.topic == topics.issues.name && r.partition == p.issue_partition)
          own[p.issue_partition].push_back(r.offset);
      }
      o.state = publish_outcome::status::published;
      o.articles_sent = p.articles.size();
      o.revisions = p.revisions;
      o.ranges = ranges_of(mine[k]);
      // Remember what we just committed without re-reading it.
      IssueManifest committed = slim(p.issue->manifest);
      *committed.mutable_published_at() = now;
      index[p.issue_partition].latest[o.issue_id] = std::move(committed);
    }
    for (auto& [partition, offsets] : own) {
      auto& idx = index[partition];
      const auto [lo, hi] = std::minmax_element(offsets.begin(), offsets.end());
      idx.own_first = *lo;
      idx.own_last = *hi;
      idx.own_count = static_cast<std::int64_t>(offsets.size());
    }
  }
};

publisher::publisher(const config::kafka_config& kafka, publisher_options options) {
  kafka::producer_options popts;
  popts.client_id = "syndicate-publisher";
  popts.transactional_id = kafka.transactional_id_prefix + "-" + options.instance;
  auto p = kafka::producer::create(kafka, popts);
  if (!p) throw std::runtime_error(fail_line(p.error()));
  kafka::consumer_options copts;
  copts.group_id = "syndicate-publisher-index";  // never joined or committed: assign() only
  copts.client_id = "syndicate-publisher-index";
  // Catching up ends with a fetch at the partition's end (past our own last commit marker),
  // which the broker holds for fetch.wait.max.ms: librdkafka's 500 ms default made every
  // publication wait ~0.5 s (2 issues/s; bench/run.sh). Data is there or it is not: ask briefly.
  config::kafka_config index_cfg = kafka;
  index_cfg.client.try_emplace("fetch.wait.max.ms", "10");
  auto c = kafka::consumer::create(index_cfg, copts);
  if (!c) throw std::runtime_error(fail_line(c.error()));
  if (auto r = p.value().init_transactions(kafka::after(30s)); !r)
    throw std::runtime_error(fail_line(r.error()));
  impl_ = std::make_unique<impl>(kafka, std::move(options), std::move(p).value(), std::move(c).value());
}

publisher::~publisher() = default;

std::optional<IssueManifest> publisher::latest_manifest(const std::string& issue_id) {
  return impl_->latest_manifest(issue_id);
}

publish_outcome publisher::publish(const split_result& issue) {
  const std::array<const split_result*, 1> one{&issue};
  return std::move(publish(one).front());
}

std::vector<publish_outcome> publisher::publish(std::span<const split_result* const> issues,
                                                std::span<const encoded_issue* const> encoded) {
  if (!encoded.empty() && encoded.size() != issues.size()) {
    throw std::invalid_argument("publisher::publish: " + std::to_string(encoded.size()) + " encodings for " +
                                std::to_string(issues.size()) + " issues");
  }
  const auto encodings = [&](std::size_t first, std::size_t n) {
    return encoded.empty() ? encoded : encoded.subspan(first, n);
  };
  std::vector<publish_outcome> out(issues.size());
  for (std::size_t i = 0; i < issues.size(); ++i) {
    auto& o = out[i];
    o.issue_id = issues[i]->manifest.issue_id();
    o.source_name = issues[i]->manifest.source_name();
    for (const auto& a : issues[i]->articles) o.article_ids.push_back(a.id());
  }
  const std::size_t group = std::max<std::size_t>(1, impl_->options.max_issues_per_transaction);
  for (std::size_t first = 0; first < issues.size(); first += group) {
    const std::size_t n = std::min(group, issues.size() - first);
    if (publish_group(issues.subspan(first, n), encodings(first, n), std::span(out).subspan(first, n)) ||
        n == 1) {
      continue;
    }
    // The group's transaction failed (aborted: none of it is visible). Each issue again on its
    // own, as one issue was always retried, so that one bad issue does not fail the others.
    log::get("publisher")
        .warn("a transaction of {} issues failed ({}); publishing them one by one", n, out[first].error);
    std::size_t failed = 0;
    for (std::size_t i = first; i < first + n; ++i) {
      // Each issue's outcome (out[i]) says how it went; the count is for the log.
      if (!publish_group(issues.subspan(i, 1), encodings(i, 1), std::span(out).subspan(i, 1))) ++failed;
    }
    log::get("publisher").info("one by one: {} of {} issues failed", failed, n);
  }
  return out;
}

bool publisher::publish_group(std::span<const split_result* const> issues,
                              std::span<const encoded_issue* const> encoded, std::span<publish_outcome> out) {
  const auto started = std::chrono::steady_clock::now();
  const auto now = google::protobuf::util::TimeUtil::GetCurrentTime();
  double read_ms = 0;  // of the planning: reading the issues topic (what is published already)
  auto plan = impl_->plan_group(issues, encoded, out, read_ms);
  log::get("publisher")
      .debug("planned {} of {} issues in {:.1f} ms ({:.1f} ms reading the issues topic)", plan.size(),
             issues.size(), ms_since(started), read_ms);
  if (plan.empty()) return true;
  const auto sending = std::chrono::steady_clock::now();

  std::size_t sent_in_attempt = 0;
  auto reports = impl_->send_group(plan, out, now, sent_in_attempt);
  log::get("publisher")
      .debug("transaction of {} issues ({} records) {} in {:.1f} ms", plan.size(), sent_in_attempt,
             reports ? "committed" : "failed", ms_since(sending));
  if (!reports) {
    std::string error = fail_line(reports.error());
    const bool fatal = reports.error().fatal();
    if (fatal) error += " (fatal: this publisher must be restarted)";
    for (const auto& p : plan) {
      out[p.slot].error = error;
      out[p.slot].fatal = fatal;
      // Only an issue alone is known to be the one too large (a group is retried one by one).
      out[p.slot].permanent = !fatal && plan.size() == 1 && too_large(reports.error());
    }
    // A fatal error fails every issue alike: retrying them one by one cannot help.
    return reports.error().fatal();
  }
  impl_->record_group(plan, out, reports.value(), now);
  return true;
}

}  // namespace syn::producer
