#include "syn/core/kafka/producer.hpp"

#include <cstdint>
#include <map>
#include <thread>
#include <utility>

#include "client.hpp"
#include "syn/core/kafka/consumer.hpp"
#include "syn/core/kafka/partitioner.hpp"

namespace syn::kafka {

struct producer::impl final : detail::client {
  bool transactional = false;
  std::uint64_t next_id = 1;
  std::vector<delivery_report> reports;
  std::map<std::string, std::int32_t, std::less<>> partition_counts;

  ~impl() override {
    if (rk() != nullptr) {
      // Destroy does not deliver: whatever the caller did not flush is dropped here, quickly.
      rd_kafka_purge(rk(), RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_NON_BLOCKING);
    }
    close_handle();
  }

  result<void> open_producer(properties props) {
    return open(RD_KAFKA_PRODUCER, std::move(props),
                [](rd_kafka_conf_t* conf) { rd_kafka_conf_set_dr_msg_cb(conf, &impl::on_delivery); });
  }

  static void on_delivery(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
    auto* self = static_cast<impl*>(static_cast<detail::client*>(opaque));
    delivery_report r;
    r.id = static_cast<std::uint64_t>(reinterpret_cast<std::uintptr_t>(m->_private));
    r.topic = rd_kafka_topic_name(m->rkt);
    r.partition = m->partition;
    if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      r.offset = m->offset;
    } else {
      auto e = detail::from_code(m->err, "delivery to " + r.topic + "[" + std::to_string(m->partition) + "]");
      if (m->err == RD_KAFKA_RESP_ERR__FATAL) {
        e = error(e.code(), e.message(), {.fatal = true});
      }
      r.err = std::move(e);
    }
    self->reports.push_back(std::move(r));
  }

  /// A librdkafka timeout becomes "cannot reach ..." when the brokers were unreachable.
  error bounded(error e, std::string_view what, clock::time_point started) const {
    if (e == errc::timed_out) {
      auto t = timed_out(what, started);
      return {t.code(),
              t.message(),
              {.fatal = e.fatal(), .retriable = e.retriable(), .txn_requires_abort = e.txn_requires_abort()}};
    }
    return e;
  }

  /// Repeats `call` while it fails retriably and `d` has not passed (INTRO.md: retriable errors
  /// of init/commit/abort/send_offsets may be retried by calling the same function again).
  template <class Call>
  result<void> retry_until(deadline d, std::string_view what, Call&& call) {
    const auto started = clock::now();
    while (true) {
      rd_kafka_error_t* e = call(remaining_ms(d));
      if (e == nullptr) return success();
      auto err = detail::from_rd(e, what);
      if (err.retriable() && !err.txn_requires_abort() && clock::now() + std::chrono::milliseconds(50) < d) {
        detail::logger()->debug("{}: {} (retrying)", name(), err.message());
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        continue;
      }
      return bounded(std::move(err), what, started);
    }
  }
};

result<producer> producer::create(const config::kafka_config& cfg, const producer_options& opts) {
  const bool txn = !opts.transactional_id.empty();
  role_options ro;
  ro.client_id = opts.client_id;
  ro.transactional_id = opts.transactional_id;
  auto props = build_properties(cfg, txn ? role::transactional_producer : role::producer, ro);
  if (!props) return props.error();
  auto p = std::make_unique<impl>();
  p->transactional = txn;
  BOOST_OUTCOME_TRY(p->open_producer(std::move(props).value()));
  return producer(std::move(p));
}

producer::producer(std::unique_ptr<impl> p) : impl_(std::move(p)) {}
producer::producer(producer&&) noexcept = default;
producer& producer::operator=(producer&&) noexcept = default;
producer::~producer() = default;

bool producer::transactional() const noexcept { return impl_->transactional; }

std::optional<error> producer::fatal_error() const { return impl_->fatal_error(); }

result<void> producer::init_transactions(deadline d) {
  return impl_->retry_until(d, "init transactions",
                            [&](int ms) { return rd_kafka_init_transactions(impl_->rk(), ms); });
}

result<void> producer::begin_transaction() {
  if (auto* e = rd_kafka_begin_transaction(impl_->rk())) return detail::from_rd(e, "begin transaction");
  impl_->reports.clear();
  return success();
}

result<std::vector<delivery_report>> producer::commit_transaction(deadline d) {
  auto r = impl_->retry_until(d, "commit transaction",
                              [&](int ms) { return rd_kafka_commit_transaction(impl_->rk(), ms); });
  rd_kafka_poll(impl_->rk(), 0);
  if (r) return std::exchange(impl_->reports, {});
  if (r.error().txn_requires_abort()) {
    // INTRO.md: an abortable commit error -> abort, then the application retries the transaction.
    if (auto a = abort_transaction(d); !a) {
      detail::logger()->warn("{}: abort after failed commit: {}", impl_->name(), a.error().message());
      return a.error();
    }
  }
  return r.error();
}

result<void> producer::abort_transaction(deadline d) {
  auto r = impl_->retry_until(d, "abort transaction",
                              [&](int ms) { return rd_kafka_abort_transaction(impl_->rk(), ms); });
  rd_kafka_poll(impl_->rk(), 0);
  impl_->reports.clear();
  return r;
}

result<void> producer::send_offsets_to_transaction(std::span<const partition_offset> offsets,
                                                   const group_metadata& group, deadline d) {
  auto list = detail::to_list(offsets);
  return impl_->retry_until(d, "send offsets to transaction", [&](int ms) {
    return rd_kafka_send_offsets_to_transaction(impl_->rk(), list.get(), group.native(), ms);
  });
}

