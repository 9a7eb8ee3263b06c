#include "syn/core/kafka/admin.hpp"

#include <algorithm>
#include <array>
#include <utility>

#include "client.hpp"

namespace syn::kafka {

static_assert(static_cast<int>(unknown_member_id) == RD_KAFKA_RESP_ERR_UNKNOWN_MEMBER_ID);

struct admin::impl final : detail::client {
  ~impl() override { close_handle(); }

  /// Runs one admin request: `start(options, queue)` issues it; waits for its result event by `d`.
  template <class Start>
  result<detail::event_ptr> run(std::string_view what, rd_kafka_admin_op_t op, deadline d, Start&& start) {
    const auto started = clock::now();
    const int ms = std::max(1, remaining_ms(d));
    rd_kafka_AdminOptions_t* opts = rd_kafka_AdminOptions_new(rk(), op);
    std::array<char, 256> errstr{};
    rd_kafka_AdminOptions_set_request_timeout(opts, ms, errstr.data(), errstr.size());
    if (op == RD_KAFKA_ADMIN_OP_CREATETOPICS || op == RD_KAFKA_ADMIN_OP_DELETETOPICS ||
        op == RD_KAFKA_ADMIN_OP_CREATEPARTITIONS) {
      // How long the broker waits for the topic to exist everywhere before it answers.
      rd_kafka_AdminOptions_set_operation_timeout(opts, std::max(1, ms / 2), errstr.data(), errstr.size());
    }
    detail::queue_ptr q(rd_kafka_queue_new(rk()));
    start(opts, q.get());
    rd_kafka_AdminOptions_destroy(opts);
    auto ev = detail::wait_event(q.get(), d);
    if (!ev) return timed_out(what, started);
    if (const auto err = rd_kafka_event_error(ev.get()); err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      if (err == RD_KAFKA_RESP_ERR__TIMED_OUT) return timed_out(what, started);
      return error(make_error_code(static_cast<errc>(err)),
                   std::string(what) + ": " + rd_kafka_event_error_string(ev.get()));
    }
    return ev;
  }
};

result<admin> admin::create(const config::kafka_config& cfg, std::string client_id) {
  role_options ro;
  ro.client_id = std::move(client_id);
  auto props = build_properties(cfg, role::admin, ro);
  if (!props) return props.error();
  auto p = std::make_unique<impl>();
  BOOST_OUTCOME_TRY(p->open(RD_KAFKA_PRODUCER, std::move(props).value(), nullptr));
  return admin(std::move(p));
}

admin::admin(std::unique_ptr<impl> p) : impl_(std::move(p)) {}
admin::admin(admin&&) noexcept = default;
admin& admin::operator=(admin&&) noexcept = default;
admin::~admin() = default;

result<std::vector<topic_creation>> admin::create_topics(std::span<const config::topic_config> topics,
                                                         deadline d) {
  std::vector<topic_creation> out;
  if (auto* cluster = impl_->embedded()) {
    // The 2.0.2 mock cluster has no CreateTopics handler: create on it directly.
    // All-topics metadata: asking for one topic by name would auto-create it on the mock.
    auto all = impl_->metadata(nullptr, false, d);
    if (!all) return all.error();
    for (const auto& t : topics) {
      auto it = std::find_if(all.value().begin(), all.value().end(),
                             [&](const topic_info& ti) { return ti.name == t.name; });
      if (it != all.value().end()) {
        out.push_back({t.name, false, static_cast<std::int32_t>(it->partitions.size())});
        continue;
      }
      BOOST_OUTCOME_TRY(cluster->create_topic(t.name, t.partitions, t.replication_factor));
      out.push_back({t.name, true, t.partitions});
    }
    return out;
  }

  std::vector<rd_kafka_NewTopic_t*> new_topics;
  auto destroy = [&new_topics] { rd_kafka_NewTopic_destroy_array(new_topics.data(), new_topics.size()); };
  std::array<char, 512> errstr{};
  for (const auto& t : topics) {
    auto* nt = rd_kafka_NewTopic_new(t.name.c_str(), t.partitions, t.replication_factor, errstr.data(),
                                     errstr.size());
    if (nt == nullptr) {
      destroy();
      return error(errc::invalid_arg, "topic " + t.name + ": " + errstr.data());
    }
    new_topics.push_back(nt);
    for (const auto& [k, v] : t.config) {
      if (auto err = rd_kafka_NewTopic_set_config(nt, k.c_str(), v.c_str());
          err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        destroy();
        return detail::from_code(err, "topic " + t.name + " config " + k);
      }
    }
  }
  auto ev = impl_->run("create topics", RD_KAFKA_ADMIN_OP_CREATETOPICS, d,
                       [&](rd_kafka_AdminOptions_t* opts, rd_kafka_queue_t* q) {
                         rd_kafka_CreateTopics(impl_->rk(), new_topics.data(), new_topics.size(), opts, q);
                       });
  destroy();
  if (!ev) return ev.error();
  const auto* res = rd_kafka_event_CreateTopics_result(ev.value().get());
  std::size_t cnt = 0;
  const rd_kafka_topic_result_t** results = rd_kafka_CreateTopics_result_topics(res, &cnt);
  for (const auto& t : topics) {
    const rd_kafka_topic_result_t* r = nullptr;
    for (std::size_t i = 0; i < cnt; ++i) {
      if (t.name == rd_kafka_topic_result_name(results[i])) r = results[i];
    }
    if (r == nullptr) return error(errc::unknown, "create topics: no result for " + t.name);
    const auto err = rd_kafka_topic_result_error(r);
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      out.push_back({t.name, true, t.partitions});
      continue;
    }
    if (err != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
      const char* s = rd_kafka_topic_result_error_string(r);
      return error(make_error_code(static_cast<errc>(err)),
                   "create topic " + t.name + ": " + (s != nullptr ? s : rd_kafka_err2str(err)));
    }
    auto existing = impl_->metadata(&t.name, true, d);
    if (!existing) return existing.error();
    out.push_back({t.name, false, static_cast<std::int32_t>(existing.value().front().partitions.size())});
  }
  return out;
}

