#include "syn/producer/publisher.hpp"

#include "syn/core/kafka/partitioner.hpp"

#include <google/protobuf/util/time_util.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdlib>
#include <stdexcept>
#include <thread>
#include <utility>

namespace syn::producer {
namespace {

using namespace std::chrono_literals;
using syndication::v1::Article;
using syndication::v1::IssueManifest;

constexpr std::string_view content_type = "application/x-protobuf";

/// Test hook for the whole-issue atomicity test: after this many records of a transaction are
/// on the broker, the process exits as if killed. Read once; unset in production.
std::optional<std::size_t> exit_after_records() {
  const char* v = std::getenv("SYNDICATE_TEST_EXIT_AFTER_RECORDS");
  if (v == nullptr || *v == '\0') return std::nullopt;
  return static_cast<std::size_t>(std::strtoul(v, nullptr, 10));
}

std::string fail_line(const kafka::error& e) { return e.to_string(); }

/// Groups delivery reports into one offset range per topic partition, in first-seen order.
std::vector<offset_range> ranges_of(const std::vector<kafka::delivery_report>& reports) {
  std::vector<offset_range> out;
  for (const auto& r : reports) {
    auto it = std::find_if(out.begin(), out.end(),
                           [&](const offset_range& o) { return o.topic == r.topic && o.partition == r.partition; });
    if (it == out.end()) {
      out.push_back({r.topic, r.partition, r.offset, r.offset});
    } else {
      it->first = std::min(it->first, r.offset);
      it->last = std::max(it->last, r.offset);
    }
  }
  return out;
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
  std::optional<std::size_t> exit_after = exit_after_records();

  /// What the issues topic holds, read incrementally per partition.
  struct partition_index {
    std::int64_t next_offset = kafka::offset_beginning;
    std::map<std::string, IssueManifest, std::less<>> latest;
    /// Offset of the manifest this process committed last on the partition (-1: none). It is
    /// in `latest` already; its commit marker follows it.
    std::int64_t own_manifest = -1;
  };
  std::map<std::int32_t, partition_index> index;

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
    const auto deadline = kafka::after(15s);
    auto marks = reader.watermark_offsets(topic, p, deadline);
    // Right after topic creation or a leader change the broker answers "not leader" for a while.
    while (!marks && marks.error().retriable() && kafka::clock::now() + 200ms < deadline) {
      std::this_thread::sleep_for(200ms);
      marks = reader.watermark_offsets(topic, p, deadline);
    }
    if (!marks) return marks.error();
    const std::int64_t high = marks.value().high;
    // Nothing but our own last manifest and its commit marker since we last read (under
    // read_committed `high` is the last stable offset, so the marker is written): nothing to read.
    // Re-reading them cost a fetch round trip per publication.
    if (idx.own_manifest >= 0 && idx.next_offset == idx.own_manifest && high == idx.own_manifest + 2) {
      idx.next_offset = high;
      return kafka::success();
    }
    const std::int64_t start = idx.next_offset == kafka::offset_beginning ? marks.value().low : idx.next_offset;
    if (start >= high) return kafka::success();
    const std::array<kafka::partition_offset, 1> from{kafka::partition_offset{topic, p, start, std::nullopt}};
    if (auto r = reader.assign(from); !r) return r.error();
    const std::array<kafka::topic_partition, 1> tp{kafka::topic_partition{topic, p}};
    // Stop fetching once read: an assigned partition is fetched again and again in the
    // background (every fetch.wait.max.ms), and the next watermark query waits behind that fetch.
    const auto done = [this] {
      (void)reader.assign(std::span<const kafka::partition_offset>{});
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
        if (msg.has_key() && manifest.ParseFromArray(msg.value().data(), static_cast<int>(msg.value().size()))) {
          idx.latest[std::string(msg.key())] = std::move(manifest);
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
                            "reading " + topic + "[" + std::to_string(p) + "] up to offset " + std::to_string(high) +
                                " took over 15s (an open transaction on the issues topic?)");
      }
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
  if (auto r = p.value().init_transactions(kafka::after(30s)); !r) throw std::runtime_error(fail_line(r.error()));
  impl_ = std::make_unique<impl>(kafka, std::move(options), std::move(p).value(), std::move(c).value());
}

publisher::~publisher() = default;

std::optional<IssueManifest> publisher::latest_manifest(const std::string& issue_id) {
  auto p = impl_->partition_of(impl_->kafka.topics.issues.name, issue_id);
  if (!p) throw std::runtime_error(fail_line(p.error()));
  if (auto r = impl_->catch_up(p.value()); !r) throw std::runtime_error(fail_line(r.error()));
  const auto& latest = impl_->index[p.value()].latest;
  if (auto it = latest.find(issue_id); it != latest.end()) return it->second;
  return std::nullopt;
}

publish_outcome publisher::publish(const split_result& issue) {
  publish_outcome out;
  out.issue_id = issue.manifest.issue_id();
  out.source_name = issue.manifest.source_name();
  for (const auto& a : issue.articles) out.article_ids.push_back(a.id());

  // What the topic already holds for this issue.
  std::map<std::string, std::string, std::less<>> held;  // article id -> content hash
  std::optional<IssueManifest> previous;
  try {
    previous = latest_manifest(out.issue_id);
  } catch (const std::exception& e) {
    out.error = e.what();
    return out;
  }
  if (previous) {
    for (int i = 0; i < previous->article_ids_size() && i < previous->article_hashes_size(); ++i) {
      held[previous->article_ids(i)] = previous->article_hashes(i);
    }
  }
  const bool same_articles =
      previous && std::equal(previous->article_ids().begin(), previous->article_ids().end(),
                             issue.manifest.article_ids().begin(), issue.manifest.article_ids().end()) &&
      std::equal(previous->article_hashes().begin(), previous->article_hashes().end(),
                 issue.manifest.article_hashes().begin(), issue.manifest.article_hashes().end());
  if (same_articles && !impl_->options.force) {
    out.state = publish_outcome::status::unchanged;
    return out;
  }

  const auto now = google::protobuf::util::TimeUtil::GetCurrentTime();
  std::vector<std::pair<const Article*, std::string>> to_send;  // article, encoded
  for (const auto& a : issue.articles) {
    auto it = held.find(a.id());
    const bool known = it != held.end();
    if (known && it->second == a.content_sha256() && !impl_->options.force) continue;
    if (known && it->second != a.content_sha256()) ++out.revisions;
    Article stamped = a;
    *stamped.mutable_published_at() = now;
    to_send.emplace_back(&a, stamped.SerializeAsString());
  }
  IssueManifest manifest = issue.manifest;
  *manifest.mutable_published_at() = now;
  const std::string manifest_bytes = manifest.SerializeAsString();

  const auto& topics = impl_->kafka.topics;
  auto article_partition = impl_->partition_of(topics.articles.name, out.issue_id);
  auto issue_partition = impl_->partition_of(topics.issues.name, out.issue_id);
  if (!article_partition || !issue_partition) {
    out.error = fail_line(article_partition ? issue_partition.error() : article_partition.error());
    return out;
  }

  std::size_t sent_in_attempt = 0;
  auto body = [&](kafka::producer& tx) -> kafka::result<void> {
    sent_in_attempt = 0;
    auto send = [&](const std::string& topic, std::int32_t partition, const std::string& key,
                    const std::string& value, std::string_view schema, std::string_view language) -> kafka::result<void> {
      const std::array<kafka::header, 4> headers{{{"content-type", content_type},
                                                  {"schema", schema},
                                                  {"issue-id", out.issue_id},
                                                  {"language", language}}};
      kafka::outgoing_record rec{topic, key, value, headers, partition, std::nullopt};
      auto r = tx.send(rec, kafka::after(10s));
      if (!r) return r.error();
      ++sent_in_attempt;
      if (impl_->exit_after && sent_in_attempt >= *impl_->exit_after) {
        (void)tx.flush(kafka::after(10s));
        spdlog::warn("test hook: exiting after {} records of an open transaction", sent_in_attempt);
        std::_Exit(70);
      }
      return kafka::success();
    };
    for (const auto& [article, bytes] : to_send) {
      if (auto r = send(topics.articles.name, article_partition.value(), article->id(), bytes,
                        "syndication.v1.Article", article->language());
          !r) {
        return r.error();
      }
    }
    const std::string language = issue.articles.empty() ? "zh-Hans" : issue.articles.front().language();
    return send(topics.issues.name, issue_partition.value(), out.issue_id, manifest_bytes,
                "syndication.v1.IssueManifest", language);
  };

  auto reports = impl_->producer.transact(kafka::after(std::chrono::milliseconds(impl_->kafka.transaction_timeout_ms)),
                                          body);
  if (!reports) {
    out.error = fail_line(reports.error());
    if (reports.error().fatal()) {
      out.error += " (fatal: this publisher must be restarted)";
    }
    return out;
  }
  out.state = publish_outcome::status::published;
  out.articles_sent = to_send.size();
  out.ranges = ranges_of(reports.value());
  // Remember what we just committed without re-reading it.
  auto& idx = impl_->index[issue_partition.value()];
  idx.latest[out.issue_id] = std::move(manifest);
  idx.own_manifest = -1;
  for (const auto& r : reports.value()) {
    if (r.topic == topics.issues.name && r.partition == issue_partition.value()) idx.own_manifest = r.offset;
  }
  return out;
}

}  // namespace syn::producer
