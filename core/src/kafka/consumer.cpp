#include "syn/core/kafka/consumer.hpp"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <exception>
#include <thread>
#include <utility>

#include "client.hpp"

namespace syn::kafka {

// ------------------------------------------------------------------ message

message::message(rd_kafka_message_s* m) noexcept : m_(m) {}
message::message(message&& o) noexcept : m_(std::exchange(o.m_, nullptr)) {}
message& message::operator=(message&& o) noexcept {
  if (this != &o) {
    if (m_ != nullptr) rd_kafka_message_destroy(m_);
    m_ = std::exchange(o.m_, nullptr);
  }
  return *this;
}
message::~message() {
  if (m_ != nullptr) rd_kafka_message_destroy(m_);
}

std::string_view message::topic() const noexcept { return rd_kafka_topic_name(m_->rkt); }
std::int32_t message::partition() const noexcept { return m_->partition; }
std::int64_t message::offset() const noexcept { return m_->offset; }
bool message::has_key() const noexcept { return m_->key != nullptr; }
std::string_view message::key() const noexcept {
  if (m_->key == nullptr) return {};
  return {static_cast<const char*>(m_->key), m_->key_len};
}
std::string_view message::value() const noexcept {
  if (m_->payload == nullptr) return {};
  return {static_cast<const char*>(m_->payload), m_->len};
}

std::vector<header> message::headers() const {
  std::vector<header> out;
  rd_kafka_headers_t* hdrs = nullptr;
  if (rd_kafka_message_headers(m_, &hdrs) != RD_KAFKA_RESP_ERR_NO_ERROR) return out;
  const char* name = nullptr;
  const void* val = nullptr;
  std::size_t size = 0;
  for (std::size_t i = 0; rd_kafka_header_get_all(hdrs, i, &name, &val, &size) == RD_KAFKA_RESP_ERR_NO_ERROR;
       ++i) {
    out.push_back(
        {name, val == nullptr ? std::string_view{} : std::string_view(static_cast<const char*>(val), size)});
  }
  return out;
}

std::optional<std::string_view> message::header_value(std::string_view name) const {
  std::optional<std::string_view> found;
  for (const auto& h : headers()) {
    if (h.name == name) found = h.value;
  }
  return found;
}

std::optional<std::chrono::system_clock::time_point> message::timestamp() const noexcept {
  rd_kafka_timestamp_type_t type{};
  const auto ms = rd_kafka_message_timestamp(m_, &type);
  if (ms < 0 || type == RD_KAFKA_TIMESTAMP_NOT_AVAILABLE) return std::nullopt;
  return std::chrono::system_clock::time_point(std::chrono::milliseconds(ms));
}

partition_offset message::next_offset() const {
  return {std::string(topic()), partition(), offset() + 1, std::nullopt};
}

// ------------------------------------------------------------------ group_metadata

group_metadata group_metadata::for_group(const std::string& group_id) {
  return group_metadata(rd_kafka_consumer_group_metadata_new(group_id.c_str()));
}
group_metadata& group_metadata::operator=(group_metadata&& o) noexcept {
  if (this != &o) {
    if (g_ != nullptr) rd_kafka_consumer_group_metadata_destroy(g_);
    g_ = std::exchange(o.g_, nullptr);
  }
  return *this;
}
group_metadata::~group_metadata() {
  if (g_ != nullptr) rd_kafka_consumer_group_metadata_destroy(g_);
}

// ------------------------------------------------------------------ consumer

struct consumer::impl final : detail::client {
  rebalance_hooks hooks;
  std::function<void(std::string_view)> on_statistics;
  std::string group_id;
  bool closed = false;

  ~impl() override { close_handle(RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE); }

  result<void> open_consumer(properties props) {
    const bool statistics = static_cast<bool>(on_statistics);
    BOOST_OUTCOME_TRY(open(RD_KAFKA_CONSUMER, std::move(props), [statistics](rd_kafka_conf_t* conf) {
      rd_kafka_conf_set_rebalance_cb(conf, &impl::on_rebalance);
      if (statistics) rd_kafka_conf_set_stats_cb(conf, &impl::on_stats);
    }));
    // One queue for messages, rebalances, errors: poll() serves them all.
    rd_kafka_poll_set_consumer(rk());
    return success();
  }