result<std::vector<delivery_report>> producer::transact(deadline d,
                                                        const std::function<result<void>(producer&)>& body,
                                                        int max_attempts) {
  for (int attempt = 1;; ++attempt) {
    if (auto b = begin_transaction(); !b) {
      // An abort that ran out of time earlier (the broker was down past a deadline) leaves the
      // transaction aborting, and librdkafka wants abort_transaction() called again before the
      // next begin ("Operation not valid in state BeginAbort" otherwise).
      if (b.error().code() != errc::state) return b.error();
      BOOST_OUTCOME_TRY(abort_transaction(d));
      BOOST_OUTCOME_TRY(begin_transaction());
    }
    if (auto r = body(*this); !r) {
      const auto& err = r.error();
      if (err.fatal()) return err;
      if (auto f = fatal_error()) return *f;
      BOOST_OUTCOME_TRY(abort_transaction(d));
      if ((err.txn_requires_abort() || err.retriable()) && attempt < max_attempts && clock::now() < d) {
        detail::logger()->warn("{}: transaction attempt {} aborted ({}); retrying", impl_->name(), attempt,
                               err.message());
        continue;
      }
      return err;
    }
    auto c = commit_transaction(d);
    if (c) return c;
    if (c.error().txn_requires_abort() && attempt < max_attempts && clock::now() < d) {
      detail::logger()->warn("{}: transaction attempt {} aborted ({}); retrying", impl_->name(), attempt,
                             c.error().message());
      continue;
    }
    return c.error();
  }
}

result<std::int32_t> producer::partition_count(std::string_view topic, deadline d) {
  if (auto it = impl_->partition_counts.find(topic); it != impl_->partition_counts.end()) return it->second;
  const std::string name(topic);
  auto md = impl_->metadata(&name, /*wait_for_topic=*/true, d);
  if (!md) return md.error();
  const auto count = static_cast<std::int32_t>(md.value().front().partitions.size());
  if (count == 0) return error(errc::unknown_partition, "topic " + name + " has no partitions");
  impl_->partition_counts.emplace(name, count);
  return count;
}

result<std::uint64_t> producer::send(const outgoing_record& rec, deadline d) {
  std::int32_t partition = RD_KAFKA_PARTITION_UA;
  if (rec.partition) {
    partition = *rec.partition;
  } else if (rec.partition_key) {
    auto count = partition_count(rec.topic, d);
    if (!count) return count.error();
    partition = partition_for(*rec.partition_key, count.value());
  }
  const std::string topic(rec.topic);
  const std::uint64_t id = impl_->next_id++;
  const auto started = clock::now();
  while (true) {
    rd_kafka_headers_t* hdrs = nullptr;
    if (!rec.headers.empty()) {
      hdrs = rd_kafka_headers_new(rec.headers.size());
      for (const auto& h : rec.headers) {
        rd_kafka_header_add(hdrs, h.name.data(), static_cast<ssize_t>(h.name.size()), h.value.data(),
                            static_cast<ssize_t>(h.value.size()));
      }
    }
    std::vector<rd_kafka_vu_t> vus;
    vus.reserve(7);
    auto add = [&vus](rd_kafka_vtype_t t) -> rd_kafka_vu_t& {
      vus.push_back({});
      vus.back().vtype = t;
      return vus.back();
    };
    add(RD_KAFKA_VTYPE_TOPIC).u.cstr = topic.c_str();
    add(RD_KAFKA_VTYPE_PARTITION).u.i32 = partition;
    if (!rec.key.empty()) {
      auto& k = add(RD_KAFKA_VTYPE_KEY);
      k.u.mem.ptr = const_cast<char*>(rec.key.data());  // copied (F_COPY), never written
      k.u.mem.size = rec.key.size();
    }
    auto& v = add(RD_KAFKA_VTYPE_VALUE);
    v.u.mem.ptr = const_cast<char*>(rec.value.data());
    v.u.mem.size = rec.value.size();
    if (hdrs != nullptr) add(RD_KAFKA_VTYPE_HEADERS).u.headers = hdrs;
    add(RD_KAFKA_VTYPE_MSGFLAGS).u.i = RD_KAFKA_MSG_F_COPY;
    add(RD_KAFKA_VTYPE_OPAQUE).u.ptr = reinterpret_cast<void*>(static_cast<std::uintptr_t>(id));

    rd_kafka_error_t* e = rd_kafka_produceva(impl_->rk(), vus.data(), vus.size());
    if (e == nullptr) {
      rd_kafka_poll(impl_->rk(), 0);  // serve delivery reports as we go
      return id;
    }
    if (hdrs != nullptr) rd_kafka_headers_destroy(hdrs);  // not taken over on failure
    auto err = detail::from_rd(e, "send to " + topic);
    if (err == errc::fatal) {
      if (auto f = impl_->fatal_error()) return *f;
    }
    if (err == errc::queue_full && clock::now() < d) {
      rd_kafka_poll(impl_->rk(), std::min(100, std::max(1, remaining_ms(d))));
      continue;
    }
    if (err == errc::queue_full)
      return impl_->timed_out("send to " + topic + " (producer queue full)", started);
    return err;
  }
}

void producer::poll() { rd_kafka_poll(impl_->rk(), 0); }

std::vector<delivery_report> producer::take_delivery_reports() {
  rd_kafka_poll(impl_->rk(), 0);
  return std::exchange(impl_->reports, {});
}

flush_result producer::flush(deadline d) {
  rd_kafka_flush(impl_->rk(), remaining_ms(d));
  rd_kafka_poll(impl_->rk(), 0);
  return {static_cast<std::size_t>(std::max(0, rd_kafka_outq_len(impl_->rk())))};
}

}  // namespace syn::kafka
