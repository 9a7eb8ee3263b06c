#include "syn/console/tail.hpp"

#include <spdlog/spdlog.h>

#include <filesystem>
#include <vector>

#include "syn/contract/headers.hpp"
#include "syn/contract/schema.hpp"
#include "syn/core/kafka/admin.hpp"
#include "syn/core/kafka/reader.hpp"
#include "syn/core/log.hpp"
#include "syn/core/receipts.hpp"
#include "syn/producer/review.hpp"

namespace syn::console {

tail::tail(const config::root& cfg, index& idx) : cfg_(cfg), index_(idx) {}

tail::~tail() { stop(); }

void tail::start(std::chrono::milliseconds every) {
  thread_ = std::thread([this, every] {
    for (;;) {
      const auto why = read_once(std::max(every, std::chrono::milliseconds(5000)));
      std::unique_lock lock(mu_);
      if (why != problem_ && !why.empty()) log::get("console").warn("reading the topics: {}", why);
      problem_ = why;
      if (wake_.wait_for(lock, every, [this] { return stopping_; })) return;
    }
  });
}

void tail::stop() {
  {
    const std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::string tail::problem() const {
  const std::lock_guard lock(mu_);
  return problem_;
}

std::string tail::read_once(std::chrono::milliseconds budget) {
  std::string why = read_topic(cfg_.kafka.topics.issues.name, budget);
  if (receipts::enabled(cfg_.kafka)) {
    auto w = read_topic(cfg_.kafka.topics.deliveries.name, budget);
    if (!w.empty()) why = std::move(w);
  }
  read_review_dir();
  return why;
}

std::string tail::read_topic(const std::string& topic, std::chrono::milliseconds budget) {
  const auto d = kafka::after(budget);
  auto admin = kafka::admin::create(cfg_.kafka, "syndicate-console");
  if (!admin) return admin.error().to_string();
  auto info = admin.value().describe_topic(topic, d);
  if (!info) return topic + ": " + info.error().to_string();
  auto reader = kafka::reader::create(cfg_.kafka, kafka::isolation::read_committed, "syndicate-console");
  if (!reader) return reader.error().to_string();
  std::map<std::int32_t, kafka::reader::range> ranges;
  for (const auto& p : info.value().partitions) {
    auto marks = reader.value().watermark_offsets(topic, p.id, d);
    if (!marks) return topic + ": " + marks.error().to_string();
    auto& next = next_[{topic, p.id}];
    const std::int64_t start = std::max(next, marks.value().low);
    if (start < marks.value().high) ranges[p.id] = {start, marks.value().high};
    next = std::max(next, start);
  }
  if (ranges.empty()) return {};
  auto read = reader.value().read(
      topic, ranges,
      [&](const kafka::message& m) {
        next_[{topic, m.partition()}] = m.offset() + 1;
        const auto schema = m.header_value(contract::header_name::schema);
        if (schema == contract::schema::issue_manifest) {
          syndication::v1::IssueManifest manifest;
          if (manifest.ParseFromArray(m.value().data(), static_cast<int>(m.value().size())))
            index_.add_manifest(manifest, m.partition(), m.offset());
        } else if (schema == contract::schema::delivery_receipt) {
          syndication::v1::DeliveryReceipt r;
          if (r.ParseFromArray(m.value().data(), static_cast<int>(m.value().size()))) index_.add_receipt(r);
        }
        return kafka::reader::next::more;
      },
      d);
  // Records after the last one read (transaction markers) leave nothing to read: move past them.
  for (const auto& [p, r] : ranges) {
    auto& next = next_[{topic, p}];
    if (read) next = std::max(next, r.stop);
  }
  return read ? std::string() : topic + ": " + read.error().to_string();
}

void tail::read_review_dir() {
  std::error_code ec;
  if (!std::filesystem::exists(cfg_.producer.review.dir, ec)) return;
  try {
    const producer::review_store store(cfg_.producer.review.dir);
    for (const auto& h : store.list()) {
      index_.add_review(h.issue_id, h.state, h.confidence, h.warnings, h.paper, h.date);
    }
  } catch (const std::exception& e) {
    log::get("console").warn("review dir {}: {}", cfg_.producer.review.dir, e.what());
  }
}

}  // namespace syn::console
