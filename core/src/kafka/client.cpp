#include "client.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>
#include <thread>
#include <utility>

namespace syn::kafka {

int remaining_ms(deadline d) noexcept {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(d - clock::now()).count();
  if (left <= 0) return 0;
  return static_cast<int>(std::min<long long>(left, 24LL * 3600 * 1000));
}

namespace detail {

std::shared_ptr<spdlog::logger> logger() {
  static std::mutex mu;
  std::lock_guard lock(mu);
  if (auto l = spdlog::get("kafka")) return l;
  auto l = spdlog::stderr_color_mt("kafka");
  l->set_level(spdlog::default_logger_raw()->level());
  return l;
}

error from_rd(rd_kafka_error_t* e, std::string_view context) {
  const error::flags f{rd_kafka_error_is_fatal(e) != 0, rd_kafka_error_is_retriable(e) != 0,
                       rd_kafka_error_txn_requires_abort(e) != 0};
  std::string msg(context);
  msg += ": ";
  msg += rd_kafka_error_string(e);
  error out(make_error_code(static_cast<errc>(rd_kafka_error_code(e))), std::move(msg), f);
  rd_kafka_error_destroy(e);
  return out;
}

error from_code(rd_kafka_resp_err_t code, std::string_view context) {
  std::string msg(context);
  msg += ": ";
  msg += rd_kafka_err2str(code);
  return {make_error_code(static_cast<errc>(code)), std::move(msg)};
}

tpl_ptr to_list(std::span<const partition_offset> offsets) {
  tpl_ptr l(rd_kafka_topic_partition_list_new(static_cast<int>(offsets.size())));
  for (const auto& o : offsets) {
    rd_kafka_topic_partition_list_add(l.get(), o.topic.c_str(), o.partition)->offset = o.offset;
  }
  return l;
}

tpl_ptr to_list(std::span<const topic_partition> parts) {
  tpl_ptr l(rd_kafka_topic_partition_list_new(static_cast<int>(parts.size())));
  for (const auto& p : parts) rd_kafka_topic_partition_list_add(l.get(), p.topic.c_str(), p.partition);
  return l;
}

std::vector<partition_offset> from_list(const rd_kafka_topic_partition_list_t* l) {
  std::vector<partition_offset> out;
  if (l == nullptr) return out;
  out.reserve(static_cast<std::size_t>(l->cnt));
  for (int i = 0; i < l->cnt; ++i) {
    const auto& e = l->elems[i];
    partition_offset po{e.topic, e.partition, e.offset, std::nullopt};
    if (e.err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      po.err = from_code(e.err, std::string(e.topic) + "[" + std::to_string(e.partition) + "]");
    }
    out.push_back(std::move(po));
  }
  return out;
}

std::vector<topic_partition> partitions_of(const rd_kafka_topic_partition_list_t* l) {
  std::vector<topic_partition> out;
  if (l == nullptr) return out;
  for (int i = 0; i < l->cnt; ++i) out.push_back({l->elems[i].topic, l->elems[i].partition});
  return out;
}

event_ptr wait_event(rd_kafka_queue_t* q, deadline d) {
  // One poll per wake-up; rd_kafka_queue_poll returns as soon as an event is there.
  while (true) {
    if (auto* ev = rd_kafka_queue_poll(q, remaining_ms(d))) return event_ptr(ev);
    if (clock::now() >= d) return nullptr;
  }
}

namespace {

void log_cb(const rd_kafka_t* rk, int level, const char* fac, const char* buf) {
  if (auto* c = static_cast<client*>(rd_kafka_opaque(rk))) {
    c->on_log(level, fac, buf);
  } else {
    logger()->debug("{}: {}", fac, buf);
  }
}

void error_cb(rd_kafka_t* /*rk*/, int err, const char* reason, void* opaque) {
  static_cast<client*>(opaque)->on_error(static_cast<rd_kafka_resp_err_t>(err), reason);
}

bool is_transport(rd_kafka_resp_err_t err) {
  return err == RD_KAFKA_RESP_ERR__TRANSPORT || err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN ||
         err == RD_KAFKA_RESP_ERR__RESOLVE;
}

/// "…failed: Connection refused (after 0ms in state CONNECT)" -> "connection refused".
std::string transport_detail(std::string_view reason) {
  auto pos = reason.rfind("failed: ");
  if (pos == std::string_view::npos) return {};
  auto detail = reason.substr(pos + 8);
  if (auto paren = detail.find(" (after"); paren != std::string_view::npos) detail = detail.substr(0, paren);
  std::string out(detail);
  if (!out.empty()) out[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(out[0])));
  return out;
}

std::string seconds(clock::duration d) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
  if (ms < 1000) return std::to_string(ms) + "ms";
  std::array<char, 32> buf{};
  std::snprintf(buf.data(), buf.size(), "%.0fs", static_cast<double>(ms) / 1000.0);
  return buf.data();
}

}  // namespace