result<std::vector<topic_info>> admin::list_topics(deadline d, bool include_internal) {
  auto all = impl_->metadata(nullptr, false, d);
  if (!all || include_internal) return all;
  auto topics = std::move(all).value();
  std::erase_if(topics, [](const topic_info& t) { return t.name.starts_with("__"); });
  return topics;
}

result<topic_info> admin::describe_topic(const std::string& name, deadline d) {
  auto md = impl_->metadata(&name, false, d);
  if (!md) return md.error();
  return std::move(md.value().front());
}

result<std::vector<config_entry>> admin::describe_topic_config(const std::string& name, deadline d) {
  rd_kafka_ConfigResource_t* resource = rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, name.c_str());
  auto ev = impl_->run("describe configs of " + name, RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS, d,
                       [&](rd_kafka_AdminOptions_t* opts, rd_kafka_queue_t* q) {
                         rd_kafka_DescribeConfigs(impl_->rk(), &resource, 1, opts, q);
                       });
  rd_kafka_ConfigResource_destroy(resource);
  if (!ev) return ev.error();
  const auto* res = rd_kafka_event_DescribeConfigs_result(ev.value().get());
  std::size_t cnt = 0;
  const rd_kafka_ConfigResource_t** resources = rd_kafka_DescribeConfigs_result_resources(res, &cnt);
  if (cnt != 1) return error(errc::unknown, "describe configs of " + name + ": no result");
  if (const auto err = rd_kafka_ConfigResource_error(resources[0]); err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    const char* s = rd_kafka_ConfigResource_error_string(resources[0]);
    return error(make_error_code(static_cast<errc>(err)),
                 "describe configs of " + name + ": " + (s != nullptr ? s : rd_kafka_err2str(err)));
  }
  std::size_t n = 0;
  const rd_kafka_ConfigEntry_t** entries = rd_kafka_ConfigResource_configs(resources[0], &n);
  std::vector<config_entry> out;
  out.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    const auto* e = entries[i];
    const char* value = rd_kafka_ConfigEntry_value(e);
    out.push_back({rd_kafka_ConfigEntry_name(e), value != nullptr ? value : "",
                   rd_kafka_ConfigSource_name(rd_kafka_ConfigEntry_source(e)),
                   rd_kafka_ConfigEntry_is_default(e) != 0, rd_kafka_ConfigEntry_is_read_only(e) != 0,
                   rd_kafka_ConfigEntry_is_sensitive(e) != 0});
  }
  std::sort(out.begin(), out.end(),
            [](const config_entry& a, const config_entry& b) { return a.name < b.name; });
  return out;
}