  static void on_rebalance(rd_kafka_t*, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* parts,
                           void* opaque) {
    static_cast<impl*>(static_cast<detail::client*>(opaque))->rebalance(err, parts);
  }

  static int on_stats(rd_kafka_t*, char* json, std::size_t len, void* opaque) {
    auto* self = static_cast<impl*>(static_cast<detail::client*>(opaque));
    try {
      if (self->on_statistics) self->on_statistics(std::string_view(json, len));
    } catch (const std::exception& e) {
      detail::logger()->error("{}: statistics hook threw: {}", self->name(), e.what());
    }
    return 0;  // librdkafka frees `json`
  }

  void rebalance(rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* parts) {
    const bool cooperative = std::strcmp(rd_kafka_rebalance_protocol(rk()), "COOPERATIVE") == 0;
    const auto tps = detail::partitions_of(parts);
    auto check = [this](rd_kafka_error_t* e, rd_kafka_resp_err_t code, const char* what) {
      if (e != nullptr) {
        detail::logger()->error("{}: {}", name(), detail::from_rd(e, what).message());
      } else if (code != RD_KAFKA_RESP_ERR_NO_ERROR) {
        detail::logger()->error("{}: {}", name(), detail::from_code(code, what).message());
      }
    };
    try {
      if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        detail::logger()->info("{}: assigned {} partition(s)", name(), tps.size());
        if (cooperative) {
          check(rd_kafka_incremental_assign(rk(), parts), RD_KAFKA_RESP_ERR_NO_ERROR, "assign");
        } else {
          check(nullptr, rd_kafka_assign(rk(), parts), "assign");
        }
        if (hooks.on_assigned) hooks.on_assigned(tps);
        return;
      }
      const bool lost = err != RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS || rd_kafka_assignment_lost(rk()) != 0;
      detail::logger()->info("{}: {} {} partition(s)", name(), lost ? "lost" : "revoked", tps.size());
      if (hooks.on_revoked) hooks.on_revoked(tps, lost);
    } catch (const std::exception& e) {
      detail::logger()->error("{}: rebalance hook threw: {}", name(), e.what());
    } catch (...) {
      detail::logger()->error("{}: rebalance hook threw", name());
    }
    if (err != RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
      if (cooperative) {
        check(rd_kafka_incremental_unassign(rk(), parts), RD_KAFKA_RESP_ERR_NO_ERROR, "unassign");
      } else {
        check(nullptr, rd_kafka_assign(rk(), nullptr), "unassign");
      }
    }
  }

  result<void> usable() const {
    if (closed || rk() == nullptr) return error(errc::state, "consumer is closed");
    return success();
  }

  /// Leaves the group by `d`. The handle stays until the consumer is destroyed; on a timeout
  /// the caller disposes of it (see consumer::close).
  result<void> close(deadline d) {
    if (closed) return success();
    closed = true;
    const auto started = clock::now();
    detail::queue_ptr q(rd_kafka_queue_new(rk()));
    if (auto* e = rd_kafka_consumer_close_queue(rk(), q.get())) {
      q.reset();
      return detail::from_rd(e, "close");
    }
    while (rd_kafka_consumer_closed(rk()) == 0) {
      if (clock::now() >= d) return timed_out("close", started);
      detail::event_ptr ev(rd_kafka_queue_poll(q.get(), std::min(100, std::max(1, remaining_ms(d)))));
      if (ev && rd_kafka_event_type(ev.get()) == RD_KAFKA_EVENT_REBALANCE) {
        rebalance(rd_kafka_event_error(ev.get()), rd_kafka_event_topic_partition_list(ev.get()));
      }
    }
    // The handle itself goes with the consumer: messages still alive reference it, and
    // rd_kafka_destroy() blocks until they are gone.
    return success();
  }

  error bounded(rd_kafka_resp_err_t code, std::string_view what, clock::time_point started) const {
    if (code == RD_KAFKA_RESP_ERR__TIMED_OUT) return timed_out(what, started);
    return detail::from_code(code, what);
  }
};

