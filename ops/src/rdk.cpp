#include "rdk.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <optional>
#include <set>
#include <string_view>
#include <utility>

#include "syn/core/kafka/properties.hpp"
#include "syn/core/log.hpp"

namespace syn::ops::rdk {

namespace {

struct queue_deleter {
  void operator()(rd_kafka_queue_t* q) const noexcept { rd_kafka_queue_destroy(q); }
};
struct event_deleter {
  void operator()(rd_kafka_event_t* e) const noexcept { rd_kafka_event_destroy(e); }
};
struct tpl_deleter {
  void operator()(rd_kafka_topic_partition_list_t* l) const noexcept {
    rd_kafka_topic_partition_list_destroy(l);
  }
};
struct options_deleter {
  void operator()(rd_kafka_AdminOptions_t* o) const noexcept { rd_kafka_AdminOptions_destroy(o); }
};
using queue_ptr = std::unique_ptr<rd_kafka_queue_t, queue_deleter>;
using event_ptr = std::unique_ptr<rd_kafka_event_t, event_deleter>;
using tpl_ptr = std::unique_ptr<rd_kafka_topic_partition_list_t, tpl_deleter>;
using options_ptr = std::unique_ptr<rd_kafka_AdminOptions_t, options_deleter>;

kafka::error from_code(rd_kafka_resp_err_t code, const std::string& context) {
  return {kafka::make_error_code(static_cast<kafka::errc>(code)), context + ": " + rd_kafka_err2str(code)};
}

kafka::error timed_out(const std::string& what) {
  return {kafka::errc::timed_out, what + " timed out (raise --timeout?)"};
}

/// librdkafka's log lines into spdlog ("kafka" logger if registered). Connection failures are
/// expected while a broker restarts and the commands report a timeout anyway: debug level.
void log_cb(const rd_kafka_t* /*rk*/, int level, const char* fac, const char* buf) {
  auto logger = spdlog::get("kafka");
  auto* l = logger ? logger.get() : spdlog::default_logger_raw();
  if (std::string_view(fac) == "FAIL" || level > 4) {
    l->debug("{}: {}", fac, buf);
  } else if (level == 4) {
    l->warn("{}: {}", fac, buf);
  } else {
    l->error("{}: {}", fac, buf);
  }
}

void error_cb(rd_kafka_t* /*rk*/, int err, const char* reason, void* /*opaque*/) {
  log::get("kafka").debug("{}: {}", rd_kafka_err2name(static_cast<rd_kafka_resp_err_t>(err)), reason);
}

kafka::result<handle> open(rd_kafka_type_t type, const kafka::properties& props) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  std::array<char, 512> errstr{};
  for (const auto& [k, v] : props) {
    if (rd_kafka_conf_set(conf, k.c_str(), v.c_str(), errstr.data(), errstr.size()) != RD_KAFKA_CONF_OK) {
      rd_kafka_conf_destroy(conf);
      return kafka::error(kafka::errc::invalid_arg, k + ": " + errstr.data());
    }
  }
  rd_kafka_conf_set_log_cb(conf, log_cb);
  rd_kafka_conf_set_error_cb(conf, error_cb);
  rd_kafka_t* rk = rd_kafka_new(type, conf, errstr.data(), errstr.size());  // takes conf on success
  if (rk == nullptr) {
    rd_kafka_conf_destroy(conf);
    return kafka::error(kafka::errc::invalid_arg, std::string("cannot create client: ") + errstr.data());
  }
  return handle(rk);
}

/// Polls `q` until an event arrives or `d`.
event_ptr wait_event(rd_kafka_queue_t* q, kafka::deadline d) {
  while (true) {
    if (auto* ev = rd_kafka_queue_poll(q, std::max(1, std::min(kafka::remaining_ms(d), 200))))
      return event_ptr(ev);
    if (kafka::clock::now() >= d) return nullptr;
  }
}

options_ptr admin_options(rd_kafka_t* rk, rd_kafka_admin_op_t op, kafka::deadline d) {
  options_ptr o(rd_kafka_AdminOptions_new(rk, op));
  std::array<char, 256> errstr{};
  rd_kafka_AdminOptions_set_request_timeout(o.get(), std::max(1, kafka::remaining_ms(d)), errstr.data(),
                                            errstr.size());
  return o;
}

/// The event's top-level error, if any.
std::optional<kafka::error> event_error(rd_kafka_event_t* ev, const std::string& what) {
  const auto err = rd_kafka_event_error(ev);
  if (err == RD_KAFKA_RESP_ERR_NO_ERROR) return std::nullopt;
  if (err == RD_KAFKA_RESP_ERR__TIMED_OUT) return timed_out(what);
  return kafka::error(kafka::make_error_code(static_cast<kafka::errc>(err)),
                      what + ": " + rd_kafka_event_error_string(ev));
}

}  // namespace

