// `syndicate dlq list|show|redrive`.
#include "syn/ops/dlq.hpp"

#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/time_util.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdlib>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <tuple>
#include <unordered_map>

#include "syn/contract/headers.hpp"
#include "syn/contract/schema.hpp"
#include "syn/core/kafka/admin.hpp"
#include "syn/core/kafka/producer.hpp"
#include "syn/core/kafka/reader.hpp"
#include "syn/core/log.hpp"
#include "syn/ops/table.hpp"
#include "syndication/v1/article.pb.h"
#include "syndication/v1/issue.pb.h"
#include "syndication/v1/translation.pb.h"

namespace syn::ops {

namespace {

using json = nlohmann::ordered_json;
using syndication::v1::DeadLetter;
using syndication::v1::DeadLetterResolution;
using TimeUtil = google::protobuf::util::TimeUtil;

constexpr std::string_view sinks_are_idempotent =
    "redrive is safe to repeat: every sink is idempotent on (article id, content hash), so a record redriven "
    "twice is taken once";

std::string time_text(const google::protobuf::Timestamp& t) {
  if (t.seconds() == 0 && t.nanos() == 0) return "-";
  return TimeUtil::ToString(t);
}

json time_json(const google::protobuf::Timestamp& t) {
  if (t.seconds() == 0 && t.nanos() == 0) return nullptr;
  return TimeUtil::ToString(t);
}

std::string origin(const DeadLetter& d) {
  return d.topic() + "/" + std::to_string(d.partition()) + "/" + std::to_string(d.offset());
}

/// Bytes for humans: the text if it is printable UTF-8, else `0x` + hex (at most 64 bytes).
std::string bytes_text(std::string_view b) {
  if (is_printable_utf8(b)) return std::string(b);
  static constexpr char hex[] = "0123456789abcdef";
  std::string out = "0x";
  for (std::size_t i = 0; i < b.size() && i < 64; ++i) {
    const auto c = static_cast<unsigned char>(b[i]);
    out += hex[c >> 4U];
    out += hex[c & 0xFU];
  }
  if (b.size() > 64) out += "... (" + std::to_string(b.size()) + " bytes)";
  return out;
}

std::optional<std::string> header_of(const DeadLetter& d, std::string_view name) {
  std::optional<std::string> v;
  for (const auto& h : d.headers()) {
    if (h.key() == name) v = h.value();  // the last one wins, as for consumers
  }
  return v;
}

/// A fresh message of the type a `schema` header names, for the types syndicate publishes.
std::unique_ptr<google::protobuf::Message> message_for(const std::string& schema) {
  if (schema == contract::schema::article) return std::make_unique<syndication::v1::Article>();
  if (schema == contract::schema::issue_manifest) {
    return std::make_unique<syndication::v1::IssueManifest>();
  }
  if (schema == contract::schema::translation_job) {
    return std::make_unique<syndication::v1::TranslationJob>();
  }
  if (schema == contract::schema::dead_letter) return std::make_unique<DeadLetter>();
  return nullptr;
}

/// The value decoded to protobuf JSON, or why not.
struct decoded_value {
  std::optional<std::string> schema;
  std::optional<std::string> json_text;  ///< canonical protobuf JSON, pretty
  std::string why_not;                   ///< when json_text is empty
};

/// `the first 524288 of 9437184 bytes`
std::string kept_of(const DeadLetter& d) {
  return "the first " + std::to_string(d.value().size()) + " of " + std::to_string(d.original_value_size()) +
         " bytes";
}

decoded_value decode_value(const DeadLetter& d) {
  decoded_value out;
  out.schema = header_of(d, contract::header_name::schema);
  if (value_truncated(d)) {
    // The head of a message may still parse (cut at a field boundary): never show it as whole.
    out.why_not = "the value is truncated";
    return out;
  }
  if (!out.schema) {
    out.why_not = "no `schema` header";
    return out;
  }
  auto msg = message_for(*out.schema);
  if (!msg) {
    out.why_not = "schema `" + *out.schema + "` is not one syndicate publishes";
    return out;
  }
  if (!msg->ParseFromString(d.value())) {
    out.why_not = "the value is not a valid " + *out.schema;
    return out;
  }
  google::protobuf::util::JsonPrintOptions jo;
  jo.add_whitespace = true;
  std::string text;
  if (auto st = google::protobuf::util::MessageToJsonString(*msg, &text, jo); !st.ok()) {
    out.why_not = "cannot print as JSON: " + st.ToString();
    return out;
  }
  out.json_text = std::move(text);
  return out;
}

std::string upper(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

/// `redriven 2026-11-29T11:30:00Z`
std::string state_text(const dlq_entry& e) {
  if (!e.resolution) return "pending";
  return "redriven " + time_text(e.resolution->resolve_time());
}

std::string redriven_to(const DeadLetterResolution& r) {
  return r.redriven_topic() + "/" + std::to_string(r.redriven_partition()) + "/" +
         std::to_string(r.redriven_offset());
}

json resolution_json(const dlq_entry& e) {
  if (!e.resolution) return nullptr;
  const auto& r = *e.resolution;
  return {{"resolveTime", time_json(r.resolve_time())},
          {"resolvedBy", r.resolved_by()},
          {"redrivenTo", redriven_to(r)}};
}

/// `syndicate dlq redrive (user@host)`
std::string resolved_by() {
  std::string user = "unknown";
  if (const char* u = std::getenv("USER"); u != nullptr && *u != '\0') user = u;
  std::array<char, 256> host{};
  if (gethostname(host.data(), host.size() - 1) != 0) host[0] = '\0';
  return "syndicate dlq redrive (" + user + "@" + (host[0] != '\0' ? std::string(host.data()) : "unknown") +
         ")";
}

/// Every dead letter (in failure-time order) and every resolution in the topic.
struct dlq_contents {
  std::vector<dlq_entry> entries;
  std::vector<dlq_resolution> resolutions;
};

/// Reads the whole dead-letter topic (read_committed); resolutions are set on their letters.
kafka::result<dlq_contents> read_dlq(const config::kafka_config& cfg, const std::string& topic,
                                     kafka::deadline d) {
  auto admin = kafka::admin::create(cfg);
  if (!admin) return admin.error();
  auto t = admin.value().describe_topic(topic, d);
  if (!t) return t.error();
  auto reader = kafka::reader::create(cfg, kafka::isolation::read_committed, "syndicate-ops-reader");
  if (!reader) return reader.error();
  std::map<std::int32_t, kafka::reader::range> ranges;
  for (const auto& p : t.value().partitions) {
    auto m = reader.value().watermark_offsets(topic, p.id, d);
    if (!m) return m.error();
    ranges[p.id] = {m.value().low, m.value().high};
  }
  std::vector<dlq_entry> out;
  std::vector<dlq_resolution> resolutions;
  auto r = reader.value().read(
      topic, ranges,
      [&](const kafka::message& m) {
        if (m.header_value(contract::header_name::schema) == resolution_schema()) {
          dlq_resolution res;
          res.dlq_partition = m.partition();
          res.dlq_offset = m.offset();
          const auto v = m.value();
          if (res.resolution.ParseFromArray(v.data(), static_cast<int>(v.size())) &&
              !res.resolution.dead_letter_id().empty()) {
            resolutions.push_back(std::move(res));
          }
          return kafka::reader::next::more;
        }
        dlq_entry e;
        e.dlq_topic = topic;
        e.dlq_partition = m.partition();
        e.dlq_offset = m.offset();
        const auto v = m.value();
        if (!e.letter.ParseFromArray(v.data(), static_cast<int>(v.size())) || e.letter.id().empty()) {
          e.undecodable = true;
          e.letter.Clear();
          e.letter.set_id(std::string(m.key()));
          e.letter.set_error("not a DeadLetter record");
        }
        out.push_back(std::move(e));
        return kafka::reader::next::more;
      },
      d);
  if (!r) return r.error();
  // Partitions were read interleaved: order by failure time, then DLQ position.
  std::stable_sort(out.begin(), out.end(), [](const dlq_entry& a, const dlq_entry& b) {
    const auto ta = TimeUtil::TimestampToMilliseconds(a.letter.last_failure_time());
    const auto tb = TimeUtil::TimestampToMilliseconds(b.letter.last_failure_time());
    if (ta != tb) return ta < tb;
    return std::tie(a.dlq_partition, a.dlq_offset) < std::tie(b.dlq_partition, b.dlq_offset);
  });
  apply_resolutions(out, resolutions);
  return dlq_contents{std::move(out), std::move(resolutions)};
}

std::string dlq_topic_of(const dlq_options& o, const config::kafka_config& cfg) {
  return o.dlq_topic.empty() ? cfg.topics.deadletter.name : o.dlq_topic;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Pure parts

bool value_truncated(const DeadLetter& d) noexcept { return d.original_value_size() != 0; }

const std::string& dead_letter_schema() {
  static const std::string s(contract::schema::dead_letter);
  return s;
}

const std::string& resolution_schema() {
  static const std::string s(contract::schema::dead_letter_resolution);
  return s;
}

void apply_resolutions(std::vector<dlq_entry>& entries, const std::vector<dlq_resolution>& resolutions) {
  std::unordered_multimap<std::string, const dlq_resolution*> by_id;
  for (const auto& r : resolutions) by_id.emplace(r.resolution.dead_letter_id(), &r);
  for (auto& e : entries) {
    e.resolution.reset();
    if (e.undecodable) continue;
    const dlq_resolution* latest = nullptr;
    const auto [from, to] = by_id.equal_range(e.letter.id());
    for (auto it = from; it != to; ++it) {
      const auto& r = *it->second;
      const bool after = r.dlq_partition == e.dlq_partition
                             ? r.dlq_offset > e.dlq_offset
                             : TimeUtil::TimestampToMilliseconds(r.resolution.resolve_time()) >=
                                   TimeUtil::TimestampToMilliseconds(e.letter.last_failure_time());
      if (!after) continue;
      if (latest == nullptr || TimeUtil::TimestampToMilliseconds(r.resolution.resolve_time()) >=
                                   TimeUtil::TimestampToMilliseconds(latest->resolution.resolve_time())) {
        latest = &r;
      }
    }
    if (latest != nullptr) e.resolution = latest->resolution;
  }
}

std::string_view state_name(const dlq_entry& e) noexcept { return e.resolution ? "redriven" : "pending"; }

std::string redrive_refusal(const DeadLetter& d) {
  if (!value_truncated(d)) return {};
  return "value truncated (the dead letter keeps " + kept_of(d) +
         "): redriving would publish a cut record; fix the cause and publish the source again";
}

std::optional<DeadLetter::Reason> parse_reason(std::string_view name) {
  DeadLetter::Reason r{};
  if (!DeadLetter::Reason_Parse(upper(name), &r)) return std::nullopt;
  return r;
}

bool dlq_filter::matches(const dlq_entry& e) const {
  const auto& d = e.letter;
  auto any = [](const auto& list, const auto& v) {
    return list.empty() || std::find(list.begin(), list.end(), v) != list.end();
  };
  if (!any(ids, d.id()) || !any(groups, d.consumer_group()) || !any(reasons, d.reason()) ||
      !any(topics, d.topic())) {
    return false;
  }
  if (reason_pattern) {
    const std::string text = DeadLetter::Reason_Name(d.reason()) + ": " + d.error();
    if (!std::regex_search(text, *reason_pattern)) return false;
  }
  return true;
}

std::vector<dlq_entry> latest_per_id(std::vector<dlq_entry> entries) {
  std::unordered_map<std::string, std::size_t> last;
  for (std::size_t i = 0; i < entries.size(); ++i) last[entries[i].letter.id()] = i;
  std::vector<dlq_entry> out;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    if (last[entries[i].letter.id()] == i) out.push_back(std::move(entries[i]));
  }
  return out;
}

std::string render_dlq_list(const std::vector<dlq_entry>& entries, std::size_t error_width) {
  table t({{"ID", table::align::left},
           {"STATE", table::align::left},
           {"REASON", table::align::left},
           {"GROUP", table::align::left},
           {"ORIGIN", table::align::left},
           {"ATTEMPTS", table::align::right},
           {"LAST FAILURE", table::align::left},
           {"ERROR", table::align::left}});
  for (const auto& e : entries) {
    const auto& d = e.letter;
    if (e.undecodable) {
      t.add({bytes_text(d.id()), "-", "-", "-", "-", "-", "-", d.error()});
      continue;
    }
    const std::string error = value_truncated(d) ? "[value truncated] " + d.error() : d.error();
    t.add({d.id(), state_text(e), DeadLetter::Reason_Name(d.reason()), d.consumer_group(), origin(d),
           std::to_string(d.attempts()), time_text(d.last_failure_time()),
           truncate_cells(error, error_width)});
  }
  return t.render();
}

json dlq_entry_json(const dlq_entry& e) {
  const auto& d = e.letter;
  return {{"id", d.id()},
          {"state", e.undecodable ? json(nullptr) : json(state_name(e))},
          {"resolution", resolution_json(e)},
          {"reason", e.undecodable ? json(nullptr) : json(DeadLetter::Reason_Name(d.reason()))},
          {"consumerGroup", d.consumer_group()},
          {"topic", d.topic()},
          {"partition", d.partition()},
          {"offset", d.offset()},
          {"attempts", d.attempts()},
          {"firstFailureTime", time_json(d.first_failure_time())},
          {"lastFailureTime", time_json(d.last_failure_time())},
          {"error", d.error()},
          {"valueTruncated", value_truncated(d)},
          {"originalValueSize", value_truncated(d) ? json(d.original_value_size()) : json(nullptr)},
          {"dlqPartition", e.dlq_partition},
          {"dlqOffset", e.dlq_offset},
          {"undecodable", e.undecodable}};
}

std::string render_dlq_show(const dlq_entry& e) {
  const auto& d = e.letter;
  std::string out;
  auto line = [&out](std::string_view k, const std::string& v) {
    out += k;
    out.append(k.size() < 16 ? 16 - k.size() : 1, ' ');
    out += v;
    out += '\n';
  };
  line("id", d.id());
  line("dead letter at", (e.dlq_topic.empty() ? "" : "topic " + e.dlq_topic + " ") + "partition " +
                             std::to_string(e.dlq_partition) + " offset " + std::to_string(e.dlq_offset));
  if (e.undecodable) {
    line("error", "the record is not a DeadLetter");
    return out;
  }
  line("state", std::string(state_name(e)));
  if (e.resolution) {
    const auto& r = *e.resolution;
    line("redriven", time_text(r.resolve_time()) + " by " + r.resolved_by() + " to " + redriven_to(r));
  }
  line("reason", DeadLetter::Reason_Name(d.reason()));
  line("error", d.error());
  line("consumer group", d.consumer_group());
  line("original", "topic " + d.topic() + " partition " + std::to_string(d.partition()) + " offset " +
                       std::to_string(d.offset()));
  line("record time", time_text(d.record_time()));
  line("attempts", std::to_string(d.attempts()));
  line("first failure", time_text(d.first_failure_time()));
  line("last failure", time_text(d.last_failure_time()));
  line("key", d.key().empty() ? "(none)" : bytes_text(d.key()));
  if (auto from = header_of(d, redriven_from_header)) line("redriven from", *from);
  out += "headers\n";
  if (d.headers().empty()) out += "  (none)\n";
  for (const auto& h : d.headers()) out += "  " + h.key() + ": " + bytes_text(h.value()) + "\n";
  const auto v = decode_value(d);
  if (value_truncated(d)) {
    out += "value           TRUNCATED: the dead letter keeps " + kept_of(d) +
           " (the record was too large for a dead letter); dlq redrive refuses it\n";
    out += hex_dump(d.value(), 256);
  } else if (v.json_text) {
    out +=
        "value           " + *v.schema + ", " + std::to_string(d.value().size()) + " bytes\n" + *v.json_text;
    if (!v.json_text->empty() && v.json_text->back() != '\n') out += '\n';
  } else {
    out +=
        "value           " + std::to_string(d.value().size()) + " bytes, not decoded (" + v.why_not + ")\n";
    out += hex_dump(d.value(), 256);
  }
  return out;
}

json dlq_show_json(const dlq_entry& e) {
  json j = dlq_entry_json(e);
  if (e.undecodable) return j;
  const auto& d = e.letter;
  j["recordTime"] = time_json(d.record_time());
  j["key"] = bytes_text(d.key());
  json headers = json::array();
  for (const auto& h : d.headers()) headers.push_back({{"key", h.key()}, {"value", bytes_text(h.value())}});
  j["headers"] = headers;
  j["valueBytes"] = d.value().size();
  if (value_truncated(d)) j["redriveRefused"] = redrive_refusal(d);
  const auto v = decode_value(d);
  j["valueSchema"] = v.schema ? json(*v.schema) : json(nullptr);
  if (v.json_text) {
    j["value"] = json::parse(*v.json_text, nullptr, false);
  } else {
    j["value"] = nullptr;
    j["valueNotDecoded"] = v.why_not;
    j["valueHexHead"] = hex_dump(d.value(), 64);
  }
  return j;
}

redrive_record make_redrive(const DeadLetter& d) {
  redrive_record r;
  r.topic = d.topic();
  r.key = d.key();
  r.value = d.value();
  for (const auto& h : d.headers()) {
    if (h.key() == redriven_from_header) continue;
    r.headers.emplace_back(h.key(), h.value());
  }
  r.headers.emplace_back(std::string(redriven_from_header), d.id());
  r.partition_key = header_of(d, contract::header_name::issue_id);
  return r;
}

std::string validate_dlq(const std::string& verb, dlq_options& o) {
  o.filter.reasons.clear();
  for (const auto& n : o.reason_names) {
    auto r = parse_reason(n);
    if (!r) {
      std::string names;
      for (int i = DeadLetter::Reason_MIN + 1; i <= DeadLetter::Reason_MAX; ++i) {
        if (!DeadLetter::Reason_IsValid(i)) continue;
        if (!names.empty()) names += ", ";
        names += DeadLetter::Reason_Name(static_cast<DeadLetter::Reason>(i));
      }
      std::string what = "--reason: unknown reason `" + n;
      what.append("` (one of ").append(names).append(")");
      return what;
    }
    o.filter.reasons.push_back(*r);
  }
  if (!o.reason_pattern.empty()) {
    try {
      o.filter.reason_pattern.emplace(o.reason_pattern, std::regex::ECMAScript);
    } catch (const std::regex_error& e) {
      return "--reason-pattern: not a regular expression: `" + o.reason_pattern + "` (" + e.what() + ")";
    }
  }
  if (verb == "show" && o.id.empty()) return "dlq show needs the dead letter id (see `syndicate dlq list`)";
  if (verb == "redrive") {
    const bool any = !o.filter.ids.empty() || !o.filter.groups.empty() || !o.filter.reasons.empty() ||
                     !o.filter.topics.empty() || o.filter.reason_pattern.has_value();
    if (o.all && any) return "--all redrives every dead letter; drop it to redrive only the selected ones";
    if (!o.all && !any) {
      return "say which dead letters to redrive: --id ID (repeatable), --group G, --reason R, "
             "--reason-pattern "
             "REGEX, --topic T, or --all";
    }
  }
  return {};
}

// ---------------------------------------------------------------------------------------------
// Commands

int run_dlq_list(dlq_options o, std::ostream& out) {
  if (auto problem = validate_dlq("list", o); !problem.empty())
    return fail(problem, cli::exit_code::bad_input);
  const auto cfg = load_kafka(o.common);
  const auto d = kafka::after(std::chrono::seconds(o.common.timeout_s));
  const std::string topic = dlq_topic_of(o, cfg);
  auto all = read_dlq(cfg, topic, d);
  if (!all) return fail(all.error().to_string());
  std::vector<dlq_entry> shown;
  std::size_t pending = 0;
  std::size_t resolved = 0;
  for (auto& e : latest_per_id(std::move(all).value().entries)) {
    if (!o.filter.matches(e)) continue;
    ++(e.resolved() ? resolved : pending);
    if (o.all || !e.resolved()) shown.push_back(std::move(e));
  }
  const std::size_t matched = shown.size();
  if (o.limit > 0 && shown.size() > o.limit)
    shown.erase(shown.begin(), shown.end() - static_cast<std::ptrdiff_t>(o.limit));
  if (o.common.json) {
    json a = json::array();
    for (const auto& e : shown) a.push_back(dlq_entry_json(e));
    out << json{{"topic", topic},       {"matched", matched}, {"pending", pending},
                {"resolved", resolved}, {"all", o.all},       {"deadLetters", a}}
               .dump(2)
        << '\n';
    return cli::exit_code::ok;
  }
  out << render_dlq_list(shown);
  out << pending << " pending dead letter(s) in " << topic << ", " << resolved << " redriven";
  if (!o.all && resolved > 0) out << " (not shown; --all lists them)";
  if (shown.size() < matched) out << ", the latest " << shown.size() << " shown";
  const auto cut =
      std::count_if(shown.begin(), shown.end(), [](const dlq_entry& e) { return value_truncated(e.letter); });
  if (cut > 0)
    out << "; " << cut
        << " shown keep only the head of a too-large value ([value truncated]: redrive refuses them)";
  out << '\n';
  return cli::exit_code::ok;
}

int run_dlq_show(dlq_options o, std::ostream& out) {
  if (auto problem = validate_dlq("show", o); !problem.empty())
    return fail(problem, cli::exit_code::bad_input);
  const auto cfg = load_kafka(o.common);
  const auto d = kafka::after(std::chrono::seconds(o.common.timeout_s));
  const std::string topic = dlq_topic_of(o, cfg);
  auto all = read_dlq(cfg, topic, d);
  if (!all) return fail(all.error().to_string());
  const auto entries = latest_per_id(std::move(all).value().entries);
  auto it =
      std::find_if(entries.begin(), entries.end(), [&](const dlq_entry& e) { return e.letter.id() == o.id; });
  if (it == entries.end()) return fail("no dead letter with id " + o.id + " in " + topic);
  if (o.common.json) {
    out << dlq_show_json(*it).dump(2) << '\n';
  } else {
    out << render_dlq_show(*it);
  }
  return cli::exit_code::ok;
}

namespace {

/// What a redrive would do: the letters selected, those skipped and refused, the ids not found.
struct redrive_plan {
  std::vector<dlq_entry> selected;
  std::vector<dlq_entry> skipped;  // already redriven, without --again
  std::set<std::string> missing_ids;
  // Refused letters are reported, never sent. The command fails for them only when nothing else
  // could be redriven: a selection that mixes good and truncated letters still does its work.
  std::vector<std::pair<std::string, std::string>> refused;  // id, why
  std::size_t redrivable = 0;

  void say_skipped(std::ostream& os) const {
    for (const auto& e : skipped) os << "skipped: " << e.letter.id() << ": already " << state_text(e) << '\n';
  }
  [[nodiscard]] int refused_only() const {
    return fail("nothing redriven: " + std::to_string(refused.size()) +
                " selected dead letter(s) refused (value truncated; see dlq show)");
  }
};

/// One letter sent back (or not).
struct redrive_outcome {
  std::string id;
  std::string target;  ///< topic/partition/offset once delivered
  std::string error;
  std::string refused;  ///< not sent: why
  kafka::delivery_report delivered{};
};

redrive_plan plan_redrive(const dlq_options& o, std::vector<dlq_entry> entries) {
  redrive_plan p;
  for (auto& e : latest_per_id(std::move(entries))) {
    if (e.undecodable || !(o.all || o.filter.matches(e))) continue;
    (e.resolved() && !o.again ? p.skipped : p.selected).push_back(std::move(e));
  }
  for (const auto& id : o.filter.ids) p.missing_ids.insert(id);
  for (const auto& e : p.selected) p.missing_ids.erase(e.letter.id());
  for (const auto& e : p.skipped) p.missing_ids.erase(e.letter.id());
  for (const auto& e : p.selected) {
    if (auto why = redrive_refusal(e.letter); !why.empty())
      p.refused.emplace_back(e.letter.id(), std::move(why));
  }
  p.redrivable = p.selected.size() - p.refused.size();
  return p;
}

/// The dry run (without --execute): what would be redriven, nothing sent.
int confirm_redrive(const dlq_options& o, const redrive_plan& p, json& doc, const json& refused_json,
                    std::ostream& out) {
  if (o.common.json) {
    json a = json::array();
    for (const auto& e : p.selected) a.push_back(dlq_entry_json(e));
    doc["deadLetters"] = a;
    doc["refused"] = p.refused.size();
    doc["refusals"] = refused_json;
    doc["notFound"] = p.missing_ids;
    doc["note"] = sinks_are_idempotent;
    out << doc.dump(2) << '\n';
  } else {
    out << render_dlq_list(p.selected);
    for (const auto& [id, why] : p.refused) out << "refused: " << id << ": " << why << '\n';
    p.say_skipped(out);
    for (const auto& id : p.missing_ids) out << "not found: " << id << '\n';
    out << "dry run: " << p.redrivable << " dead letter(s) would be redriven to their original topics";
    if (!p.refused.empty()) out << ", " << p.refused.size() << " refused";
    if (!p.skipped.empty())
      out << ", " << p.skipped.size() << " skipped (already redriven; --again sends them too)";
    out << "; add --execute to send them (" << sinks_are_idempotent << ")\n";
  }
  if (!p.missing_ids.empty()) return cli::exit_code::failure;
  return p.redrivable == 0 && !p.refused.empty() ? p.refused_only() : cli::exit_code::ok;
}

/// Sends each selected letter (not refused) back to its original topic; waits for the delivery
/// reports until `d`.
std::vector<redrive_outcome> send_redrives(const std::vector<dlq_entry>& selected, kafka::admin& admin,
                                           kafka::producer& producer, kafka::deadline d) {
  std::vector<redrive_outcome> outcomes;
  std::map<std::uint64_t, std::size_t> by_send_id;
  std::map<std::string, bool> topic_exists;
  for (const auto& e : selected) {
    redrive_outcome oc{e.letter.id(), {}, {}, redrive_refusal(e.letter), {}};
    if (!oc.refused.empty()) {
      outcomes.push_back(std::move(oc));
      continue;
    }
    const auto rec = make_redrive(e.letter);
    auto known = topic_exists.find(rec.topic);
    if (known == topic_exists.end()) {
      known = topic_exists.emplace(rec.topic, static_cast<bool>(admin.describe_topic(rec.topic, d))).first;
    }
    if (!known->second) {
      oc.error = "original topic " + rec.topic + " does not exist";
      outcomes.push_back(std::move(oc));
      continue;
    }
    std::vector<kafka::header> headers;
    headers.reserve(rec.headers.size());
    for (const auto& [k, v] : rec.headers) headers.push_back({k, v});
    kafka::outgoing_record out_rec;
    out_rec.topic = rec.topic;
    out_rec.key = rec.key;
    out_rec.value = rec.value;
    out_rec.headers = headers;
    if (rec.partition_key) out_rec.partition_key = *rec.partition_key;
    auto sent = producer.send(out_rec, d);
    if (!sent) {
      oc.error = sent.error().to_string();
    } else {
      by_send_id[sent.value()] = outcomes.size();
    }
    outcomes.push_back(std::move(oc));
  }
  // What flush() leaves undelivered has no delivery report: the loop after this one names it.
  const auto flushed = producer.flush(d);
  for (const auto& rep : producer.take_delivery_reports()) {
    auto it = by_send_id.find(rep.id);
    if (it == by_send_id.end()) continue;
    auto& oc = outcomes[it->second];
    if (rep.err) {
      oc.error = rep.err->to_string();
    } else {
      oc.target = rep.topic + "/" + std::to_string(rep.partition) + "/" + std::to_string(rep.offset);
      oc.delivered = rep;
    }
    by_send_id.erase(it);
  }
  for (const auto& [id, index] : by_send_id) {
    if (outcomes[index].error.empty())
      outcomes[index].error = "not delivered by the deadline (raise --timeout)";
  }
  if (!flushed.complete())
    log::get("ops").debug("redrive: {} record(s) undelivered at the deadline", flushed.undelivered);
  return outcomes;
}

/// A resolution for every delivered letter, keyed by its id (the letter's partition). A letter
/// whose resolution is not written stays pending: running again sends it again (safe). Returns
/// the error of each outcome's resolution (empty: recorded, or nothing to record).
std::vector<std::string> record_resolutions(const std::vector<redrive_outcome>& outcomes,
                                            const std::string& topic, kafka::producer& producer,
                                            kafka::deadline d) {
  const std::string by = resolved_by();
  std::map<std::uint64_t, std::size_t> resolution_by_send_id;
  std::vector<std::string> resolution_errors(outcomes.size());
  for (std::size_t i = 0; i < outcomes.size(); ++i) {
    const auto& oc = outcomes[i];
    if (oc.target.empty()) continue;
    DeadLetterResolution res;
    res.set_dead_letter_id(oc.id);
    *res.mutable_resolve_time() = TimeUtil::GetCurrentTime();
    res.set_resolved_by(by);
    res.set_redriven_topic(oc.delivered.topic);
    res.set_redriven_partition(oc.delivered.partition);
    res.set_redriven_offset(oc.delivered.offset);
    const std::string value = res.SerializeAsString();
    const auto headers = contract::plain_headers(contract::schema::dead_letter_resolution);
    kafka::outgoing_record rec;
    rec.topic = topic;
    rec.key = oc.id;
    rec.value = value;
    rec.headers = headers;
    auto sent = producer.send(rec, d);
    if (!sent) {
      resolution_errors[i] = sent.error().to_string();
    } else {
      resolution_by_send_id[sent.value()] = i;
    }
  }
  // What flush() leaves undelivered has no delivery report: named below as not delivered.
  if (const auto flushed = producer.flush(d); !flushed.complete())
    log::get("ops").debug("redrive: {} resolution(s) undelivered at the deadline", flushed.undelivered);
  for (const auto& rep : producer.take_delivery_reports()) {
    auto it = resolution_by_send_id.find(rep.id);
    if (it == resolution_by_send_id.end()) continue;
    if (rep.err) resolution_errors[it->second] = rep.err->to_string();
    resolution_by_send_id.erase(it);
  }
  for (const auto& [id, index] : resolution_by_send_id)
    resolution_errors[index] = "not delivered by the deadline";
  return resolution_errors;
}

/// What was redriven, as a table or JSON; the exit code.
int report_redrive(const dlq_options& o, const redrive_plan& p, const std::vector<redrive_outcome>& outcomes,
                   const std::vector<std::string>& resolution_errors, json& doc, std::ostream& out) {
  std::size_t unrecorded = 0;
  for (const auto& e : resolution_errors) unrecorded += e.empty() ? 0 : 1;

  std::size_t ok = 0;
  table t({{"ID", table::align::left}, {"REDRIVEN TO", table::align::left}});
  json a = json::array();
  for (const auto& oc : outcomes) {
    const bool sent = oc.error.empty() && oc.refused.empty();
    if (sent) ++ok;
    t.add({oc.id, sent ? oc.target : !oc.refused.empty() ? "REFUSED: " + oc.refused : "FAILED: " + oc.error});
    const auto& res_error = resolution_errors[a.size()];
    a.push_back({{"id", oc.id},
                 {"redrivenTo", sent ? json(oc.target) : json(nullptr)},
                 {"resolutionError", res_error.empty() ? json(nullptr) : json(res_error)},
                 {"error", oc.error.empty() ? json(nullptr) : json(oc.error)},
                 {"refused", oc.refused.empty() ? json(nullptr) : json(oc.refused)}});
  }
  const std::size_t failed = outcomes.size() - ok - p.refused.size();
  if (o.common.json) {
    doc["redriven"] = ok;
    doc["refused"] = p.refused.size();
    doc["failed"] = failed;
    doc["resolutionsNotRecorded"] = unrecorded;
    doc["results"] = a;
    doc["notFound"] = p.missing_ids;
    doc["note"] = sinks_are_idempotent;
    out << doc.dump(2) << '\n';
  } else {
    out << t.render();
    p.say_skipped(out);
    for (const auto& id : p.missing_ids) out << "not found: " << id << '\n';
    for (std::size_t i = 0; i < outcomes.size(); ++i) {
      if (!resolution_errors[i].empty()) {
        out << "resolution not recorded: " << outcomes[i].id << ": " << resolution_errors[i]
            << " (it stays pending)\n";
      }
    }
    out << "redriven " << ok << " of " << p.selected.size() << " dead letter(s)";
    if (!p.refused.empty()) out << ", " << p.refused.size() << " refused";
    if (!p.skipped.empty())
      out << ", " << p.skipped.size() << " skipped (already redriven; --again sends them too)";
    if (failed > 0) out << ", " << failed << " failed";
    out << " (header " << redriven_from_header << ": <dead letter id>); " << sinks_are_idempotent << '\n';
  }
  if (failed > 0)
    return fail(std::to_string(failed) +
                " dead letter(s) were not redriven (see above); running again is safe");
  if (unrecorded > 0) {
    return fail(std::to_string(unrecorded) +
                " dead letter(s) redriven but not marked redriven in the DLQ (see above); they stay pending");
  }
  if (!p.missing_ids.empty())
    return fail(std::to_string(p.missing_ids.size()) + " dead letter id(s) not found");
  if (ok == 0 && !p.refused.empty()) return p.refused_only();
  return cli::exit_code::ok;
}

}  // namespace

int run_dlq_redrive(dlq_options o, std::ostream& out) {
  if (auto problem = validate_dlq("redrive", o); !problem.empty())
    return fail(problem, cli::exit_code::bad_input);
  const auto cfg = load_kafka(o.common);
  const auto d = kafka::after(std::chrono::seconds(o.common.timeout_s));
  const std::string topic = dlq_topic_of(o, cfg);
  auto all = read_dlq(cfg, topic, d);
  if (!all) return fail(all.error().to_string());
  const auto p = plan_redrive(o, std::move(all).value().entries);
  json skipped_json = json::array();
  for (const auto& e : p.skipped) {
    skipped_json.push_back({{"id", e.letter.id()}, {"resolution", resolution_json(e)}});
  }
  json refused_json = json::array();
  for (const auto& [id, why] : p.refused) refused_json.push_back({{"id", id}, {"reason", why}});

  json doc{{"topic", topic},
           {"execute", o.execute},
           {"selected", p.selected.size()},
           {"skipped", p.skipped.size()},
           {"skippedLetters", skipped_json}};
  if (!o.execute) return confirm_redrive(o, p, doc, refused_json, out);

  auto admin = kafka::admin::create(cfg);
  if (!admin) return fail(admin.error().to_string());
  kafka::producer_options po;
  po.client_id = "syndicate-dlq-redrive";
  auto producer = kafka::producer::create(cfg, po);
  if (!producer) return fail(producer.error().to_string());

  const auto outcomes = send_redrives(p.selected, admin.value(), producer.value(), d);
  const auto resolution_errors = record_resolutions(outcomes, topic, producer.value(), d);
  return report_redrive(o, p, outcomes, resolution_errors, doc, out);
}

}  // namespace syn::ops