namespace {
result<void> usable(const std::unique_ptr<consumer::impl>& p) {
  if (!p) return error(errc::state, "consumer is closed");
  return p->usable();
}
}  // namespace

result<consumer> consumer::create(const config::kafka_config& cfg, consumer_options opts,
                                  statistics_fn on_statistics) {
  role_options ro;
  ro.client_id = opts.client_id;
  ro.group_id = opts.group_id;
  auto props = build_properties(cfg, role::consumer, ro);
  if (!props) return props.error();
  auto p = std::make_unique<impl>();
  p->hooks = std::move(opts.hooks);
  p->group_id = opts.group_id;
  p->warn_on_outage(true);
  if (on_statistics && cfg.statistics_interval.count() > 0) {
    p->on_statistics = std::move(on_statistics);
    // Not in build_properties: `kafka.client` may not set it (observability owns it), and a
    // client without a statistics callback should not pay for the JSON.
    props.value()["statistics.interval.ms"] = std::to_string(cfg.statistics_interval.count());
  }
  BOOST_OUTCOME_TRY(p->open_consumer(std::move(props).value()));
  return consumer(std::move(p));
}

consumer::consumer(std::unique_ptr<impl> p) : impl_(std::move(p)) {}
consumer::consumer(consumer&&) noexcept = default;
consumer& consumer::operator=(consumer&&) noexcept = default;
consumer::~consumer() {
  if (impl_ && !impl_->closed) {
    if (auto r = close(after(std::chrono::seconds(10))); !r) {
      detail::logger()->warn("consumer close: {}", r.error().message());
    }
  }
}

std::optional<error> consumer::fatal_error() const { return impl_ ? impl_->fatal_error() : std::nullopt; }

result<void> consumer::subscribe(std::span<const std::string> topics) {
  BOOST_OUTCOME_TRY(usable(impl_));
  detail::tpl_ptr list(rd_kafka_topic_partition_list_new(static_cast<int>(topics.size())));
  for (const auto& t : topics)
    rd_kafka_topic_partition_list_add(list.get(), t.c_str(), RD_KAFKA_PARTITION_UA);
  if (auto err = rd_kafka_subscribe(impl_->rk(), list.get()); err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return detail::from_code(err, "subscribe");
  }
  return success();
}

result<void> consumer::assign(std::span<const partition_offset> start) {
  BOOST_OUTCOME_TRY(usable(impl_));
  auto list = detail::to_list(start);
  if (auto err = rd_kafka_assign(impl_->rk(), list.get()); err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return detail::from_code(err, "assign");
  }
  return success();
}

result<std::optional<message>> consumer::poll(std::chrono::milliseconds timeout) {
  BOOST_OUTCOME_TRY(usable(impl_));
  rd_kafka_message_t* m = rd_kafka_consumer_poll(impl_->rk(), static_cast<int>(timeout.count()));
  if (m == nullptr) return std::optional<message>{};
  message msg(m);
  if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    if (m->err == RD_KAFKA_RESP_ERR__FATAL) {
      if (auto f = impl_->fatal_error()) return *f;
    }
    std::string context = "consume";
    // append(), not `" " + std::string(...)`: GCC 12 -O3 reports a false -Wrestrict in
    // operator+(const char*, string&&) (GCC PR 105329).
    if (m->rkt != nullptr) {
      context.append(" ").append(msg.topic()).append("[").append(std::to_string(m->partition)).append("]");
    }
    return error(make_error_code(static_cast<errc>(m->err)), context + ": " + rd_kafka_message_errstr(m));
  }
  return std::optional<message>(std::move(msg));
}