// ---------------------------------------------------------------------------------------------

kafka::result<admin_client> admin_client::create(const config::kafka_config& cfg) {
  kafka::role_options ro;
  ro.client_id = "syndicate-ops";
  auto props = kafka::build_properties(cfg, kafka::role::admin, ro);
  if (!props) return props.error();
  auto h = open(RD_KAFKA_PRODUCER, props.value());
  if (!h) return h.error();
  return admin_client(std::move(h).value());
}

kafka::result<group_description> admin_client::describe_group(const std::string& group, kafka::deadline d) {
  const std::string what = "describe group " + group;
  queue_ptr q(rd_kafka_queue_new(rk_.get()));
  auto opts = admin_options(rk_.get(), RD_KAFKA_ADMIN_OP_DESCRIBECONSUMERGROUPS, d);
  const char* groups[] = {group.c_str()};
  rd_kafka_DescribeConsumerGroups(rk_.get(), groups, 1, opts.get(), q.get());
  auto ev = wait_event(q.get(), d);
  if (!ev) return timed_out(what);
  if (auto e = event_error(ev.get(), what)) return *e;
  const auto* res = rd_kafka_event_DescribeConsumerGroups_result(ev.get());
  std::size_t n = 0;
  const auto** descs = rd_kafka_DescribeConsumerGroups_result_groups(res, &n);
  if (n != 1) return kafka::error(kafka::errc::unknown, what + ": no result");
  const auto* g = descs[0];
  group_description out;
  out.group = group;
  if (const rd_kafka_error_t* e = rd_kafka_ConsumerGroupDescription_error(g)) {
    const auto code = rd_kafka_error_code(e);
    if (code == RD_KAFKA_RESP_ERR_GROUP_ID_NOT_FOUND) {  // newer DescribeGroups versions: no such group
      out.state = "Dead";
      return out;
    }
    return kafka::error(kafka::make_error_code(static_cast<kafka::errc>(code)),
                        what + ": " + rd_kafka_error_string(e));
  }
  out.state = rd_kafka_consumer_group_state_name(rd_kafka_ConsumerGroupDescription_state(g));
  const std::size_t members = rd_kafka_ConsumerGroupDescription_member_count(g);
  for (std::size_t i = 0; i < members; ++i) {
    const auto* m = rd_kafka_ConsumerGroupDescription_member(g, i);
    member mm;
    mm.client_id = rd_kafka_MemberDescription_client_id(m);
    mm.consumer_id = rd_kafka_MemberDescription_consumer_id(m);
    mm.host = rd_kafka_MemberDescription_host(m);
    if (const auto* a = rd_kafka_MemberDescription_assignment(m)) {
      if (const auto* parts = rd_kafka_MemberAssignment_partitions(a)) {
        for (int j = 0; j < parts->cnt; ++j)
          mm.assignment.push_back({parts->elems[j].topic, parts->elems[j].partition});
      }
    }
    out.members.push_back(std::move(mm));
  }
  return out;
}

