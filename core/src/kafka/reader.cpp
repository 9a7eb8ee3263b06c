#include "syn/core/kafka/reader.hpp"

#include <algorithm>
#include <set>
#include <utility>

#include "client.hpp"

namespace syn::kafka {

struct reader::impl final : detail::client {
  // No consumer close: this handle never joins a group nor commits, so there is nothing to
  // leave, and a close could wait on an unreachable coordinator.
  ~impl() override { close_handle(RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE); }

  error bounded(rd_kafka_resp_err_t code, std::string_view what, clock::time_point started) const {
    if (code == RD_KAFKA_RESP_ERR__TIMED_OUT) return timed_out(what, started);
    return detail::from_code(code, what);
  }
};

result<reader> reader::create(const config::kafka_config& cfg, isolation iso, std::string client_id) {
  role_options ro;
  ro.client_id = std::move(client_id);
  // Needed by librdkafka for assign(); this client never joins the group nor commits for it.
  ro.group_id = ro.client_id;
  auto props = build_properties(cfg, role::consumer, ro);
  if (!props) return props.error();
  auto p = std::move(props).value();
  p["isolation.level"] = iso == isolation::read_committed ? "read_committed" : "read_uncommitted";
  p["enable.partition.eof"] = "true";  // how read() knows a partition is done
  auto r = std::make_unique<impl>();
  BOOST_OUTCOME_TRY(r->open(RD_KAFKA_CONSUMER, std::move(p), nullptr));
  rd_kafka_poll_set_consumer(r->rk());
  return reader(std::move(r));
}

reader::reader(std::unique_ptr<impl> p) : impl_(std::move(p)) {}
reader::reader(reader&&) noexcept = default;
reader& reader::operator=(reader&&) noexcept = default;
reader::~reader() = default;

// ListOffsets through offsets_for_times(), not rd_kafka_query_watermark_offsets(), which in
// librdkafka 2.0.2 never returns while the partition's leader is down (consumer.cpp).
result<watermarks> reader::watermark_offsets(const std::string& topic, std::int32_t partition, deadline d) {
  BOOST_OUTCOME_TRY(high, offsets_for_times(topic, {{partition, RD_KAFKA_OFFSET_END}}, d));
  BOOST_OUTCOME_TRY(low, offsets_for_times(topic, {{partition, RD_KAFKA_OFFSET_BEGINNING}}, d));
  watermarks w;
  w.low = low.at(partition);
  w.high = high.at(partition);
  return w;
}

result<std::map<std::int32_t, std::int64_t>> reader::offsets_for_times(
    const std::string& topic, const std::map<std::int32_t, std::int64_t>& ms, deadline d) {
  std::map<std::int32_t, std::int64_t> out;
  if (ms.empty()) return out;
  const auto started = clock::now();
  detail::tpl_ptr list(rd_kafka_topic_partition_list_new(static_cast<int>(ms.size())));
  for (const auto& [p, t] : ms) rd_kafka_topic_partition_list_add(list.get(), topic.c_str(), p)->offset = t;
  const std::string what = "offsets by time of " + topic;
  const auto err = rd_kafka_offsets_for_times(impl_->rk(), list.get(), std::max(1, remaining_ms(d)));
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) return impl_->bounded(err, what, started);
  for (int i = 0; i < list->cnt; ++i) {
    const auto& e = list->elems[i];
    if (e.err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return detail::from_code(e.err, what + "[" + std::to_string(e.partition) + "]");
    }
    out[e.partition] = e.offset;
  }
  return out;
}

result<void> reader::read(const std::string& topic, const std::map<std::int32_t, range>& ranges,
                          const std::function<next(const message&)>& fn, deadline d) {
  const auto started = clock::now();
  rd_kafka_t* rk = impl_->rk();
  std::set<std::int32_t> open_parts;
  detail::tpl_ptr list(rd_kafka_topic_partition_list_new(static_cast<int>(ranges.size())));
  for (const auto& [p, r] : ranges) {
    if (r.start >= r.stop) continue;
    rd_kafka_topic_partition_list_add(list.get(), topic.c_str(), p)->offset = r.start;
    open_parts.insert(p);
  }
  if (open_parts.empty()) return success();
  if (auto err = rd_kafka_assign(rk, list.get()); err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return detail::from_code(err, "assign " + topic);
  }
  // librdkafka keeps a partition paused across unassign/assign: one an earlier read() finished
  // (close_partition) would never fetch again. A failure here shows as that partition timing out.
  if (auto err = rd_kafka_resume_partitions(rk, list.get()); err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    detail::logger()->debug("resume {}: {}", topic, rd_kafka_err2str(err));
  }
  struct unassign {
    rd_kafka_t* rk;
    ~unassign() {
      // Best effort on the way out: the next read() assigns afresh and destruction drops it anyway.
      if (rd_kafka_assign(rk, nullptr) != RD_KAFKA_RESP_ERR_NO_ERROR) return;
    }
  } guard{rk};

  auto close_partition = [&](std::int32_t p) {
    if (open_parts.erase(p) == 0) return;
    detail::tpl_ptr one(rd_kafka_topic_partition_list_new(1));
    rd_kafka_topic_partition_list_add(one.get(), topic.c_str(), p);
    // Stop fetching what we will not read; a failure only costs a few unread fetches.
    if (rd_kafka_pause_partitions(rk, one.get()) != RD_KAFKA_RESP_ERR_NO_ERROR) return;
  };

  while (!open_parts.empty()) {
    if (clock::now() >= d) {
      return impl_->timed_out(
          "reading " + topic + " (" + std::to_string(open_parts.size()) + " partitions unfinished)", started);
    }
    rd_kafka_message_t* raw = rd_kafka_consumer_poll(rk, std::max(1, std::min(remaining_ms(d), 200)));
    if (raw == nullptr) continue;
    message m(raw);  // owns raw from here
    const std::int32_t p = raw->partition;
    if (raw->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      close_partition(p);
      continue;
    }
    if (raw->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      const std::string what = raw->rkt != nullptr ? "reading " + std::string(rd_kafka_topic_name(raw->rkt)) +
                                                         "[" + std::to_string(p) + "]"
                                                   : "reading " + topic;
      error e = detail::from_code(raw->err, what);
      if (e.retriable()) {
        detail::logger()->debug("{}", e.to_string());
        continue;
      }
      return e;
    }
    if (!open_parts.contains(p)) continue;
    const auto& r = ranges.at(p);
    if (raw->offset >= r.stop) {
      close_partition(p);
      continue;
    }
    const next n = fn(m);
    if (n == next::stop) return success();
    if (n == next::partition_done || raw->offset + 1 >= r.stop) close_partition(p);
  }
  return success();
}

}  // namespace syn::kafka
