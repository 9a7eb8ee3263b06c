// `syndicate lag`: committed offsets against high watermarks, per group and partition.
#include "syn/ops/lag.hpp"

#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "syn/core/kafka/admin.hpp"
#include "syn/core/kafka/reader.hpp"
#include "syn/ops/table.hpp"

namespace syn::ops {

using json = nlohmann::ordered_json;

std::optional<std::int64_t> group_lag::total() const {
  std::optional<std::int64_t> sum;
  for (const auto& r : rows) {
    if (auto l = r.lag()) sum = sum.value_or(0) + *l;
  }
  return sum;
}

std::string render_lag(const std::vector<group_lag>& groups) {
  table t({{"GROUP", table::align::left},
           {"STATE", table::align::left},
           {"TOPIC", table::align::left},
           {"PARTITION", table::align::right},
           {"COMMITTED", table::align::right},
           {"END", table::align::right},
           {"LAG", table::align::right}});
  auto opt = [](const std::optional<std::int64_t>& v) { return v ? std::to_string(*v) : std::string("-"); };
  bool footnote = false;
  for (const auto& g : groups) {
    const std::string state = g.members > 0 ? g.state + " (" + std::to_string(g.members) + ")" : g.state;
    if (g.rows.empty()) {
      t.add({g.group, state, "-", "-", "-", "-", "-"});
      continue;
    }
    for (const auto& r : g.rows) {
      std::string lag = opt(r.lag());
      if (r.markers_only && r.lag().value_or(0) > 0) {
        lag += "*";
        footnote = true;
      }
      t.add(
          {g.group, state, r.topic, std::to_string(r.partition), opt(r.committed), offset_text(r.end), lag});
    }
    t.add({g.group, "", "total", "", "", "", opt(g.total())});
  }
  std::string out = t.render();
  if (footnote) {
    out +=
        "* transaction markers or aborted records only: the group has read everything it can see "
        "(read_committed)\n";
  }
  return out;
}

json lag_json(const std::vector<group_lag>& groups) {
  json out = json::array();
  auto opt = [](const std::optional<std::int64_t>& v) { return v ? json(*v) : json(nullptr); };
  for (const auto& g : groups) {
    json rows = json::array();
    for (const auto& r : g.rows) {
      rows.push_back(
          {{"topic", r.topic},
           {"partition", r.partition},
           {"committed", opt(r.committed)},
           {"end", r.end < 0 ? json(nullptr) : json(r.end)},
           {"lag", opt(r.lag())},
           {"caughtUp", r.committed ? json(!r.lag() || *r.lag() == 0 || r.markers_only) : json(nullptr)}});
    }
    out.push_back({{"group", g.group},
                   {"state", g.state},
                   {"members", g.members},
                   {"partitions", rows},
                   {"totalLag", opt(g.total())}});
  }
  return json{{"groups", out}};
}

kafka::result<std::vector<group_lag>> collect_lag(const config::kafka_config& cfg,
                                                  const std::vector<std::string>& groups,
                                                  const std::vector<std::string>& only_topics,
                                                  kafka::deadline d) {
  auto admin = kafka::admin::create(cfg);
  if (!admin) return admin.error();
  // Reachability first (one clear line if the brokers are down).
  auto all_topics = admin.value().list_topics(d);
  if (!all_topics) return all_topics.error();
  std::map<std::string, std::int32_t> partition_counts;
  for (const auto& t : all_topics.value())
    partition_counts[t.name] = static_cast<std::int32_t>(t.partitions.size());

  // read_uncommitted: the end is the high watermark, as Kafka's own tools report it.
  auto reader = kafka::reader::create(cfg, kafka::isolation::read_uncommitted, "syndicate-ops-reader");
  if (!reader) return reader.error();
  auto probe = kafka::reader::create(cfg, kafka::isolation::read_committed, "syndicate-ops-reader");
  if (!probe) return probe.error();
  std::map<std::pair<std::string, std::int32_t>, std::int64_t> ends;
  auto end_of = [&](const std::string& topic, std::int32_t p) -> kafka::result<std::int64_t> {
    if (auto it = ends.find({topic, p}); it != ends.end()) return it->second;
    auto m = reader.value().watermark_offsets(topic, p, d);
    if (!m) return m.error();
    ends[{topic, p}] = m.value().high;
    return m.value().high;
  };

  std::vector<group_lag> result;
  for (const auto& group : groups) {
    group_lag g;
    g.group = group;
    auto desc = admin.value().describe_group(group, d);
    if (!desc) return desc.error();
    g.state = desc.value().state;
    g.members = desc.value().members.size();
    auto committed = admin.value().group_offsets(group, d);
    if (!committed) return committed.error();

    std::map<std::pair<std::string, std::int32_t>, std::int64_t> have;
    std::set<std::string> topics;
    for (const auto& c : committed.value()) {
      if (c.err || c.offset < 0) continue;
      have[{c.topic, c.partition}] = c.offset;
      topics.insert(c.topic);
    }
    for (const auto& m : desc.value().members) {
      for (const auto& a : m.assignment) topics.insert(a.topic);
    }
    if (!only_topics.empty()) topics = std::set<std::string>(only_topics.begin(), only_topics.end());

    for (const auto& topic : topics) {
      auto pc = partition_counts.find(topic);
      if (pc == partition_counts.end()) {
        // Committed offsets of a topic that no longer exists: shown, without an end.
        for (const auto& [k, off] : have) {
          if (k.first == topic) g.rows.push_back({topic, k.second, off, -1});
        }
        continue;
      }
      for (std::int32_t p = 0; p < pc->second; ++p) {
        lag_row r;
        r.topic = topic;
        r.partition = p;
        if (auto it = have.find({topic, p}); it != have.end()) r.committed = it->second;
        auto e = end_of(topic, p);
        if (!e) return e.error();
        r.end = e.value();
        g.rows.push_back(std::move(r));
      }
    }
    // A lag of a few offsets is often only transaction markers: look for a visible record
    // (one fetch per lagging partition; the read stops at the first record).
    std::map<std::string, std::map<std::int32_t, kafka::reader::range>> probes;
    for (const auto& r : g.rows) {
      if (r.lag().value_or(0) > 0) probes[r.topic][r.partition] = {*r.committed, r.end};
    }
    for (const auto& [topic, ranges] : probes) {
      std::set<std::int32_t> visible;
      auto pr = probe.value().read(
          topic, ranges,
          [&](const kafka::message& m) {
            visible.insert(m.partition());
            return kafka::reader::next::partition_done;
          },
          d);
      if (!pr) return pr.error();
      for (auto& r : g.rows) {
        if (r.topic == topic && ranges.contains(r.partition)) r.markers_only = !visible.contains(r.partition);
      }
    }
    result.push_back(std::move(g));
  }
  return result;
}

int run_lag(const lag_options& o, std::ostream& out) {
  const auto cfg = load_config(o.common);
  std::vector<std::string> groups = o.groups;
  if (groups.empty()) {
    const auto& g = cfg.consumers.groups;
    groups = {g.feed, g.archive, g.translation, g.translator};
  }
  auto result =
      collect_lag(cfg.kafka, groups, o.topics, kafka::after(std::chrono::seconds(o.common.timeout_s)));
  if (!result) return fail(result.error().to_string());
  if (o.common.json) {
    out << lag_json(result.value()).dump(2) << '\n';
  } else {
    out << render_lag(result.value());
  }
  return cli::exit_code::ok;
}

}  // namespace syn::ops