result<void> consumer::commit(std::span<const partition_offset> offsets, deadline d) {
  BOOST_OUTCOME_TRY(usable(impl_));
  if (offsets.empty()) return success();
  const auto started = clock::now();
  auto list = detail::to_list(offsets);
  // rd_kafka_commit(async=0) waits for the coordinator without a bound; the queue variant lets
  // us stop waiting at the deadline (the op may still complete later, harmlessly).
  detail::queue_ptr q(rd_kafka_queue_new(impl_->rk()));
  if (auto err = rd_kafka_commit_queue(impl_->rk(), list.get(), q.get(), nullptr, nullptr);
      err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return detail::from_code(err, "commit");
  }
  auto ev = detail::wait_event(q.get(), d);
  if (!ev) return impl_->timed_out("commit", started);
  if (const auto err = rd_kafka_event_error(ev.get()); err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return error(make_error_code(static_cast<errc>(err)),
                 std::string("commit: ") + rd_kafka_event_error_string(ev.get()));
  }
  for (auto& po : detail::from_list(rd_kafka_event_topic_partition_list(ev.get()))) {
    if (po.err) return error(po.err->code(), "commit: " + po.err->message());
  }
  return success();
}

result<std::vector<partition_offset>> consumer::committed(std::span<const topic_partition> parts,
                                                          deadline d) {
  BOOST_OUTCOME_TRY(usable(impl_));
  const auto started = clock::now();
  auto list = detail::to_list(parts);
  if (auto err = rd_kafka_committed(impl_->rk(), list.get(), remaining_ms(d));
      err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return impl_->bounded(err, "committed offsets", started);
  }
  return detail::from_list(list.get());
}

result<std::vector<partition_offset>> consumer::position(std::span<const topic_partition> parts) {
  BOOST_OUTCOME_TRY(usable(impl_));
  auto list = detail::to_list(parts);
  if (auto err = rd_kafka_position(impl_->rk(), list.get()); err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return detail::from_code(err, "position");
  }
  return detail::from_list(list.get());
}

result<std::vector<topic_partition>> consumer::assignment() {
  BOOST_OUTCOME_TRY(usable(impl_));
  rd_kafka_topic_partition_list_t* raw = nullptr;
  if (auto err = rd_kafka_assignment(impl_->rk(), &raw); err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return detail::from_code(err, "assignment");
  }
  detail::tpl_ptr list(raw);
  return detail::partitions_of(list.get());
}

result<void> consumer::pause(std::span<const topic_partition> parts) {
  BOOST_OUTCOME_TRY(usable(impl_));
  auto list = detail::to_list(parts);
  if (auto err = rd_kafka_pause_partitions(impl_->rk(), list.get()); err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return detail::from_code(err, "pause");
  }
  return success();
}

result<void> consumer::resume(std::span<const topic_partition> parts) {
  BOOST_OUTCOME_TRY(usable(impl_));
  auto list = detail::to_list(parts);
  if (auto err = rd_kafka_resume_partitions(impl_->rk(), list.get()); err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return detail::from_code(err, "resume");
  }
  return success();
}

namespace {

// The offset of `partition` at `at` (RD_KAFKA_OFFSET_BEGINNING or _END: ListOffsets with the
// consumer's isolation level, so END is the last stable offset under read_committed).
rd_kafka_resp_err_t list_offset(rd_kafka_t* rk, const std::string& topic, std::int32_t partition,
                                std::int64_t at, int timeout_ms, std::int64_t& out) {
  detail::tpl_ptr list(rd_kafka_topic_partition_list_new(1));
  rd_kafka_topic_partition_list_add(list.get(), topic.c_str(), partition)->offset = at;
  if (auto err = rd_kafka_offsets_for_times(rk, list.get(), timeout_ms); err != RD_KAFKA_RESP_ERR_NO_ERROR)
    return err;
  if (list->elems[0].err != RD_KAFKA_RESP_ERR_NO_ERROR) return list->elems[0].err;
  out = list->elems[0].offset;
  return RD_KAFKA_RESP_ERR_NO_ERROR;
}

// Asks the cluster for `topic`'s metadata, which updates librdkafka's cache (its leaders).
void refresh_metadata(rd_kafka_t* rk, const std::string& topic, int timeout_ms) {
  rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk, topic.c_str(), nullptr);
  const rd_kafka_metadata_t* md = nullptr;
  if (rd_kafka_metadata(rk, 0, rkt, &md, timeout_ms) == RD_KAFKA_RESP_ERR_NO_ERROR)
    rd_kafka_metadata_destroy(md);
  if (rkt != nullptr) rd_kafka_topic_destroy(rkt);
}

}  // namespace