result<std::vector<partition_offset>> admin::group_offsets(const std::string& group, deadline d) {
  rd_kafka_ListConsumerGroupOffsets_t* req = rd_kafka_ListConsumerGroupOffsets_new(group.c_str(), nullptr);
  auto ev = impl_->run("offsets of group " + group, RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPOFFSETS, d,
                       [&](rd_kafka_AdminOptions_t* opts, rd_kafka_queue_t* q) {
                         rd_kafka_ListConsumerGroupOffsets(impl_->rk(), &req, 1, opts, q);
                       });
  rd_kafka_ListConsumerGroupOffsets_destroy(req);
  if (!ev) return ev.error();
  const auto* res = rd_kafka_event_ListConsumerGroupOffsets_result(ev.value().get());
  std::size_t cnt = 0;
  const rd_kafka_group_result_t** groups = rd_kafka_ListConsumerGroupOffsets_result_groups(res, &cnt);
  if (cnt != 1) return error(errc::unknown, "offsets of group " + group + ": no result");
  if (const rd_kafka_error_t* e = rd_kafka_group_result_error(groups[0])) {
    return error(make_error_code(static_cast<errc>(rd_kafka_error_code(e))),
                 "offsets of group " + group + ": " + rd_kafka_error_string(e));
  }
  auto offsets = detail::from_list(rd_kafka_group_result_partitions(groups[0]));
  std::sort(offsets.begin(), offsets.end(), [](const partition_offset& a, const partition_offset& b) {
    return std::tie(a.topic, a.partition) < std::tie(b.topic, b.partition);
  });
  return offsets;
}

result<void> admin::create_partitions(const std::string& topic, std::int32_t total, deadline d) {
  const std::string what = "add partitions to " + topic;
  std::array<char, 256> errstr{};
  rd_kafka_NewPartitions_t* np = rd_kafka_NewPartitions_new(topic.c_str(), static_cast<std::size_t>(total),
                                                            errstr.data(), errstr.size());
  if (np == nullptr) return error(errc::invalid_arg, what + ": " + errstr.data());
  auto ev = impl_->run(what, RD_KAFKA_ADMIN_OP_CREATEPARTITIONS, d,
                       [&](rd_kafka_AdminOptions_t* opts, rd_kafka_queue_t* q) {
                         rd_kafka_CreatePartitions(impl_->rk(), &np, 1, opts, q);
                       });
  rd_kafka_NewPartitions_destroy(np);
  if (!ev) return ev.error();
  const auto* res = rd_kafka_event_CreatePartitions_result(ev.value().get());
  std::size_t n = 0;
  const auto** topics = rd_kafka_CreatePartitions_result_topics(res, &n);
  for (std::size_t i = 0; i < n; ++i) {
    if (const auto err = rd_kafka_topic_result_error(topics[i]); err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      const char* msg = rd_kafka_topic_result_error_string(topics[i]);
      return error(make_error_code(static_cast<errc>(err)),
                   what + ": " + (msg != nullptr ? msg : rd_kafka_err2str(err)));
    }
  }
  return success();
}

namespace {

group_member member_of(const rd_kafka_MemberDescription_t* m) {
  group_member out;
  out.client_id = rd_kafka_MemberDescription_client_id(m);
  out.consumer_id = rd_kafka_MemberDescription_consumer_id(m);
  out.host = rd_kafka_MemberDescription_host(m);
  if (const auto* a = rd_kafka_MemberDescription_assignment(m)) {
    out.assignment = detail::partitions_of(rd_kafka_MemberAssignment_partitions(a));
  }
  return out;
}

}  // namespace

