// `syndicate topics create|list|describe|add-partitions`: the configured topics, through
// syn::kafka::admin.
#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "syn/core/cli.hpp"
#include "syn/core/config.hpp"
#include "syn/core/kafka/admin.hpp"
#include "syn/core/service.hpp"
#include "syn/ops/lag.hpp"

namespace syn::ops {

namespace {

struct topics_options {
  std::string config_path;
  std::string bootstrap;  ///< overrides kafka.bootstrap_servers
  int timeout_s = 30;
  bool all = false;
  std::vector<std::string> names;
  // add-partitions
  std::string topic;
  int to = 0;
  std::vector<std::string> groups;  ///< default: the four configured groups
  bool execute = false;
  bool force = false;
};

/// The config with --bootstrap applied, and its logging set up.
config::root load_root(const topics_options& o) {
  auto root = config::load(o.config_path);  // config_error -> exit 2 (cli::dispatcher)
  service::setup_logging(root.observability);
  if (!o.bootstrap.empty()) root.kafka.bootstrap_servers = o.bootstrap;
  return root;
}

config::kafka_config load_kafka(const topics_options& o) { return load_root(o).kafka; }

int fail(const kafka::error& e) {
  cli::print_error(e.to_string());
  return cli::exit_code::failure;
}

std::string join(const std::vector<std::int32_t>& v) {
  std::string s;
  for (auto x : v) s += (s.empty() ? "" : ",") + std::to_string(x);
  return s;
}

int run_create(const topics_options& o) {
  const auto cfg = load_kafka(o);
  auto a = kafka::admin::create(cfg);
  if (!a) return fail(a.error());
  std::vector<config::topic_config> wanted;
  for (const auto* t : cfg.topics.all()) wanted.push_back(*t);
  auto r = a.value().create_topics(wanted, kafka::after(std::chrono::seconds(o.timeout_s)));
  if (!r) return fail(r.error());
  for (const auto& t : r.value()) {
    std::cout << (t.created ? "created  " : "existing ") << t.name << "  partitions=" << t.partitions << '\n';
  }
  return cli::exit_code::ok;
}

int run_list(const topics_options& o) {
  auto a = kafka::admin::create(load_kafka(o));
  if (!a) return fail(a.error());
  auto r = a.value().list_topics(kafka::after(std::chrono::seconds(o.timeout_s)), o.all);
  if (!r) return fail(r.error());
  for (const auto& t : r.value()) std::cout << t.name << "  partitions=" << t.partitions.size() << '\n';
  return cli::exit_code::ok;
}

int run_describe(const topics_options& o) {
  const auto cfg = load_kafka(o);
  auto a = kafka::admin::create(cfg);
  if (!a) return fail(a.error());
  const auto d = kafka::after(std::chrono::seconds(o.timeout_s));
  std::vector<std::string> names = o.names;
  if (names.empty()) {
    for (const auto* t : cfg.topics.all()) names.push_back(t->name);
  }
  for (const auto& name : names) {
    auto t = a.value().describe_topic(name, d);
    if (!t) return fail(t.error());
    std::cout << name << "  partitions=" << t.value().partitions.size() << '\n';
    for (const auto& p : t.value().partitions) {
      std::cout << "  partition " << p.id << "  leader=" << p.leader << "  replicas=" << join(p.replicas)
                << "  isr=" << join(p.isrs) << '\n';
    }
    auto c = a.value().describe_topic_config(name, d);
    if (!c) return fail(c.error());
    for (const auto& e : c.value()) {
      if (e.is_default && !o.all) continue;
      std::cout << "  " << e.name << '=' << (e.sensitive ? "***" : e.value) << "  (" << e.source << ")\n";
    }
  }
  return cli::exit_code::ok;
}

/// Adding partitions changes partition_for(issue id) for most issues: an issue published again
/// afterwards lands on another partition than its earlier records, so a consumer may see its new
/// revision before an old one still queued on the old partition. Hence: drain first (every
/// group caught up on the topic, publishers stopped), then add, then restart the publishers
/// (each caches the partition count for its lifetime).
int run_add_partitions(const topics_options& o) {
  const auto root = load_root(o);
  const auto& cfg = root.kafka;
  const auto d = kafka::after(std::chrono::seconds(o.timeout_s));
  auto a = kafka::admin::create(cfg);
  if (!a) return fail(a.error());
  auto t = a.value().describe_topic(o.topic, d);
  if (!t) return fail(t.error());
  const auto current = static_cast<int>(t.value().partitions.size());
  if (o.to <= current) {
    cli::print_error(o.topic + " has " + std::to_string(current) +
                     " partitions; --to must be more (Kafka cannot remove partitions)");
    return cli::exit_code::bad_input;
  }
  std::vector<std::string> groups = o.groups;
  if (groups.empty()) {
    const auto& g = root.consumers.groups;
    groups = {g.feed, g.archive, g.translation, g.translator};
  }
  auto lag = collect_lag(cfg, groups, {o.topic}, d);
  if (!lag) return fail(lag.error());
  std::vector<std::string> behind;
  for (const auto& g : lag.value()) {
    for (const auto& r : g.rows) {
      if (r.lag().value_or(0) > 0 && !r.markers_only) {
        behind.push_back(g.group + " partition " + std::to_string(r.partition) + " (lag " +
                         std::to_string(*r.lag()) + ")");
      }
    }
  }
  std::cout << o.topic << ": " << current << " -> " << o.to << " partitions\n" << render_lag(lag.value());
  std::cout
      << "after this, partition_for(issue id) = murmur2(issue id) % " << o.to
      << ": most issues map to another partition from now on; records already written stay where they are\n";
  if (!behind.empty() && !o.force) {
    std::string list;
    for (const auto& b : behind) list += (list.empty() ? "" : ", ") + b;
    cli::print_error("refusing to add partitions to " + o.topic + " before it is drained: " + list +
                     "; stop the publishers, wait until `syndicate lag --topic " + o.topic +
                     "` shows no lag, then run this again (or --force)");
    return cli::exit_code::failure;
  }
  if (!o.execute) {
    std::cout << "dry run: nothing changed; add --execute to add the partitions\n";
    return cli::exit_code::ok;
  }
  if (auto r = a.value().create_partitions(o.topic, o.to, d); !r) return fail(r.error());
  std::cout
      << "added: " << o.topic << " has " << o.to
      << " partitions. Restart every publisher now (syndicate serve trigger / publish): a running one keeps "
         "the partition count it read at start; consumers pick up the new partitions at their next metadata "
         "refresh or restart. Set kafka.topics.<name>.partitions to "
      << o.to << " in the config.\n";
  return cli::exit_code::ok;
}

}  // namespace

void register_topics(CLI::App& root, cli::dispatcher& dispatch) {
  auto* topics = root.add_subcommand("topics", "Create, list and describe the Kafka topics");
  topics->require_subcommand(1);
  auto opts = std::make_shared<topics_options>();
  auto common = [&opts](CLI::App* sub) {
    cli::add_config_option(sub, opts->config_path);
    sub->add_option("--bootstrap", opts->bootstrap,
                    "brokers host:port[,...], overriding kafka.bootstrap_servers");
    sub->add_option("--timeout", opts->timeout_s, "give up after this many seconds")
        ->capture_default_str()
        ->check(CLI::Range(1, 3600));
  };

  auto* create =
      topics->add_subcommand("create", "Create the configured topics; existing ones are left as they are");
  common(create);
  dispatch.on(create, [opts] { return run_create(*opts); });

  auto* list = topics->add_subcommand("list", "List the cluster's topics with their partition counts");
  common(list);
  list->add_flag("--all", opts->all, "include internal topics (__consumer_offsets, ...)");
  dispatch.on(list, [opts] { return run_list(*opts); });

  auto* describe = topics->add_subcommand("describe", "Partitions and non-default configs of topics");
  common(describe);
  describe->add_option("topic", opts->names, "topics (default: the configured ones)");
  describe->add_flag("--all", opts->all, "show default configs too");
  dispatch.on(describe, [opts] { return run_describe(*opts); });

  auto* add = topics->add_subcommand(
      "add-partitions",
      "Grow a topic (dry run unless --execute; refuses until the consumer groups have drained it)");
  common(add);
  add->add_option("topic", opts->topic, "topic to grow")->required();
  add->add_option("--to", opts->to, "the new partition count (more than now)")
      ->required()
      ->check(CLI::PositiveNumber);
  add->add_option("--group", opts->groups,
                  "groups that must have drained the topic (default: the configured four)");
  add->add_flag("--execute", opts->execute, "add the partitions");
  add->add_flag("--force", opts->force, "add them even though a group still lags");
  dispatch.on(add, [opts] { return run_add_partitions(*opts); });
}

}  // namespace syn::ops
