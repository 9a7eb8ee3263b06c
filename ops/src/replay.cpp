// `syndicate replay`: rewind a group (dry run unless --execute), or copy a range to another topic.
#include "syn/ops/replay.hpp"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "syn/contract/headers.hpp"
#include "syn/core/kafka/admin.hpp"
#include "syn/core/kafka/partitioner.hpp"
#include "syn/core/kafka/producer.hpp"
#include "syn/core/kafka/reader.hpp"
#include "syn/ops/datetime.hpp"
#include "syn/ops/table.hpp"

namespace syn::ops {

namespace {

using json = nlohmann::ordered_json;

/// Header naming the record a copy came from: `topic/partition/offset`.
constexpr std::string_view replayed_from_header = "replayed-from";
constexpr std::string_view issue_id_header = contract::header_name::issue_id;

std::string kind_name(rewind_kind k) {
  switch (k) {
    case rewind_kind::to_datetime:
      return "to-datetime";
    case rewind_kind::to_offset:
      return "to-offset";
    case rewind_kind::shift_by:
      return "shift-by";
    case rewind_kind::to_earliest:
      return "to-earliest";
    case rewind_kind::to_latest:
      return "to-latest";
    case rewind_kind::issue:
      return "issue";
  }
  return "?";
}

rewind_kind kind_of(const replay_options& o) {
  if (o.to_datetime) return rewind_kind::to_datetime;
  if (o.to_offset) return rewind_kind::to_offset;
  if (o.shift_by) return rewind_kind::shift_by;
  if (o.to_earliest) return rewind_kind::to_earliest;
  if (o.to_latest) return rewind_kind::to_latest;
  return rewind_kind::issue;
}

json offset_json(std::int64_t o) { return o < 0 ? json(nullptr) : json(o); }

std::string tp(const std::string& topic, std::int32_t p) { return topic + "[" + std::to_string(p) + "]"; }

/// Everything both modes need to know about the source topic.
struct source {
  std::string topic;
  std::int32_t partition_count = 0;
  std::vector<std::int32_t> selected;  ///< partitions the command works on
  std::map<std::int32_t, kafka::watermarks> marks;
};

int kafka_fail(const kafka::error& e) { return fail(e.to_string()); }

}  // namespace

// ---------------------------------------------------------------------------------------------
// Validation and planning (pure)

std::string validate(const replay_options& o) {
  if (o.topic.empty()) return "--topic is required";
  for (auto p : o.partitions) {
    if (p < 0) return "--partition must be >= 0";
  }
  if (o.issue && o.issue->empty()) return "--issue needs an issue id";
  if (o.issue && !o.partitions.empty()) {
    return "--issue picks the issue's partition itself (partition_for(issue id)); drop --partition";
  }
  std::string err;
  std::optional<std::int64_t> from_ms;
  std::optional<std::int64_t> to_ms;
  if (o.to_datetime) {
    to_ms = parse_datetime(*o.to_datetime, err);
    if (!to_ms) return "--to-datetime: " + err;
  }
  if (o.from_datetime) {
    from_ms = parse_datetime(*o.from_datetime, err);
    if (!from_ms) return "--from-datetime: " + err;
  }
  if (o.to_offset && *o.to_offset < 0) return "--to-offset must be >= 0";
  if (o.from_offset && *o.from_offset < 0) return "--from-offset must be >= 0";

  if (!o.to_topic.empty()) {
    // Copy mode.
    if (o.to_topic == o.topic) return "--to-topic must differ from --topic";
    if (!o.group.empty()) return "--group has no meaning with --to-topic (a copy commits no offsets)";
    if (o.shift_by || o.to_earliest || o.to_latest) {
      return "--shift-by, --to-earliest and --to-latest rewind a group; with --to-topic give a range: "
             "--from-offset/--to-offset, --from-datetime/--to-datetime or --issue";
    }
    if (o.from_offset && o.from_datetime) return "give --from-offset or --from-datetime, not both";
    if (o.to_offset && o.to_datetime) return "give --to-offset or --to-datetime, not both";
    if (!o.from_offset && !o.from_datetime && !o.to_offset && !o.to_datetime && !o.issue) {
      return "say what to copy: --from-offset/--to-offset, --from-datetime/--to-datetime and/or --issue "
             "(--from-offset 0 copies everything)";
    }
    if (o.from_offset && o.to_offset && *o.from_offset > *o.to_offset)
      return "--from-offset is after --to-offset";
    if (from_ms && to_ms && *from_ms > *to_ms) return "--from-datetime is after --to-datetime";
    return {};
  }

  // Rewind mode.
  if (o.group.empty()) return "--group is required (or --to-topic to copy records)";
  if (o.from_offset || o.from_datetime) return "--from-offset/--from-datetime only go with --to-topic (copy)";
  const int targets = (o.to_datetime ? 1 : 0) + (o.to_offset ? 1 : 0) + (o.shift_by ? 1 : 0) +
                      (o.to_earliest ? 1 : 0) + (o.to_latest ? 1 : 0) + (o.issue ? 1 : 0);
  if (targets == 0) {
    return "say where to rewind to: one of --to-datetime, --to-offset, --shift-by, --to-earliest, "
           "--to-latest, "
           "--issue";
  }
  if (targets > 1) {
    return "give only one of --to-datetime, --to-offset, --shift-by, --to-earliest, --to-latest, --issue";
  }
  return {};
}

std::vector<plan_row> plan_rewind(rewind_kind kind, std::int64_t n,
                                  const std::vector<partition_state>& parts) {
  std::vector<plan_row> rows;
  rows.reserve(parts.size());
  for (const auto& s : parts) {
    plan_row r;
    r.partition = s.partition;
    r.current = s.committed >= 0 ? s.committed : kafka::offset_invalid;
    // Where the group reads from now: its committed offset, else (auto.offset.reset=earliest) the log start.
    const std::int64_t effective = s.committed >= 0 ? s.committed : s.low;
    std::optional<std::int64_t> target;
    switch (kind) {
      case rewind_kind::to_offset:
        target = n;
        break;
      case rewind_kind::shift_by:
        target = effective + n;
        break;
      case rewind_kind::to_earliest:
        target = s.low;
        break;
      case rewind_kind::to_latest:
        target = s.high;
        break;
      case rewind_kind::to_datetime:
        // No record at or after the time: the end (as Kafka's own tool does).
        target = s.found && *s.found >= 0 ? *s.found : s.high;
        break;
      case rewind_kind::issue:
        if (s.found) target = *s.found;  // other partitions are left as they are
        break;
    }
    if (target) {
      r.target = std::clamp(*target, s.low, s.high);
      r.redelivered = effective - r.target;
    } else {
      r.target = kafka::offset_invalid;
      r.redelivered = 0;
    }
    rows.push_back(r);
  }
  return rows;
}

std::string render_plan(const std::vector<plan_row>& rows) {
  table t({{"PARTITION", table::align::right},
           {"CURRENT", table::align::right},
           {"NEW", table::align::right},
           {"REDELIVERED", table::align::right}});
  for (const auto& r : rows) {
    std::string delta;
    if (r.target < 0 || !r.changes()) {
      delta = r.target < 0 ? "(unchanged)" : "0";
    } else if (r.redelivered >= 0) {
      delta = std::to_string(r.redelivered);
    } else {
      delta = std::to_string(r.redelivered) + " (skipped)";
    }
    t.add({std::to_string(r.partition), offset_text(r.current),
           r.target < 0 ? offset_text(r.current) : std::to_string(r.target), delta});
  }
  return t.render();
}

json plan_json(const std::vector<plan_row>& rows) {
  json a = json::array();
  for (const auto& r : rows) {
    a.push_back({{"partition", r.partition},
                 {"current", offset_json(r.current)},
                 {"new", r.target < 0 ? offset_json(r.current) : json(r.target)},
                 {"redelivered", r.redelivered},
                 {"changes", r.changes()}});
  }
  return a;
}

// ---------------------------------------------------------------------------------------------
// Running against the cluster

namespace {

kafka::result<source> describe_source(kafka::admin& admin, kafka::reader& reader, const replay_options& o,
                                      kafka::deadline d) {
  source s;
  s.topic = o.topic;
  auto t = admin.describe_topic(o.topic, d);
  if (!t) return t.error();
  s.partition_count = static_cast<std::int32_t>(t.value().partitions.size());
  if (s.partition_count == 0)
    return kafka::error(kafka::errc::unknown_topic_or_partition, "topic " + o.topic + " has no partitions");
  if (o.issue) {
    s.selected = {kafka::partition_for(*o.issue, s.partition_count)};
  } else if (!o.partitions.empty()) {
    std::set<std::int32_t> uniq(o.partitions.begin(), o.partitions.end());
    for (auto p : uniq) {
      if (p >= s.partition_count) {
        return kafka::error(kafka::errc::unknown_partition,
                            "topic " + o.topic + " has " + std::to_string(s.partition_count) +
                                " partitions; there is no partition " + std::to_string(p));
      }
      s.selected.push_back(p);
    }
  } else {
    for (std::int32_t p = 0; p < s.partition_count; ++p) s.selected.push_back(p);
  }
  for (std::int32_t p = 0; p < s.partition_count; ++p) {
    auto m = reader.watermark_offsets(o.topic, p, d);
    if (!m) return m.error();
    s.marks[p] = m.value();
  }
  return s;
}

/// The first offset in `p` whose `issue-id` header is `issue` (read_committed), if any.
kafka::result<std::optional<std::int64_t>> find_issue(kafka::reader& reader, const source& s, std::int32_t p,
                                                      const std::string& issue, kafka::deadline d) {
  std::optional<std::int64_t> found;
  const auto& m = s.marks.at(p);
  auto r = reader.read(
      s.topic, {{p, {m.low, m.high}}},
      [&](const kafka::message& msg) {
        if (msg.header_value(issue_id_header) == std::string_view(issue)) {
          found = msg.offset();
          return kafka::reader::next::stop;
        }
        return kafka::reader::next::more;
      },
      d);
  if (!r) return r.error();
  return found;
}

/// Per partition: first offset with timestamp >= ms (-1: none).
kafka::result<std::map<std::int32_t, std::int64_t>> by_time(kafka::reader& reader, const source& s,
                                                            std::int64_t ms, kafka::deadline d) {
  std::map<std::int32_t, std::int64_t> q;
  for (auto p : s.selected) q[p] = ms;
  return reader.offsets_for_times(s.topic, q, d);
}

/// Where a to-datetime or issue rewind starts: per partition, the offset found (nothing for the
/// other modes) and how it was found; `failed`: the exit code when it cannot be found.
struct rewind_start {
  std::map<std::int32_t, std::int64_t> found;
  std::string detail;
  std::optional<int> failed;
};

rewind_start find_rewind_start(const replay_options& o, rewind_kind kind, kafka::reader& reader,
                               const source& s, kafka::deadline d) {
  rewind_start r;
  if (kind == rewind_kind::to_datetime) {
    std::string err;
    const auto ms = parse_datetime(*o.to_datetime, err).value_or(0);
    auto f = by_time(reader, s, ms, d);
    if (!f) return {{}, {}, kafka_fail(f.error())};
    r.found = std::move(f).value();
    r.detail = "first record at or after " + format_utc(ms);
  } else if (kind == rewind_kind::issue) {
    const std::int32_t p = s.selected.front();
    auto f = find_issue(reader, s, p, *o.issue, d);
    if (!f) return {{}, {}, kafka_fail(f.error())};
    if (!f.value()) {
      return {{},
              {},
              fail("issue " + *o.issue + " has no committed record in " + tp(o.topic, p) +
                   " (its partition: " + "partition_for(issue id, " + std::to_string(s.partition_count) +
                   ") = " + std::to_string(p) + "; offsets " + std::to_string(s.marks.at(p).low) + ".." +
                   std::to_string(s.marks.at(p).high) + " scanned)")};
    }
    r.found[p] = *f.value();
    r.detail = "issue " + *o.issue + " starts at offset " + std::to_string(*f.value()) + " of partition " +
               std::to_string(p);
  }
  return r;
}

/// Commits `changes` for the group from outside, once it has no member, and reads them back.
/// nullopt once committed, else the exit code.
std::optional<int> commit_rewind(const replay_options& o, kafka::admin& admin,
                                 const std::vector<kafka::partition_offset>& changes, kafka::deadline d,
                                 const std::function<void(const std::string&)>& finish) {
  // A group with members owns its offsets: a commit from outside would be overwritten by the
  // members' next commit, and the broker refuses it anyway (UNKNOWN_MEMBER_ID).
  auto desc = admin.describe_group(o.group, d);
  if (!desc) return kafka_fail(desc.error());
  auto refuse = [&](const kafka::group_description& g) {
    std::string who;
    for (const auto& m : g.members) {
      if (!who.empty()) who += ", ";
      who += m.client_id + "@" + m.host;
    }
    return fail("refusing to rewind group " + o.group + ": it has " + std::to_string(g.members.size()) +
                " active member(s) (state " + g.state + (who.empty() ? "" : ": " + who) +
                "); stop its consumers first, then run this again. Nothing was changed.");
  };
  if (!desc.value().inactive()) return refuse(desc.value());
  if (changes.empty()) {
    finish("nothing to change");
    return cli::exit_code::ok;
  }
  // A member that joined between the check and the commit makes the broker answer
  // UNKNOWN_MEMBER_ID (per partition, as measured on Kafka 4.4): the same refusal.
  const auto unknown_member = kafka::make_error_code(kafka::unknown_member_id);
  auto refuse_if_joined = [&](const kafka::error& e) {
    if (e.code() == unknown_member) {
      if (auto again = admin.describe_group(o.group, d); again && !again.value().inactive()) {
        return refuse(again.value());
      }
    }
    return fail("committing offsets for group " + o.group + ": " + e.to_string());
  };
  auto altered = admin.alter_group_offsets(o.group, changes, d);
  if (!altered) return refuse_if_joined(altered.error());
  for (const auto& a : altered.value()) {
    if (a.err) return refuse_if_joined(*a.err);
  }
  // Read back what the group now has.
  auto after = admin.group_offsets(o.group, d);
  if (!after) return kafka_fail(after.error());
  std::map<std::int32_t, std::int64_t> now;
  for (const auto& c : after.value()) {
    if (c.topic == o.topic) now[c.partition] = c.offset;
  }
  for (const auto& c : changes) {
    if (now[c.partition] != c.offset) {
      return fail("group " + o.group + " has offset " + offset_text(now[c.partition]) + " on " +
                  tp(o.topic, c.partition) + " after the commit, expected " + std::to_string(c.offset));
    }
  }
  return std::nullopt;
}

int run_rewind(const replay_options& o, kafka::admin& admin, kafka::reader& reader, const source& s,
               kafka::deadline d, std::ostream& out) {
  const rewind_kind kind = kind_of(o);
  auto committed = admin.group_offsets(o.group, d);
  if (!committed) return kafka_fail(committed.error());
  std::map<std::int32_t, std::int64_t> current;
  for (const auto& c : committed.value()) {
    if (c.topic == o.topic && !c.err) current[c.partition] = c.offset;
  }

  auto start = find_rewind_start(o, kind, reader, s, d);
  if (start.failed) return *start.failed;
  const auto& found = start.found;
  const auto& detail = start.detail;

  // Issue mode shows every partition (the others unchanged); the other modes the selected ones.
  std::vector<std::int32_t> shown = s.selected;
  if (kind == rewind_kind::issue) {
    shown.clear();
    for (std::int32_t p = 0; p < s.partition_count; ++p) shown.push_back(p);
  }
  std::vector<partition_state> states;
  for (auto p : shown) {
    partition_state st;
    st.partition = p;
    st.low = s.marks.at(p).low;
    st.high = s.marks.at(p).high;
    if (auto it = current.find(p); it != current.end()) st.committed = it->second;
    if (auto it = found.find(p); it != found.end()) st.found = it->second;
    states.push_back(st);
  }
  const std::int64_t n = o.to_offset ? *o.to_offset : o.shift_by.value_or(0);
  const auto rows = plan_rewind(kind, n, states);
  std::int64_t total = 0;
  std::vector<kafka::partition_offset> changes;
  for (const auto& r : rows) {
    total += r.changes() ? r.redelivered : 0;
    if (r.changes()) changes.push_back({o.topic, r.partition, r.target, std::nullopt});
  }

  json doc{{"group", o.group},
           {"topic", o.topic},
           {"mode", kind_name(kind)},
           {"execute", o.execute},
           {"partitions", plan_json(rows)},
           {"totalRedelivered", total},
           {"applied", false}};
  if (!detail.empty()) doc["detail"] = detail;

  if (!o.common.json) {
    out << "group " << o.group << ", topic " << o.topic << ": rewind " << kind_name(kind);
    if (!detail.empty()) out << " (" << detail << ")";
    out << '\n' << render_plan(rows);
    out << "total: " << total << " records redelivered (offsets; transaction markers included)\n";
  }

  auto finish = [&](const std::string& note) {
    if (o.common.json) {
      doc["note"] = note;
      out << doc.dump(2) << '\n';
    } else {
      out << note << '\n';
    }
  };

  if (!o.execute) {
    finish(changes.empty() ? "nothing to change"
                           : "dry run: nothing changed; add --execute to commit these offsets");
    return cli::exit_code::ok;
  }

  if (auto rc = commit_rewind(o, admin, changes, d, finish)) return *rc;
  doc["applied"] = true;
  finish("committed " + std::to_string(changes.size()) + " partition offset(s) for group " + o.group +
         "; its consumers resume from there when they start");
  return cli::exit_code::ok;
}

/// Records copied, per partition.
struct copy_counts {
  std::int64_t read = 0;
  std::int64_t copied = 0;
  std::int64_t skipped = 0;
};

/// The range [start, stop) of each selected partition a copy reads; `failed`: the exit code when a
/// time cannot be looked up.
struct copy_plan {
  std::map<std::int32_t, kafka::reader::range> ranges;
  std::optional<int> failed;
};

copy_plan plan_copy(const replay_options& o, kafka::reader& reader, const source& s, kafka::deadline d) {
  copy_plan plan;
  auto& ranges = plan.ranges;
  for (auto p : s.selected) ranges[p] = {s.marks.at(p).low, s.marks.at(p).high};
  std::string err;
  if (o.from_datetime) {
    auto f = by_time(reader, s, parse_datetime(*o.from_datetime, err).value_or(0), d);
    if (!f) return {{}, kafka_fail(f.error())};
    for (auto& [p, r] : ranges) r.start = f.value()[p] >= 0 ? f.value()[p] : s.marks.at(p).high;
  }
  if (o.from_offset) {
    for (auto& [p, r] : ranges) r.start = std::clamp(*o.from_offset, s.marks.at(p).low, s.marks.at(p).high);
  }
  if (o.to_datetime) {
    auto f = by_time(reader, s, parse_datetime(*o.to_datetime, err).value_or(0), d);
    if (!f) return {{}, kafka_fail(f.error())};
    for (auto& [p, r] : ranges) r.stop = f.value()[p] >= 0 ? f.value()[p] : s.marks.at(p).high;
  }
  if (o.to_offset) {
    for (auto& [p, r] : ranges) r.stop = std::clamp(*o.to_offset, s.marks.at(p).low, s.marks.at(p).high);
  }
  return plan;
}

/// What a copy did (or would do), as a table or JSON.
void report_copy(const replay_options& o, const source& s,
                 const std::map<std::int32_t, kafka::reader::range>& ranges,
                 std::map<std::int32_t, copy_counts>& per, bool same_partition, std::int32_t target_count,
                 std::int64_t delivered, std::int64_t failed, std::ostream& out) {
  table t({{"PARTITION", table::align::right},
           {"FROM", table::align::right},
           {"TO", table::align::right},
           {o.execute ? "COPIED" : "TO COPY", table::align::right},
           {"SKIPPED", table::align::right}});
  json parts = json::array();
  std::int64_t total = 0;
  std::int64_t skipped = 0;
  for (const auto& [p, rg] : ranges) {
    const auto c = per[p];
    total += c.copied;
    skipped += c.skipped;
    t.add({std::to_string(p), std::to_string(rg.start), std::to_string(rg.stop), std::to_string(c.copied),
           std::to_string(c.skipped)});
    parts.push_back({{"partition", p},
                     {"from", rg.start},
                     {"to", rg.stop},
                     {"records", c.copied},
                     {"skipped", c.skipped}});
  }
  const std::string partitioning =
      same_partition ? "same partition numbers"
                     : "partition_for(issue-id header) (" + std::to_string(target_count) + " partitions vs " +
                           std::to_string(s.partition_count) + "), key hash without the header";
  json doc{{"topic", o.topic},       {"toTopic", o.to_topic}, {"execute", o.execute},
           {"partitions", parts},    {"records", total},      {"skipped", skipped},
           {"delivered", delivered}, {"failed", failed},      {"partitioning", partitioning}};
  if (o.issue) doc["issue"] = *o.issue;
  if (o.common.json) {
    out << doc.dump(2) << '\n';
  } else {
    out << "copy " << o.topic << " -> " << o.to_topic << " (read_committed; " << partitioning
        << "; header replayed-from: topic/partition/offset)";
    if (o.issue) out << ", issue " << *o.issue << " only";
    out << '\n' << t.render();
    if (o.execute) {
      out << "copied " << delivered << " of " << total << " records";
      if (failed > 0) out << " (" << failed << " failed)";
      if (skipped > 0) out << "; " << skipped << " records of other issues skipped";
      out << '\n';
    } else {
      out << "dry run: " << total << " records would be copied";
      if (skipped > 0) out << " (" << skipped << " records of other issues skipped)";
      out << "; add --execute to copy them\n";
    }
  }
}

int run_copy(const replay_options& o, const config::kafka_config& cfg, kafka::admin& admin,
             kafka::reader& reader, const source& s, kafka::deadline d, std::ostream& out) {
  auto target = admin.describe_topic(o.to_topic, d);
  if (!target) return kafka_fail(target.error());
  const auto target_count = static_cast<std::int32_t>(target.value().partitions.size());
  const bool same_partition = target_count == s.partition_count;

  auto plan = plan_copy(o, reader, s, d);
  if (plan.failed) return *plan.failed;
  const auto& ranges = plan.ranges;
  std::optional<kafka::producer> producer;
  if (o.execute) {
    kafka::producer_options po;
    po.client_id = "syndicate-replay";
    auto p = kafka::producer::create(cfg, po);
    if (!p) return kafka_fail(p.error());
    producer.emplace(std::move(p).value());
  }

  std::map<std::int32_t, copy_counts> per;
  std::optional<kafka::error> send_error;
  auto r = reader.read(
      o.topic, ranges,
      [&](const kafka::message& m) -> kafka::reader::next {
        auto& c = per[m.partition()];
        ++c.read;
        if (o.issue && m.header_value(issue_id_header) != std::string_view(*o.issue)) {
          ++c.skipped;
          return kafka::reader::next::more;
        }
        ++c.copied;
        if (!producer) return kafka::reader::next::more;
        const std::string from =
            o.topic + "/" + std::to_string(m.partition()) + "/" + std::to_string(m.offset());
        std::vector<kafka::header> headers;
        for (const auto& h : m.headers()) {
          if (h.name != replayed_from_header) headers.push_back(h);
        }
        headers.push_back({replayed_from_header, from});
        kafka::outgoing_record rec;
        rec.topic = o.to_topic;
        rec.key = m.key();
        rec.value = m.value();
        rec.headers = headers;
        if (same_partition) {
          rec.partition = m.partition();
        } else if (auto issue = m.header_value(issue_id_header)) {
          rec.partition_key = *issue;  // keep an issue's records together, as the publisher does
        }
        if (auto sent = producer->send(rec, d); !sent) {
          send_error = sent.error();
          return kafka::reader::next::stop;
        }
        producer->poll();
        return kafka::reader::next::more;
      },
      d);

  std::int64_t delivered = 0;
  std::int64_t failed = 0;
  std::optional<kafka::error> delivery_error;
  if (producer) {
    auto f = producer->flush(d);
    for (const auto& rep : producer->take_delivery_reports()) {
      if (rep.err) {
        ++failed;
        if (!delivery_error) delivery_error = rep.err;
      } else {
        ++delivered;
      }
    }
    failed += static_cast<std::int64_t>(f.undelivered);
  }

  report_copy(o, s, ranges, per, same_partition, target_count, delivered, failed, out);
  if (!r) return kafka_fail(r.error());
  if (send_error) return kafka_fail(*send_error);
  if (failed > 0) {
    return fail(std::to_string(failed) + " records were not delivered to " + o.to_topic +
                (delivery_error ? ": " + delivery_error->to_string() : std::string()) +
                " (copying again is safe: sinks are idempotent)");
  }
  return cli::exit_code::ok;
}

}  // namespace

int run_replay(const replay_options& o, std::ostream& out) {
  if (auto problem = validate(o); !problem.empty()) return fail(problem, cli::exit_code::bad_input);
  const auto cfg = load_kafka(o.common);
  const auto d = kafka::after(std::chrono::seconds(o.common.timeout_s));
  auto admin = kafka::admin::create(cfg);
  if (!admin) return kafka_fail(admin.error());
  auto reader = kafka::reader::create(cfg, kafka::isolation::read_committed, "syndicate-ops-reader");
  if (!reader) return kafka_fail(reader.error());
  auto s = describe_source(admin.value(), reader.value(), o, d);
  if (!s) return kafka_fail(s.error());
  if (!o.to_topic.empty()) return run_copy(o, cfg, admin.value(), reader.value(), s.value(), d, out);
  return run_rewind(o, admin.value(), reader.value(), s.value(), d, out);
}

}  // namespace syn::ops