result<group_description> admin::describe_group(const std::string& group, deadline d) {
  const std::string what = "describe group " + group;
  const char* groups[] = {group.c_str()};
  auto ev = impl_->run(what, RD_KAFKA_ADMIN_OP_DESCRIBECONSUMERGROUPS, d,
                       [&](rd_kafka_AdminOptions_t* opts, rd_kafka_queue_t* q) {
                         rd_kafka_DescribeConsumerGroups(impl_->rk(), groups, 1, opts, q);
                       });
  if (!ev) return ev.error();
  const auto* res = rd_kafka_event_DescribeConsumerGroups_result(ev.value().get());
  std::size_t n = 0;
  const auto** descs = rd_kafka_DescribeConsumerGroups_result_groups(res, &n);
  if (n != 1) return error(errc::unknown, what + ": no result");
  const auto* g = descs[0];
  group_description out;
  out.group = group;
  if (const rd_kafka_error_t* e = rd_kafka_ConsumerGroupDescription_error(g)) {
    const auto code = rd_kafka_error_code(e);
    if (code == RD_KAFKA_RESP_ERR_GROUP_ID_NOT_FOUND) {  // newer DescribeGroups versions: no such group
      out.state = "Dead";
      return out;
    }
    return error(make_error_code(static_cast<errc>(code)), what + ": " + rd_kafka_error_string(e));
  }
  out.state = rd_kafka_consumer_group_state_name(rd_kafka_ConsumerGroupDescription_state(g));
  const std::size_t members = rd_kafka_ConsumerGroupDescription_member_count(g);
  for (std::size_t i = 0; i < members; ++i) {
    out.members.push_back(member_of(rd_kafka_ConsumerGroupDescription_member(g, i)));
  }
  return out;
}

result<std::vector<partition_offset>> admin::alter_group_offsets(const std::string& group,
                                                                 std::span<const partition_offset> offsets,
                                                                 deadline d) {
  const std::string what = "commit offsets for group " + group;
  const auto list = detail::to_list(offsets);
  rd_kafka_AlterConsumerGroupOffsets_t* req =
      rd_kafka_AlterConsumerGroupOffsets_new(group.c_str(), list.get());
  auto ev = impl_->run(what, RD_KAFKA_ADMIN_OP_ALTERCONSUMERGROUPOFFSETS, d,
                       [&](rd_kafka_AdminOptions_t* opts, rd_kafka_queue_t* q) {
                         rd_kafka_AlterConsumerGroupOffsets(impl_->rk(), &req, 1, opts, q);
                       });
  rd_kafka_AlterConsumerGroupOffsets_destroy(req);
  if (!ev) return ev.error();
  const auto* res = rd_kafka_event_AlterConsumerGroupOffsets_result(ev.value().get());
  std::size_t n = 0;
  const auto** groups = rd_kafka_AlterConsumerGroupOffsets_result_groups(res, &n);
  if (n != 1) return error(errc::unknown, what + ": no result");
  if (const rd_kafka_error_t* e = rd_kafka_group_result_error(groups[0])) {
    return error(make_error_code(static_cast<errc>(rd_kafka_error_code(e))),
                 what + ": " + rd_kafka_error_string(e));
  }
  return detail::from_list(rd_kafka_group_result_partitions(groups[0]));
}

result<void> admin::delete_topics(std::span<const std::string> names, deadline d) {
  std::vector<rd_kafka_DeleteTopic_t*> dts;
  for (const auto& n : names) dts.push_back(rd_kafka_DeleteTopic_new(n.c_str()));
  auto ev = impl_->run("delete topics", RD_KAFKA_ADMIN_OP_DELETETOPICS, d,
                       [&](rd_kafka_AdminOptions_t* opts, rd_kafka_queue_t* q) {
                         rd_kafka_DeleteTopics(impl_->rk(), dts.data(), dts.size(), opts, q);
                       });
  rd_kafka_DeleteTopic_destroy_array(dts.data(), dts.size());
  if (!ev) return ev.error();
  const auto* res = rd_kafka_event_DeleteTopics_result(ev.value().get());
  std::size_t cnt = 0;
  const rd_kafka_topic_result_t** results = rd_kafka_DeleteTopics_result_topics(res, &cnt);
  for (std::size_t i = 0; i < cnt; ++i) {
    if (const auto err = rd_kafka_topic_result_error(results[i]); err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return detail::from_code(err, std::string("delete topic ") + rd_kafka_topic_result_name(results[i]));
    }
  }
  return success();
}

}  // namespace syn::kafka