client::~client() { close_handle(); }

void client::close_handle(int flags) noexcept {
  if (auto* rk = rk_.release()) rd_kafka_destroy_flags(rk, flags);
}

result<void> client::open(rd_kafka_type_t type, properties props,
                          const std::function<void(rd_kafka_conf_t*)>& customize) {
  if (props["bootstrap.servers"] == embedded_bootstrap) {
    auto cluster = embedded_cluster::shared();
    if (!cluster) return cluster.error();
    embedded_ = std::move(cluster).value();
    props["bootstrap.servers"] = embedded_->bootstrap();
  }
  bootstrap_ = props["bootstrap.servers"];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  std::array<char, 512> errstr{};
  for (const auto& [k, v] : props) {
    if (rd_kafka_conf_set(conf, k.c_str(), v.c_str(), errstr.data(), errstr.size()) != RD_KAFKA_CONF_OK) {
      rd_kafka_conf_destroy(conf);
      std::string what = "property " + k;
      what.append("=").append(v).append(": ").append(errstr.data());
      return error(errc::invalid_arg, what);
    }
  }
  rd_kafka_conf_set_opaque(conf, this);
  rd_kafka_conf_set_log_cb(conf, log_cb);
  rd_kafka_conf_set_error_cb(conf, error_cb);
  if (customize) customize(conf);
  rd_kafka_t* rk = rd_kafka_new(type, conf, errstr.data(), errstr.size());
  if (rk == nullptr) {
    rd_kafka_conf_destroy(conf);
    return error(errc::invalid_arg, std::string("cannot create client: ") + errstr.data());
  }
  rk_.reset(rk);
  name_ = rd_kafka_name(rk);
  return success();
}

void client::on_log(int level, const char* fac, const char* buf) {
  const std::string_view f(fac);
  // Connection failures repeat on every reconnect attempt; the wrapper reports them once, as
  // "cannot reach ..." when a wait runs out (see timed_out()).
  if (f == "FAIL" || f == "BROKERFAIL" || f == "CONNECT") {
    // Logged from librdkafka's broker threads as it happens (error_cb events only arrive when
    // the application serves the main queue, which a blocked commit does not).
    record_transport_error(RD_KAFKA_RESP_ERR__TRANSPORT, buf);
    log_->debug("{} {}: {}", name_, fac, buf);
    return;
  }
  spdlog::level::level_enum lvl = spdlog::level::debug;
  if (level <= 2) {
    lvl = spdlog::level::critical;
  } else if (level == 3) {
    lvl = spdlog::level::err;
  } else if (level == 4) {
    lvl = spdlog::level::warn;
  } else if (level <= 6) {
    lvl = spdlog::level::info;
  }
  log_->log(lvl, "{} {}: {}", name_, fac, buf);
}

void client::record_transport_error(rd_kafka_resp_err_t err, std::string_view reason) {
  std::lock_guard lock(mu_);
  const auto now = clock::now();
  // For a long-running group consumer (warn_on_outage_), the first failure after 30 s without
  // one is a warning: an outage shorter than any wait's deadline (a broker restart) otherwise left
  // no trace at the default level, since the reconnect attempts go to debug and "cannot reach" is
  // only said when a wait runs out. A one-shot command says it in its one error line instead.
  if (warn_on_outage_ && (last_transport_error_at_ == clock::time_point{} ||
                          now - last_transport_error_at_ > std::chrono::seconds(30))) {
    log_->warn("{} broker connection failed: {} (more within 30 s at debug level)", name_, reason);
  }
  // "1/1 brokers are down" says less than the connect failure before it.
  if (err != RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN || last_transport_error_.empty()) {
    last_transport_error_ = reason;
    last_transport_error_code_ = err;
  }
  last_transport_error_at_ = now;
}

