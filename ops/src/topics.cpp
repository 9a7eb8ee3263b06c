// `syndicate topics create|list|describe`: the configured topics, through syn::kafka::admin.
#include "syn/core/cli.hpp"
#include "syn/core/config.hpp"
#include "syn/core/kafka/admin.hpp"

#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

namespace syn::ops {

namespace {

struct topics_options {
  std::string config_path;
  std::string bootstrap;  ///< overrides kafka.bootstrap_servers
  int timeout_s = 30;
  bool all = false;
  std::vector<std::string> names;
};

config::kafka_config load_kafka(const topics_options& o) {
  auto cfg = config::load(o.config_path).kafka;  // config_error -> exit 2 (cli::dispatcher)
  if (!o.bootstrap.empty()) cfg.bootstrap_servers = o.bootstrap;
  return cfg;
}

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

}  // namespace

void register_topics(CLI::App& root, cli::dispatcher& dispatch) {
  auto* topics = root.add_subcommand("topics", "Create, list and describe the Kafka topics");
  topics->require_subcommand(1);
  auto opts = std::make_shared<topics_options>();
  auto common = [&opts](CLI::App* sub) {
    cli::add_config_option(sub, opts->config_path);
    sub->add_option("--bootstrap", opts->bootstrap, "brokers host:port[,...], overriding kafka.bootstrap_servers");
    sub->add_option("--timeout", opts->timeout_s, "give up after this many seconds")
        ->capture_default_str()
        ->check(CLI::Range(1, 3600));
  };

  auto* create = topics->add_subcommand("create", "Create the configured topics; existing ones are left as they are");
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
}

}  // namespace syn::ops