kafka::result<std::vector<kafka::partition_offset>> admin_client::alter_group_offsets(
    const std::string& group, const std::vector<kafka::partition_offset>& offsets, kafka::deadline d) {
  const std::string what = "commit offsets for group " + group;
  tpl_ptr list(rd_kafka_topic_partition_list_new(static_cast<int>(offsets.size())));
  for (const auto& o : offsets) {
    rd_kafka_topic_partition_list_add(list.get(), o.topic.c_str(), o.partition)->offset = o.offset;
  }
  rd_kafka_AlterConsumerGroupOffsets_t* req =
      rd_kafka_AlterConsumerGroupOffsets_new(group.c_str(), list.get());
  queue_ptr q(rd_kafka_queue_new(rk_.get()));
  auto opts = admin_options(rk_.get(), RD_KAFKA_ADMIN_OP_ALTERCONSUMERGROUPOFFSETS, d);
  rd_kafka_AlterConsumerGroupOffsets(rk_.get(), &req, 1, opts.get(), q.get());
  rd_kafka_AlterConsumerGroupOffsets_destroy(req);
  auto ev = wait_event(q.get(), d);
  if (!ev) return timed_out(what);
  if (auto e = event_error(ev.get(), what)) return *e;
  const auto* res = rd_kafka_event_AlterConsumerGroupOffsets_result(ev.get());
  std::size_t n = 0;
  const auto** groups = rd_kafka_AlterConsumerGroupOffsets_result_groups(res, &n);
  if (n != 1) return kafka::error(kafka::errc::unknown, what + ": no result");
  if (const rd_kafka_error_t* e = rd_kafka_group_result_error(groups[0])) {
    return kafka::error(kafka::make_error_code(static_cast<kafka::errc>(rd_kafka_error_code(e))),
                        what + ": " + rd_kafka_error_string(e));
  }
  std::vector<kafka::partition_offset> out;
  if (const auto* parts = rd_kafka_group_result_partitions(groups[0])) {
    for (int i = 0; i < parts->cnt; ++i) {
      const auto& e = parts->elems[i];
      kafka::partition_offset po{e.topic, e.partition, e.offset, std::nullopt};
      if (e.err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        po.err = from_code(e.err, std::string(e.topic) + "[" + std::to_string(e.partition) + "]");
      }
      out.push_back(std::move(po));
    }
  }
  return out;
}

kafka::result<void> admin_client::create_partitions(const std::string& topic, std::int32_t total,
                                                    kafka::deadline d) {
  const std::string what = "add partitions to " + topic;
  std::array<char, 256> errstr{};
  rd_kafka_NewPartitions_t* np = rd_kafka_NewPartitions_new(topic.c_str(), static_cast<std::size_t>(total),
                                                            errstr.data(), errstr.size());
  if (np == nullptr) return kafka::error(kafka::errc::invalid_arg, what + ": " + errstr.data());
  queue_ptr q(rd_kafka_queue_new(rk_.get()));
  auto opts = admin_options(rk_.get(), RD_KAFKA_ADMIN_OP_CREATEPARTITIONS, d);
  rd_kafka_AdminOptions_set_operation_timeout(opts.get(), std::max(1, kafka::remaining_ms(d) / 2),
                                              errstr.data(), errstr.size());
  rd_kafka_CreatePartitions(rk_.get(), &np, 1, opts.get(), q.get());
  rd_kafka_NewPartitions_destroy(np);
  auto ev = wait_event(q.get(), d);
  if (!ev) return timed_out(what);
  if (auto e = event_error(ev.get(), what)) return *e;
  const auto* res = rd_kafka_event_CreatePartitions_result(ev.get());
  std::size_t n = 0;
  const auto** topics = rd_kafka_CreatePartitions_result_topics(res, &n);
  for (std::size_t i = 0; i < n; ++i) {
    if (const auto err = rd_kafka_topic_result_error(topics[i]); err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      const char* msg = rd_kafka_topic_result_error_string(topics[i]);
      return kafka::error(kafka::make_error_code(static_cast<kafka::errc>(err)),
                          what + ": " + (msg != nullptr ? msg : rd_kafka_err2str(err)));
    }
  }
  return kafka::success();
}

// ---------------------------------------------------------------------------------------------

kafka::result<reader> reader::create(const config::kafka_config& cfg, isolation iso) {
  kafka::role_options ro;
  ro.client_id = "syndicate-ops-reader";
  // Needed by librdkafka for assign(); this client never joins the group nor commits for it.
  ro.group_id = "syndicate-ops-reader";
  auto props = kafka::build_properties(cfg, kafka::role::consumer, ro);
  if (!props) return props.error();
  auto p = std::move(props).value();
  p["isolation.level"] = iso == isolation::read_committed ? "read_committed" : "read_uncommitted";
  p["enable.partition.eof"] = "true";  // how read() knows a partition is done
  auto h = open(RD_KAFKA_CONSUMER, p);
  if (!h) return h.error();
  rd_kafka_poll_set_consumer(h.value().get());
  return reader(std::move(h).value());
}