// Not rd_kafka_query_watermark_offsets(): in librdkafka 2.0.2 it never returns once the
// partition's leader is down (it ignores its timeout; measured with the mock cluster, and 3
// minutes of failed publications in the kube smoke test after a broker was killed:
// confluentinc/librdkafka#2535, #4158). rd_kafka_offsets_for_times() keeps its timeout; each
// attempt gets at most 2 s, and between attempts the topic's metadata is asked for, since
// librdkafka alone refreshes it only every topic.metadata.refresh.interval.ms (5 min). Every
// error that can pass is asked again: a killed container's name stops resolving ("Host
// resolution failure", the compose smoke test) until the metadata names the new leader.
result<watermarks> consumer::watermark_offsets(const std::string& topic, std::int32_t partition, deadline d) {
  BOOST_OUTCOME_TRY(usable(impl_));
  const auto started = clock::now();
  constexpr int attempt_ms = 2000;
  int tries = 0;
  for (auto backoff = std::chrono::milliseconds(50);;
       backoff = std::min(backoff * 2, std::chrono::milliseconds(500))) {
    ++tries;
    watermarks w;
    auto err = list_offset(impl_->rk(), topic, partition, RD_KAFKA_OFFSET_END,
                           std::min(attempt_ms, std::max(1, remaining_ms(d))), w.high);
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      err = list_offset(impl_->rk(), topic, partition, RD_KAFKA_OFFSET_BEGINNING,
                        std::min(attempt_ms, std::max(1, remaining_ms(d))), w.low);
    }
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) return w;
    const bool leader_may_have_moved =
        err == RD_KAFKA_RESP_ERR__TIMED_OUT || err == RD_KAFKA_RESP_ERR__TRANSPORT ||
        err == RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION || err == RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE ||
        err == RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION || err == RD_KAFKA_RESP_ERR__BAD_MSG ||
        err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN || err == RD_KAFKA_RESP_ERR__RESOLVE ||
        detail::from_code(err, {}).retriable();
    const std::string what = "watermarks of " + topic + "[" + std::to_string(partition) + "]";
    if (!leader_may_have_moved || clock::now() + backoff >= d) return impl_->bounded(err, what, started);
    detail::logger()->log(tries == 1 ? spdlog::level::warn : spdlog::level::debug,
                          "{}: {}: {} (attempt {}); asking the current leader again", impl_->name(), what,
                          rd_kafka_err2str(err), tries);
    std::this_thread::sleep_for(backoff);
    refresh_metadata(impl_->rk(), topic, std::min(attempt_ms, std::max(1, remaining_ms(d))));
  }
}

std::optional<watermarks> consumer::fetched_watermark_offsets(const std::string& topic,
                                                              std::int32_t partition) {
  if (!impl_) return std::nullopt;
  watermarks w;
  if (rd_kafka_get_watermark_offsets(impl_->rk(), topic.c_str(), partition, &w.low, &w.high) !=
          RD_KAFKA_RESP_ERR_NO_ERROR ||
      w.high < 0) {
    return std::nullopt;
  }
  return w;
}

result<group_metadata> consumer::group_metadata_for_txn() {
  BOOST_OUTCOME_TRY(usable(impl_));
  return group_metadata(rd_kafka_consumer_group_metadata(impl_->rk()));
}

result<void> consumer::close(deadline d) {
  if (!impl_) return success();
  auto r = impl_->close(d);
  if (!r && impl_->rk() != nullptr) {
    // librdkafka 2.0.2 cannot tear a consumer down while an OffsetCommit to an unreachable
    // coordinator is outstanding: rd_kafka_destroy() then blocks until that request times out
    // (~40 s, measured). Keep our promise to return by `d`: the handle, with the state its
    // callbacks use, is destroyed on a detached thread. No hook runs there
    // (RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE, and the hooks are dropped first).
    impl_->hooks = {};
    std::thread([p = std::move(impl_)]() mutable { p.reset(); }).detach();
  }
  return r;
}

}  // namespace syn::kafka
