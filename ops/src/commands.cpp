// The ops subcommands: topics, replay, dlq, lag.
#include "syn/ops/commands.hpp"

#include <iostream>
#include <memory>
#include <stdexcept>

#include "syn/ops/dlq.hpp"
#include "syn/ops/lag.hpp"
#include "syn/ops/replay.hpp"

namespace syn::ops {

void register_topics(CLI::App& root, cli::dispatcher& dispatch);  // topics.cpp

namespace {

/// Runs an ops command: a bad setting found while loading (an `embedded` bootstrap) exits 2.
template <class Fn>
std::function<int()> entry(Fn fn) {
  return [fn = std::move(fn)] {
    try {
      return fn();
    } catch (const std::invalid_argument& e) {
      return fail(e.what(), cli::exit_code::bad_input);
    }
  };
}

/// Options CLI11 binds to plain variables; `count()` says whether they were given.
struct replay_cli {
  replay_options o;
  std::string to_datetime, from_datetime, issue;
  std::int64_t to_offset = 0, from_offset = 0, shift_by = 0;
  CLI::Option* to_datetime_opt = nullptr;
  CLI::Option* from_datetime_opt = nullptr;
  CLI::Option* issue_opt = nullptr;
  CLI::Option* to_offset_opt = nullptr;
  CLI::Option* from_offset_opt = nullptr;
  CLI::Option* shift_by_opt = nullptr;

  replay_options resolve() const {
    replay_options r = o;
    if (to_datetime_opt->count() > 0) r.to_datetime = to_datetime;
    if (from_datetime_opt->count() > 0) r.from_datetime = from_datetime;
    if (issue_opt->count() > 0) r.issue = issue;
    if (to_offset_opt->count() > 0) r.to_offset = to_offset;
    if (from_offset_opt->count() > 0) r.from_offset = from_offset;
    if (shift_by_opt->count() > 0) r.shift_by = shift_by;
    return r;
  }
};

void register_replay(CLI::App& root, cli::dispatcher& dispatch) {
  auto* sub = root.add_subcommand(
      "replay",
      "Rewind a consumer group's offsets (--group), or copy a range of a topic to another (--to-topic). "
      "Dry run unless --execute");
  auto c = std::make_shared<replay_cli>();
  add_common_options(sub, c->o.common);
  sub->add_option("--group", c->o.group,
                  "consumer group to rewind (its consumers must be stopped for --execute)");
  sub->add_option("--topic", c->o.topic, "topic to rewind the group on, or to copy from (required)");
  sub->add_option("--to-topic", c->o.to_topic, "copy records to this topic instead of rewinding");
  sub->add_option("--partition", c->o.partitions, "only these partitions (repeatable; default all)");
  c->to_datetime_opt =
      sub->add_option("--to-datetime", c->to_datetime,
                      "rewind: first offset at/after this time, e.g. 2024-01-30T00:00:00+08:00; "
                      "copy: end of the range (exclusive)");
  c->to_offset_opt = sub->add_option(
      "--to-offset", c->to_offset, "rewind: this offset in every selected partition; copy: end (exclusive)");
  c->shift_by_opt =
      sub->add_option("--shift-by", c->shift_by, "rewind: move by N offsets (-N re-reads N records)");
  sub->add_flag("--to-earliest", c->o.to_earliest, "rewind: to the start of the log");
  sub->add_flag("--to-latest", c->o.to_latest, "rewind: to the end (skips everything not yet read)");
  c->issue_opt = sub->add_option("--issue", c->issue,
                                 "rewind: to the issue's first record in its partition (others unchanged); "
                                 "copy: only this issue's records");
  c->from_datetime_opt =
      sub->add_option("--from-datetime", c->from_datetime, "copy: start of the range (inclusive)");
  c->from_offset_opt = sub->add_option("--from-offset", c->from_offset, "copy: first offset (inclusive)");
  sub->add_flag("--execute", c->o.execute, "apply: commit the offsets, or copy the records");
  dispatch.on(sub, entry([c] { return run_replay(c->resolve(), std::cout); }));
}

void register_dlq(CLI::App& root, cli::dispatcher& dispatch) {
  auto* dlq = root.add_subcommand("dlq", "Inspect and redrive dead letters");
  dlq->require_subcommand(1);

  auto filters = [](CLI::App* sub, dlq_options& o) {
    add_common_options(sub, o.common);
    sub->add_option("--dlq-topic", o.dlq_topic, "dead-letter topic (default: kafka.topics.deadletter)");
    sub->add_option("--group", o.filter.groups, "only dead letters of this consumer group (repeatable)");
    sub->add_option("--reason", o.reason_names, "only this reason, e.g. DECODE_FAILED (repeatable)");
    sub->add_option("--topic", o.filter.topics, "only records from this original topic (repeatable)");
  };

  auto list_o = std::make_shared<dlq_options>();
  auto* list = dlq->add_subcommand("list", "List pending dead letters (the latest per id), oldest first");
  filters(list, *list_o);
  list->add_option("--limit", list_o->limit, "show only the latest N");
  list->add_flag("--all", list_o->all, "redriven (resolved) dead letters too, with their state");
  dispatch.on(list, entry([list_o] { return run_dlq_list(*list_o, std::cout); }));

  auto show_o = std::make_shared<dlq_options>();
  auto* show = dlq->add_subcommand("show", "Show one dead letter, its original value decoded");
  add_common_options(show, show_o->common);
  show->add_option("--dlq-topic", show_o->dlq_topic, "dead-letter topic (default: kafka.topics.deadletter)");
  show->add_option("id", show_o->id, "dead letter id (<topic>-<partition>-<offset>-<group>)");
  dispatch.on(show, entry([show_o] { return run_dlq_show(*show_o, std::cout); }));

  auto redrive_o = std::make_shared<dlq_options>();
  auto* redrive = dlq->add_subcommand(
      "redrive",
      "Send dead letters back to their original topics (dry run unless --execute; safe to repeat)");
  filters(redrive, *redrive_o);
  redrive->add_option("--id", redrive_o->filter.ids, "this dead letter (repeatable)");
  redrive->add_option("--reason-pattern", redrive_o->reason_pattern,
                      "regular expression searched in `REASON: error`");
  redrive->add_flag("--all", redrive_o->all, "every dead letter");
  redrive->add_flag("--again", redrive_o->again,
                    "send already redriven dead letters again too (default: skip them)");
  redrive->add_flag("--execute", redrive_o->execute, "send them (default: show what would be sent)");
  dispatch.on(redrive, entry([redrive_o] { return run_dlq_redrive(*redrive_o, std::cout); }));
}

void register_lag(CLI::App& root, cli::dispatcher& dispatch) {
  auto* sub =
      root.add_subcommand("lag", "Consumer group lag per partition: committed offset, end offset, lag");
  auto o = std::make_shared<lag_options>();
  add_common_options(sub, o->common);
  sub->add_option("--group", o->groups, "consumer group (repeatable; default: the four configured groups)");
  sub->add_option("--topic", o->topics, "only these topics, every partition (repeatable)");
  dispatch.on(sub, entry([o] { return run_lag(*o, std::cout); }));
}

}  // namespace

void register_commands(CLI::App& root, cli::dispatcher& dispatch) {
  register_topics(root, dispatch);
  register_replay(root, dispatch);
  register_dlq(root, dispatch);
  register_lag(root, dispatch);
}

}  // namespace syn::ops