kafka::result<kafka::watermarks> reader::watermarks(const std::string& topic, std::int32_t partition,
                                                    kafka::deadline d) {
  std::int64_t low = -1;
  std::int64_t high = -1;
  const auto err = rd_kafka_query_watermark_offsets(rk_.get(), topic.c_str(), partition, &low, &high,
                                                    std::max(1, kafka::remaining_ms(d)));
  const std::string what = "watermarks of " + topic + "[" + std::to_string(partition) + "]";
  if (err == RD_KAFKA_RESP_ERR__TIMED_OUT) return timed_out(what);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) return from_code(err, what);
  return kafka::watermarks{low, high};
}

kafka::result<std::map<std::int32_t, std::int64_t>> reader::offsets_for_times(
    const std::string& topic, const std::map<std::int32_t, std::int64_t>& ms, kafka::deadline d) {
  std::map<std::int32_t, std::int64_t> out;
  if (ms.empty()) return out;
  tpl_ptr list(rd_kafka_topic_partition_list_new(static_cast<int>(ms.size())));
  for (const auto& [p, t] : ms) rd_kafka_topic_partition_list_add(list.get(), topic.c_str(), p)->offset = t;
  const std::string what = "offsets by time of " + topic;
  const auto err = rd_kafka_offsets_for_times(rk_.get(), list.get(), std::max(1, kafka::remaining_ms(d)));
  if (err == RD_KAFKA_RESP_ERR__TIMED_OUT) return timed_out(what);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) return from_code(err, what);
  for (int i = 0; i < list->cnt; ++i) {
    const auto& e = list->elems[i];
    if (e.err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return from_code(e.err, what + "[" + std::to_string(e.partition) + "]");
    }
    out[e.partition] = e.offset;
  }
  return out;
}

kafka::result<void> reader::read(const std::string& topic, const std::map<std::int32_t, range>& ranges,
                                 const std::function<next(const kafka::message&)>& fn, kafka::deadline d) {
  std::set<std::int32_t> open_parts;
  tpl_ptr list(rd_kafka_topic_partition_list_new(static_cast<int>(ranges.size())));
  for (const auto& [p, r] : ranges) {
    if (r.start >= r.stop) continue;
    rd_kafka_topic_partition_list_add(list.get(), topic.c_str(), p)->offset = r.start;
    open_parts.insert(p);
  }
  if (open_parts.empty()) return kafka::success();
  if (auto err = rd_kafka_assign(rk_.get(), list.get()); err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return from_code(err, "assign " + topic);
  }
  struct unassign {
    rd_kafka_t* rk;
    ~unassign() { rd_kafka_assign(rk, nullptr); }
  } guard{rk_.get()};

  auto close_partition = [&](std::int32_t p) {
    if (open_parts.erase(p) == 0) return;
    tpl_ptr one(rd_kafka_topic_partition_list_new(1));
    rd_kafka_topic_partition_list_add(one.get(), topic.c_str(), p);
    rd_kafka_pause_partitions(rk_.get(), one.get());  // stop fetching what we will not read
  };

  while (!open_parts.empty()) {
    if (kafka::clock::now() >= d) {
      return timed_out("reading " + topic + " (" + std::to_string(open_parts.size()) +
                       " partitions unfinished)");
    }
    rd_kafka_message_t* raw =
        rd_kafka_consumer_poll(rk_.get(), std::max(1, std::min(kafka::remaining_ms(d), 200)));
    if (raw == nullptr) continue;
    kafka::message m(raw);  // owns raw from here
    const std::int32_t p = raw->partition;
    if (raw->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      close_partition(p);
      continue;
    }
    if (raw->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      const std::string what = raw->rkt != nullptr ? "reading " + std::string(rd_kafka_topic_name(raw->rkt)) +
                                                         "[" + std::to_string(p) + "]"
                                                   : "reading " + topic;
      kafka::error e = from_code(raw->err, what);
      if (e.retriable()) {
        log::get("ops").debug("{}", e.to_string());
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
    if (n == next::stop) return kafka::success();
    if (n == next::partition_done || raw->offset + 1 >= r.stop) close_partition(p);
  }
  return kafka::success();
}

}  // namespace syn::ops::rdk