void client::on_error(rd_kafka_resp_err_t err, const char* reason) {
  if (is_transport(err)) {
    record_transport_error(err, reason);
    log_->debug("{} error {}: {}", name_, rd_kafka_err2name(err), reason);
    return;
  }
  if (err == RD_KAFKA_RESP_ERR__FATAL) {
    std::array<char, 512> buf{};
    const auto code = rd_kafka_fatal_error(rk_.get(), buf.data(), buf.size());
    log_->error("{} fatal error {}: {}", name_, rd_kafka_err2name(code), buf.data());
    return;
  }
  log_->warn("{} error {}: {}", name_, rd_kafka_err2name(err), reason);
}

error client::timed_out(std::string_view what, clock::time_point started) const {
  const auto now = clock::now();
  const auto waited = now - started;
  std::lock_guard lock(mu_);
  const auto window = std::max<clock::duration>(std::chrono::seconds(30), 2 * waited);
  if (!last_transport_error_.empty() && now - last_transport_error_at_ <= window) {
    std::string cause = rd_kafka_err2str(last_transport_error_code_);
    if (cause.rfind("Local: ", 0) == 0) cause = cause.substr(7);
    if (!cause.empty()) cause[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(cause[0])));
    if (auto d = transport_detail(last_transport_error_); !d.empty()) cause += ": " + d;
    return {errc::timed_out,
            "cannot reach " + bootstrap_ + " within " + seconds(waited) + " (" + cause + ")"};
  }
  return {errc::timed_out, std::string(what) + " timed out after " + seconds(waited)};
}

std::optional<error> client::fatal_error() const {
  if (!rk_) return std::nullopt;
  std::array<char, 512> buf{};
  const auto code = rd_kafka_fatal_error(rk_.get(), buf.data(), buf.size());
  if (code == RD_KAFKA_RESP_ERR_NO_ERROR) return std::nullopt;
  return error(make_error_code(static_cast<errc>(code)), std::string("fatal: ") + buf.data(),
               {.fatal = true});
}

result<std::vector<topic_info>> client::metadata(const std::string* only, bool wait_for_topic,
                                                 deadline d) const {
  const auto started = clock::now();
  rd_kafka_topic_t* rkt = only != nullptr ? rd_kafka_topic_new(rk(), only->c_str(), nullptr) : nullptr;
  const std::string what = only != nullptr ? "metadata for " + *only : std::string("metadata");
  while (true) {
    const rd_kafka_metadata_t* md = nullptr;
    const auto err = rd_kafka_metadata(rk(), only == nullptr ? 1 : 0, rkt, &md, std::max(1, remaining_ms(d)));
    std::optional<error> failure;
    std::vector<topic_info> out;
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      failure = err == RD_KAFKA_RESP_ERR__TIMED_OUT ? timed_out(what, started) : from_code(err, what);
    } else {
      for (int i = 0; i < md->topic_cnt; ++i) {
        const auto& t = md->topics[i];
        if (t.err != RD_KAFKA_RESP_ERR_NO_ERROR) {
          if (only != nullptr) failure = from_code(t.err, std::string("topic ") + t.topic);
          continue;
        }
        topic_info ti{t.topic, {}};
        for (int j = 0; j < t.partition_cnt; ++j) {
          const auto& p = t.partitions[j];
          ti.partitions.push_back({p.id, p.leader,
                                   std::vector<std::int32_t>(p.replicas, p.replicas + p.replica_cnt),
                                   std::vector<std::int32_t>(p.isrs, p.isrs + p.isr_cnt)});
        }
        std::sort(ti.partitions.begin(), ti.partitions.end(),
                  [](const partition_info& a, const partition_info& b) { return a.id < b.id; });
        out.push_back(std::move(ti));
      }
      if (only != nullptr && !failure && out.empty()) {
        failure = from_code(RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART, "topic " + *only);
      }
    }
    if (md != nullptr) rd_kafka_metadata_destroy(md);
    if (!failure) {
      if (rkt != nullptr) rd_kafka_topic_destroy(rkt);
      std::sort(out.begin(), out.end(),
                [](const topic_info& a, const topic_info& b) { return a.name < b.name; });
      return out;
    }
    const bool unknown_topic = *failure == errc::unknown_topic_or_partition;
    const bool again = failure->retriable() && failure->code() != make_error_code(errc::timed_out) &&
                       (wait_for_topic || !unknown_topic) &&
                       clock::now() + std::chrono::milliseconds(100) < d;
    if (!again) {
      if (rkt != nullptr) rd_kafka_topic_destroy(rkt);
      // Out of time while the brokers were unreachable: say so once, plainly.
      if (*failure == errc::transport || *failure == errc::all_brokers_down) return timed_out(what, started);
      return *failure;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

}  // namespace detail
}  // namespace syn::kafka
