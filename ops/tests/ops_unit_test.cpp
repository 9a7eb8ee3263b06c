// Unit tests of the ops commands: no broker. Date-time parsing, tables, option validation,
// rewind planning, dead-letter filtering/rendering/redrive records, lag rendering, and the CLI's
// exit codes for bad options.
#include <google/protobuf/util/time_util.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "syn/core/kafka/types.hpp"
#include "syn/ops/commands.hpp"
#include "syn/ops/datetime.hpp"
#include "syn/ops/dlq.hpp"
#include "syn/ops/lag.hpp"
#include "syn/ops/replay.hpp"
#include "syn/ops/table.hpp"
#include "syndication/v1/article.pb.h"

namespace syn::ops {
namespace {

using syndication::v1::DeadLetter;

// ---------------------------------------------------------------------------------------------
// Date-times

std::optional<std::int64_t> parse(std::string_view s) {
  std::string err;
  return parse_datetime(s, err);
}

std::string parse_error(std::string_view s) {
  std::string err;
  EXPECT_FALSE(parse_datetime(s, err).has_value()) << s;
  return err;
}

TEST(Datetime, OffsetPlusEightIsSixteenHundredUtcTheDayBefore) {
  EXPECT_EQ(parse("2024-01-30T00:00:00+08:00"), 1706544000000);
  EXPECT_EQ(parse("2024-01-29T16:00:00Z"), 1706544000000);
  EXPECT_EQ(parse("2024-01-29T16:00:00z"), 1706544000000);
  EXPECT_EQ(parse("2024-01-30T00:00:00+0800"), 1706544000000);
  EXPECT_EQ(parse("2024-01-30T00:00:00+08"), 1706544000000);
  EXPECT_EQ(parse("2024-01-30 00:00:00+08:00"), 1706544000000);
  EXPECT_EQ(parse("2024-01-30T00:00+08:00"), 1706544000000);
}

TEST(Datetime, NegativeOffsetsAndHalfHourOffsets) {
  EXPECT_EQ(parse("2024-01-29T11:00:00-05:00"), 1706544000000);
  EXPECT_EQ(parse("2024-01-29T21:30:00+05:30"), 1706544000000);
}

TEST(Datetime, FractionalSecondsKeepMilliseconds) {
  EXPECT_EQ(parse("2024-01-29T16:00:00.5Z"), 1706544000500);
  EXPECT_EQ(parse("2024-01-29T16:00:00.123456Z"), 1706544000123);
  EXPECT_FALSE(parse("2024-01-29T16:00:00.Z"));
}

TEST(Datetime, LeapDaysAndMonthLengths) {
  EXPECT_EQ(parse("2024-02-29T12:30:15Z"), 1709209815000);
  EXPECT_NE(parse_error("2023-02-29T00:00:00Z").find("no such date"), std::string::npos);
  EXPECT_NE(parse_error("1900-02-29T00:00:00Z").find("no such date"), std::string::npos);
  EXPECT_TRUE(parse("2000-02-29T00:00:00Z"));
  EXPECT_FALSE(parse("2024-04-31T00:00:00Z"));
  EXPECT_FALSE(parse("2024-13-01T00:00:00Z"));
  EXPECT_FALSE(parse("2024-00-01T00:00:00Z"));
}

TEST(Datetime, RejectsImpossibleTimes) {
  EXPECT_NE(parse_error("2024-01-30T24:00:00Z").find("no such time"), std::string::npos);
  EXPECT_FALSE(parse("2024-01-30T23:60:00Z"));
  EXPECT_FALSE(parse("2024-01-30T23:59:60Z"));
  EXPECT_FALSE(parse("2024-01-30T00:00:00+24:00"));
  EXPECT_FALSE(parse("2024-01-30T00:00:00+08:60"));
}

TEST(Datetime, AnOffsetIsRequired) {
  EXPECT_NE(parse_error("2024-01-30T00:00:00").find("no UTC offset"), std::string::npos);
  EXPECT_NE(parse_error("2024-01-30").find("no time and UTC offset"), std::string::npos);
}

TEST(Datetime, GarbageSaysWhatWasExpected) {
  const auto err = parse_error("yesterday");
  EXPECT_NE(err.find("`yesterday`"), std::string::npos) << err;
  EXPECT_NE(err.find("2024-01-30T00:00:00+08:00"), std::string::npos) << err;
  EXPECT_FALSE(parse(""));
  EXPECT_FALSE(parse("2024-1-30T00:00:00Z"));
  EXPECT_FALSE(parse("2024-01-30T00:00:00+08:00 extra"));
  EXPECT_FALSE(parse("2024-01-30T00:00:00+08:"));
  EXPECT_FALSE(parse("2024-01-30T00:00:00+8"));
  EXPECT_FALSE(parse("2024-01-30T00:00:00 +08:00"));
}

TEST(Datetime, FormatUtcRoundTrips) {
  EXPECT_EQ(format_utc(1706544000000), "2024-01-29T16:00:00.000Z");
  EXPECT_EQ(format_utc(1709209815123), "2024-02-29T12:30:15.123Z");
  EXPECT_EQ(format_utc(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(format_utc(-1000), "1969-12-31T23:59:59.000Z");
  EXPECT_EQ(format_utc(-1), "1969-12-31T23:59:59.999Z");
  for (std::int64_t ms : {0LL, 951782400000LL, 1706544000123LL, 4102444799999LL}) {
    EXPECT_EQ(parse(format_utc(ms)), ms) << ms;
  }
}

// ---------------------------------------------------------------------------------------------
// Tables and text

TEST(Table, PadsByDisplayWidthAndAlignsNumbersRight) {
  table t({{"ID", table::align::left}, {"N", table::align::right}, {"TEXT", table::align::left}});
  t.add({"a", "5", "昌吉日报"});
  t.add({"longer-id", "12345", "x"});
  EXPECT_EQ(t.render(),
            "ID             N  TEXT\n"
            "a              5  昌吉日报\n"
            "longer-id  12345  x\n");
}

TEST(Table, NoTrailingSpacesAndMissingCellsAreEmpty) {
  table t({{"A", table::align::left}, {"B", table::align::left}});
  t.add({"x"});
  t.add({"long", "y", "dropped"});
  EXPECT_EQ(t.render(), "A     B\nx\nlong  y\n");
  EXPECT_EQ(t.size(), 2U);
}

TEST(Table, CjkTextIsTwoCellsWide) {
  EXPECT_EQ(display_width("abc"), 3U);
  EXPECT_EQ(display_width("昌吉日报"), 8U);
  EXPECT_EQ(display_width("ＡＢ"), 4U);      // fullwidth forms
  EXPECT_EQ(display_width("e\u0301"), 1U);   // combining acute
  EXPECT_EQ(display_width("\xff\xfe"), 2U);  // invalid bytes count one each
}

TEST(Table, TruncateNeverSplitsACharacter) {
  EXPECT_EQ(truncate_cells("short", 10), "short");
  EXPECT_EQ(truncate_cells("abcdefghij", 5), "abcd…");
  EXPECT_EQ(truncate_cells("中国式现代化", 5), "中国…");
  EXPECT_EQ(display_width(truncate_cells("中国式现代化", 6)), 5U);
  EXPECT_EQ(truncate_cells("line one\nline two", 100), "line one line two");
  EXPECT_EQ(truncate_cells("abc", 0), "");
}

TEST(Table, PrintableUtf8) {
  EXPECT_TRUE(is_printable_utf8("cjrb-20240130-01-03"));
  EXPECT_TRUE(is_printable_utf8("本报讯\n"));
  EXPECT_FALSE(is_printable_utf8(std::string("\x08\x01", 2)));
  EXPECT_FALSE(is_printable_utf8("\xe4\xb8"));      // truncated sequence
  EXPECT_FALSE(is_printable_utf8("\xc0\xaf"));      // overlong
  EXPECT_FALSE(is_printable_utf8("\xed\xa0\x80"));  // surrogate
}

TEST(Table, HexDumpIsXxdLike) {
  const std::string bytes = "\x0a\x05hello world, 0123456789";
  const auto dump = hex_dump(bytes, 20);
  EXPECT_EQ(dump,
            "00000000: 0a05 6865 6c6c 6f20 776f 726c 642c 2030  ..hello world, 0\n"
            "00000010: 3132 3334                                1234\n"
            "... 5 more bytes\n");
  EXPECT_EQ(hex_dump("", 10), "");
}

// ---------------------------------------------------------------------------------------------
// replay: option validation

replay_options rewind(std::string group = "g") {
  replay_options o;
  o.topic = "news.articles.v1";
  o.group = std::move(group);
  return o;
}

TEST(ReplayOptions, RewindNeedsExactlyOneTarget) {
  auto o = rewind();
  EXPECT_NE(validate(o).find("say where to rewind to"), std::string::npos);
  o.to_offset = 5;
  EXPECT_EQ(validate(o), "");
  o.to_earliest = true;
  EXPECT_NE(validate(o).find("only one of"), std::string::npos);
}

TEST(ReplayOptions, EachTargetAloneIsValid) {
  for (int i = 0; i < 6; ++i) {
    auto o = rewind();
    switch (i) {
      case 0:
        o.to_datetime = "2024-01-30T00:00:00+08:00";
        break;
      case 1:
        o.to_offset = 0;
        break;
      case 2:
        o.shift_by = -10;
        break;
      case 3:
        o.to_earliest = true;
        break;
      case 4:
        o.to_latest = true;
        break;
      case 5:
        o.issue = "cjrb-20240130";
        break;
    }
    EXPECT_EQ(validate(o), "") << i;
  }
}

TEST(ReplayOptions, RewindNeedsGroupAndTopic) {
  auto o = rewind("");
  o.to_latest = true;
  EXPECT_NE(validate(o).find("--group is required"), std::string::npos);
  o = rewind();
  o.topic.clear();
  o.to_latest = true;
  EXPECT_EQ(validate(o), "--topic is required");
}

TEST(ReplayOptions, BadDatetimeIsReportedWithTheOption) {
  auto o = rewind();
  o.to_datetime = "2024-01-30";
  EXPECT_EQ(validate(o).rfind("--to-datetime: ", 0), 0U) << validate(o);
}

TEST(ReplayOptions, NegativeOffsetsAndPartitionsAreRejected) {
  auto o = rewind();
  o.to_offset = -1;
  EXPECT_EQ(validate(o), "--to-offset must be >= 0");
  o = rewind();
  o.to_latest = true;
  o.partitions = {0, -2};
  EXPECT_EQ(validate(o), "--partition must be >= 0");
}

TEST(ReplayOptions, IssuePicksItsOwnPartition) {
  auto o = rewind();
  o.issue = "cjrb-20240130";
  o.partitions = {1};
  EXPECT_NE(validate(o).find("drop --partition"), std::string::npos);
}

TEST(ReplayOptions, FromBoundsOnlyWithCopy) {
  auto o = rewind();
  o.to_latest = true;
  o.from_offset = 3;
  EXPECT_NE(validate(o).find("only go with --to-topic"), std::string::npos);
}

TEST(ReplayOptions, CopyRules) {
  replay_options o;
  o.topic = "a";
  o.to_topic = "a";
  o.from_offset = 0;
  EXPECT_EQ(validate(o), "--to-topic must differ from --topic");
  o.to_topic = "b";
  EXPECT_EQ(validate(o), "");
  o.group = "g";
  EXPECT_NE(validate(o).find("--group has no meaning"), std::string::npos);
  o.group.clear();
  o.from_offset.reset();
  EXPECT_NE(validate(o).find("say what to copy"), std::string::npos);
  o.issue = "cjrb-20240130";
  EXPECT_EQ(validate(o), "");
  o.shift_by = 1;
  EXPECT_NE(validate(o).find("rewind a group"), std::string::npos);
  o.shift_by.reset();
  o.from_offset = 9;
  o.to_offset = 3;
  EXPECT_EQ(validate(o), "--from-offset is after --to-offset");
  o.from_offset.reset();
  o.to_offset.reset();
  o.from_datetime = "2024-01-31T00:00:00+08:00";
  o.to_datetime = "2024-01-30T00:00:00+08:00";
  EXPECT_EQ(validate(o), "--from-datetime is after --to-datetime");
  o.from_offset = 1;
  EXPECT_EQ(validate(o), "give --from-offset or --from-datetime, not both");
}

// ---------------------------------------------------------------------------------------------
// replay: planning

std::vector<partition_state> three_partitions() {
  // partition 0: committed 40 of [10, 50); 1: nothing committed, [0, 20); 2: committed 7 of [0, 7)
  return {{0, 10, 50, 40, std::nullopt},
          {1, 0, 20, kafka::offset_invalid, std::nullopt},
          {2, 0, 7, 7, std::nullopt}};
}

TEST(ReplayPlan, ToOffsetIsClampedToTheLog) {
  const auto rows = plan_rewind(rewind_kind::to_offset, 5, three_partitions());
  ASSERT_EQ(rows.size(), 3U);
  EXPECT_EQ(rows[0].target, 10);  // below the log start
  EXPECT_EQ(rows[0].redelivered, 30);
  EXPECT_EQ(rows[1].target, 5);
  EXPECT_EQ(rows[1].current, kafka::offset_invalid);
  EXPECT_EQ(rows[1].redelivered, -5);  // no commit: reads from 0 now, would skip 0..4
  EXPECT_EQ(rows[2].target, 5);
  EXPECT_EQ(rows[2].redelivered, 2);
}

TEST(ReplayPlan, ShiftByMovesFromTheCommittedOffsetOrTheLogStart) {
  const auto rows = plan_rewind(rewind_kind::shift_by, -15, three_partitions());
  EXPECT_EQ(rows[0].target, 25);
  EXPECT_EQ(rows[0].redelivered, 15);
  EXPECT_EQ(rows[1].target, 0);
  EXPECT_EQ(rows[1].redelivered, 0);
  EXPECT_EQ(rows[2].target, 0);
  EXPECT_EQ(rows[2].redelivered, 7);
  const auto fwd = plan_rewind(rewind_kind::shift_by, 100, three_partitions());
  EXPECT_EQ(fwd[0].target, 50);
  EXPECT_EQ(fwd[0].redelivered, -10);
}

TEST(ReplayPlan, EarliestAndLatest) {
  const auto e = plan_rewind(rewind_kind::to_earliest, 0, three_partitions());
  EXPECT_EQ(e[0].target, 10);
  EXPECT_EQ(e[2].target, 0);
  const auto l = plan_rewind(rewind_kind::to_latest, 0, three_partitions());
  EXPECT_EQ(l[0].target, 50);
  EXPECT_EQ(l[1].target, 20);
  EXPECT_FALSE(l[2].changes());
}

TEST(ReplayPlan, DatetimeWithNoRecordThatRecentGoesToTheEnd) {
  auto parts = three_partitions();
  parts[0].found = 42;
  parts[1].found = -1;
  parts[2].found = 3;
  const auto rows = plan_rewind(rewind_kind::to_datetime, 0, parts);
  EXPECT_EQ(rows[0].target, 42);
  EXPECT_EQ(rows[1].target, 20);
  EXPECT_EQ(rows[2].target, 3);
}

TEST(ReplayPlan, IssueLeavesOtherPartitionsAsTheyAre) {
  auto parts = three_partitions();
  parts[2].found = 4;
  const auto rows = plan_rewind(rewind_kind::issue, 0, parts);
  EXPECT_FALSE(rows[0].changes());
  EXPECT_FALSE(rows[1].changes());
  EXPECT_TRUE(rows[2].changes());
  EXPECT_EQ(rows[2].target, 4);
  EXPECT_EQ(rows[2].redelivered, 3);
}

TEST(ReplayPlan, TableAndJson) {
  auto parts = three_partitions();
  parts[2].found = 4;
  const auto rows = plan_rewind(rewind_kind::issue, 0, parts);
  EXPECT_EQ(render_plan(rows),
            "PARTITION  CURRENT  NEW  REDELIVERED\n"
            "        0       40   40  (unchanged)\n"
            "        1        -    -  (unchanged)\n"
            "        2        7    4            3\n");
  const auto j = plan_json(rows);
  EXPECT_TRUE(j[1]["current"].is_null());
  EXPECT_EQ(j[2]["new"], 4);
  EXPECT_EQ(j[2]["redelivered"], 3);
  EXPECT_EQ(j[2]["changes"], true);
  const auto skip = plan_rewind(rewind_kind::to_latest, 0, three_partitions());
  EXPECT_NE(render_plan(skip).find("-10 (skipped)"), std::string::npos) << render_plan(skip);
}

// ---------------------------------------------------------------------------------------------
// dlq

dlq_entry letter(const std::string& topic, int partition, long offset, const std::string& group,
                 DeadLetter::Reason reason, const std::string& error, std::int64_t last_ms = 1706544000000) {
  dlq_entry e;
  auto& d = e.letter;
  d.set_id(topic + "-" + std::to_string(partition) + "-" + std::to_string(offset) + "-" + group);
  d.set_topic(topic);
  d.set_partition(partition);
  d.set_offset(offset);
  d.set_consumer_group(group);
  d.set_reason(reason);
  d.set_error(error);
  d.set_attempts(3);
  *d.mutable_last_failure_time() = google::protobuf::util::TimeUtil::MillisecondsToTimestamp(last_ms);
  return e;
}

TEST(Dlq, ReasonNamesParseInAnyCase) {
  EXPECT_EQ(parse_reason("DECODE_FAILED"), DeadLetter::DECODE_FAILED);
  EXPECT_EQ(parse_reason("sink_rejected"), DeadLetter::SINK_REJECTED);
  EXPECT_FALSE(parse_reason("bogus"));
}

TEST(Dlq, FilterIsAndAcrossCriteriaOrWithin) {
  const auto a =
      letter("news.articles.v1", 0, 5, "syndicate-archive", DeadLetter::SINK_REJECTED, "disk full");
  const auto b =
      letter("news.issues.v1", 1, 9, "syndicate-feed", DeadLetter::WRONG_SCHEMA, "no `schema` header");
  dlq_filter f;
  EXPECT_TRUE(f.matches(a));
  f.groups = {"syndicate-feed", "syndicate-archive"};
  EXPECT_TRUE(f.matches(a));
  EXPECT_TRUE(f.matches(b));
  f.topics = {"news.issues.v1"};
  EXPECT_FALSE(f.matches(a));
  EXPECT_TRUE(f.matches(b));
  f = {};
  f.reason_pattern.emplace("SINK_.*full");
  EXPECT_TRUE(f.matches(a));
  EXPECT_FALSE(f.matches(b));
  f = {};
  f.ids = {b.letter.id()};
  EXPECT_FALSE(f.matches(a));
  EXPECT_TRUE(f.matches(b));
  f = {};
  f.reasons = {DeadLetter::WRONG_SCHEMA};
  EXPECT_TRUE(f.matches(b));
}

TEST(Dlq, LatestPerIdKeepsTheLastOccurrence) {
  auto first = letter("t", 0, 1, "g", DeadLetter::SINK_REJECTED, "first");
  auto other = letter("t", 0, 2, "g", DeadLetter::SINK_REJECTED, "other");
  auto again = letter("t", 0, 1, "g", DeadLetter::RETRIES_EXHAUSTED, "again");
  const auto out = latest_per_id({first, other, again});
  ASSERT_EQ(out.size(), 2U);
  EXPECT_EQ(out[0].letter.error(), "other");
  EXPECT_EQ(out[1].letter.error(), "again");
}

dlq_resolution resolution_of(const dlq_entry& e, std::int32_t partition, std::int64_t offset,
                             std::int64_t at_ms) {
  dlq_resolution r;
  r.resolution.set_dead_letter_id(e.letter.id());
  *r.resolution.mutable_resolve_time() = google::protobuf::util::TimeUtil::MillisecondsToTimestamp(at_ms);
  r.resolution.set_resolved_by("syndicate dlq redrive (ops@host1)");
  r.resolution.set_redriven_topic(e.letter.topic());
  r.resolution.set_redriven_partition(e.letter.partition());
  r.resolution.set_redriven_offset(42);
  r.dlq_partition = partition;
  r.dlq_offset = offset;
  return r;
}

TEST(Dlq, AResolutionLaterInThePartitionResolvesTheLetter) {
  auto a = letter("t", 0, 1, "g", DeadLetter::SINK_REJECTED, "a");
  a.dlq_partition = 0;
  a.dlq_offset = 10;
  auto b = letter("t", 0, 2, "g", DeadLetter::SINK_REJECTED, "b");
  b.dlq_partition = 0;
  b.dlq_offset = 11;
  std::vector<dlq_entry> entries{a, b};
  // A resolution for a, after it: a is redriven, b (no resolution) pending.
  apply_resolutions(entries, {resolution_of(a, 0, 12, 1706544001000)});
  EXPECT_TRUE(entries[0].resolved());
  EXPECT_EQ(state_name(entries[0]), "redriven");
  EXPECT_EQ(entries[0].resolution->redriven_offset(), 42);
  EXPECT_FALSE(entries[1].resolved());
  EXPECT_EQ(state_name(entries[1]), "pending");
  // A resolution before the letter (the record was dead-lettered again after a redrive): pending.
  apply_resolutions(entries, {resolution_of(a, 0, 9, 1706544001000)});
  EXPECT_FALSE(entries[0].resolved());
  // In another DLQ partition (repartitioned topic): by time against the last failure.
  apply_resolutions(entries, {resolution_of(a, 1, 0, 1706543999000)});
  EXPECT_FALSE(entries[0].resolved());
  apply_resolutions(entries, {resolution_of(a, 1, 0, 1706544000000)});
  EXPECT_TRUE(entries[0].resolved());
}

TEST(Dlq, StateIsListedShownAndInJson) {
  auto e = letter("news.articles.v1", 2, 17, "syndicate-feed", DeadLetter::SINK_REJECTED, "40164");
  e.dlq_offset = 3;
  auto pending = render_dlq_list({e});
  EXPECT_NE(pending.find("STATE"), std::string::npos) << pending;
  EXPECT_NE(pending.find("pending"), std::string::npos) << pending;
  EXPECT_EQ(dlq_entry_json(e)["state"], "pending");
  EXPECT_TRUE(dlq_entry_json(e)["resolution"].is_null());
  EXPECT_NE(render_dlq_show(e).find("state           pending"), std::string::npos) << render_dlq_show(e);

  std::vector<dlq_entry> v{e};
  apply_resolutions(v, {resolution_of(e, 0, 4, 1706547600000)});
  const auto text = render_dlq_list(v);
  EXPECT_NE(text.find("redriven 2024-01-29T17:00:00Z"), std::string::npos) << text;
  const auto j = dlq_entry_json(v[0]);
  EXPECT_EQ(j["state"], "redriven");
  EXPECT_EQ(j["resolution"]["resolveTime"], "2024-01-29T17:00:00Z");
  EXPECT_EQ(j["resolution"]["resolvedBy"], "syndicate dlq redrive (ops@host1)");
  EXPECT_EQ(j["resolution"]["redrivenTo"], "news.articles.v1/2/42");
  const auto show = render_dlq_show(v[0]);
  EXPECT_NE(show.find("state           redriven\n"), std::string::npos) << show;
  EXPECT_NE(show.find("redriven        2024-01-29T17:00:00Z by syndicate dlq redrive (ops@host1) to "
                      "news.articles.v1/2/42"),
            std::string::npos)
      << show;
}

TEST(Dlq, SchemasNameTheTwoRecordKinds) {
  EXPECT_EQ(dead_letter_schema(), "syndication.v1.DeadLetter");
  EXPECT_EQ(resolution_schema(), "syndication.v1.DeadLetterResolution");
}

TEST(Dlq, ListTableTruncatesLongErrors) {
  const auto e = letter("news.articles.v1", 2, 17, "syndicate-feed", DeadLetter::RETRIES_EXHAUSTED,
                        "WeChat errcode 45009: reach max api daily quota limit, and then some more words");
  const auto text = render_dlq_list({e}, 20);
  EXPECT_NE(text.find("ID"), std::string::npos);
  EXPECT_NE(text.find("news.articles.v1-2-17-syndicate-feed"), std::string::npos);
  EXPECT_NE(text.find("RETRIES_EXHAUSTED"), std::string::npos);
  EXPECT_NE(text.find("news.articles.v1/2/17"), std::string::npos);
  EXPECT_NE(text.find("2024-01-29T16:00:00Z"), std::string::npos);
  EXPECT_NE(text.find("WeChat errcode 4500…"), std::string::npos) << text;
  EXPECT_EQ(text.find("some more words"), std::string::npos);
  const auto j = dlq_entry_json(e);
  EXPECT_EQ(j["reason"], "RETRIES_EXHAUSTED");
  EXPECT_EQ(j["consumerGroup"], "syndicate-feed");
  EXPECT_EQ(j["offset"], 17);
}

TEST(Dlq, ShowDecodesAnArticleByItsSchemaHeader) {
  auto e =
      letter("news.articles.v1", 0, 3, "syndicate-archive", DeadLetter::VALIDATION_FAILED, "headline empty");
  syndication::v1::Article a;
  a.set_id("cjrb-20240130-01-03");
  a.set_issue_id("cjrb-20240130");
  a.set_headline("昌吉州召开安全生产工作会议");
  e.letter.set_value(a.SerializeAsString());
  e.letter.set_key("cjrb-20240130-01-03");
  auto* h = e.letter.add_headers();
  h->set_key("schema");
  h->set_value("syndication.v1.Article");
  const auto text = render_dlq_show(e);
  EXPECT_NE(text.find("value           syndication.v1.Article"), std::string::npos) << text;
  EXPECT_NE(text.find("\"headline\": \"昌吉州召开安全生产工作会议\""), std::string::npos) << text;
  EXPECT_NE(text.find("\"issueId\": \"cjrb-20240130\""), std::string::npos) << text;
  EXPECT_NE(text.find("key             cjrb-20240130-01-03"), std::string::npos) << text;
  const auto j = dlq_show_json(e);
  EXPECT_EQ(j["value"]["headline"], "昌吉州召开安全生产工作会议");
  EXPECT_EQ(j["valueSchema"], "syndication.v1.Article");
}

TEST(Dlq, ShowFallsBackToAHexDump) {
  auto e = letter("news.articles.v1", 0, 3, "g", DeadLetter::DECODE_FAILED, "bad bytes");
  e.letter.set_value(std::string("\xff\xff\xff\x01", 4));
  auto* h = e.letter.add_headers();
  h->set_key("schema");
  h->set_value("syndication.v1.Article");
  auto text = render_dlq_show(e);
  EXPECT_NE(text.find("not decoded (the value is not a valid syndication.v1.Article)"), std::string::npos)
      << text;
  EXPECT_NE(text.find("00000000: ffff ff01"), std::string::npos) << text;
  e.letter.clear_headers();
  text = render_dlq_show(e);
  EXPECT_NE(text.find("not decoded (no `schema` header)"), std::string::npos) << text;
  EXPECT_TRUE(dlq_show_json(e)["value"].is_null());
}

TEST(Dlq, RedriveKeepsKeyValueHeadersAndAddsRedrivenFrom) {
  auto e = letter("news.articles.v1", 1, 8, "syndicate-feed", DeadLetter::SINK_REJECTED, "x");
  auto& d = e.letter;
  d.set_key("cjrb-20240130-01-03");
  d.set_value(std::string("\x0a\x00\x01", 3));
  for (auto [k, v] :
       std::vector<std::pair<std::string, std::string>>{{"content-type", "application/x-protobuf"},
                                                        {"schema", "syndication.v1.Article"},
                                                        {"redriven-from", "older-id"},
                                                        {"issue-id", "cjrb-20240130"},
                                                        {"language", "zh-Hans"}}) {
    auto* h = d.add_headers();
    h->set_key(k);
    h->set_value(v);
  }
  const auto r = make_redrive(d);
  EXPECT_EQ(r.topic, "news.articles.v1");
  EXPECT_EQ(r.key, "cjrb-20240130-01-03");
  EXPECT_EQ(r.value, std::string("\x0a\x00\x01", 3));
  const std::vector<std::pair<std::string, std::string>> want{{"content-type", "application/x-protobuf"},
                                                              {"schema", "syndication.v1.Article"},
                                                              {"issue-id", "cjrb-20240130"},
                                                              {"language", "zh-Hans"},
                                                              {"redriven-from", d.id()}};
  EXPECT_EQ(r.headers, want);
  EXPECT_EQ(r.partition_key, "cjrb-20240130");
}

TEST(Dlq, TruncatedValueIsMarkedShownWithItsSizeAndRefusedByRedrive) {
  auto e = letter("news.articles.v1", 0, 7, "syndicate-translation", DeadLetter::TOO_LARGE,
                  "value of 9437184 bytes is over the limit");
  syndication::v1::Article a;
  a.set_id("cjrb-20240130-01-07");
  a.set_headline("昌吉州召开安全生产工作会议");
  const std::string whole = a.SerializeAsString();
  // The head of a message that still parses (cut after the first field): never shown as decoded.
  const std::string head = whole.substr(0, 2 + a.id().size());
  ASSERT_TRUE(syndication::v1::Article().ParseFromString(head));
  e.letter.set_value(head);
  e.letter.set_original_value_size(9437184);
  auto* h = e.letter.add_headers();
  h->set_key("schema");
  h->set_value("syndication.v1.Article");

  const auto list = render_dlq_list({e}, 40);
  EXPECT_NE(list.find("[value truncated] value of 9437184"), std::string::npos) << list;
  auto j = dlq_entry_json(e);
  EXPECT_EQ(j["valueTruncated"], true);
  EXPECT_EQ(j["originalValueSize"], 9437184);

  const auto show = render_dlq_show(e);
  const std::string kept =
      "TRUNCATED: the dead letter keeps the first " + std::to_string(head.size()) + " of 9437184 bytes";
  EXPECT_NE(show.find("value           " + kept), std::string::npos) << show;
  EXPECT_NE(show.find("dlq redrive refuses it"), std::string::npos) << show;
  EXPECT_EQ(show.find("\"id\": \"cjrb-20240130-01-07\""), std::string::npos) << show;
  EXPECT_NE(show.find("00000000: 0a13"), std::string::npos) << show;
  j = dlq_show_json(e);
  EXPECT_TRUE(j["value"].is_null());
  EXPECT_EQ(j["valueNotDecoded"], "the value is truncated");
  EXPECT_EQ(j["valueBytes"], head.size());
  EXPECT_NE(j["redriveRefused"].get<std::string>().find("publish the source again"), std::string::npos);

  EXPECT_TRUE(value_truncated(e.letter));
  const auto why = redrive_refusal(e.letter);
  EXPECT_NE(why.find("value truncated (the dead letter keeps the first " + std::to_string(head.size()) +
                     " of 9437184 bytes)"),
            std::string::npos)
      << why;

  // A complete value: no mark, decoded, redrivable.
  e.letter.set_value(whole);
  e.letter.set_original_value_size(0);
  EXPECT_FALSE(value_truncated(e.letter));
  EXPECT_EQ(redrive_refusal(e.letter), "");
  EXPECT_EQ(render_dlq_list({e}, 40).find("[value truncated]"), std::string::npos);
  EXPECT_EQ(dlq_entry_json(e)["valueTruncated"], false);
  EXPECT_TRUE(dlq_entry_json(e)["originalValueSize"].is_null());
  EXPECT_NE(render_dlq_show(e).find("\"headline\": \"昌吉州召开安全生产工作会议\""), std::string::npos);
  EXPECT_FALSE(dlq_show_json(e).contains("redriveRefused"));
}

TEST(Dlq, RedriveNeedsASelection) {
  dlq_options o;
  EXPECT_NE(validate_dlq("redrive", o).find("say which dead letters"), std::string::npos);
  o.all = true;
  EXPECT_EQ(validate_dlq("redrive", o), "");
  o.filter.groups = {"g"};
  EXPECT_NE(validate_dlq("redrive", o).find("--all redrives every"), std::string::npos);
  o.all = false;
  EXPECT_EQ(validate_dlq("redrive", o), "");
  o.reason_pattern = "([";
  EXPECT_NE(validate_dlq("redrive", o).find("--reason-pattern: not a regular expression"), std::string::npos);
  o.reason_pattern.clear();
  o.reason_names = {"nope"};
  const auto err = validate_dlq("list", o);
  EXPECT_NE(err.find("unknown reason `nope`"), std::string::npos);
  EXPECT_NE(err.find("DECODE_FAILED"), std::string::npos) << err;
  o.reason_names = {"too_large"};
  EXPECT_EQ(validate_dlq("list", o), "");
  EXPECT_EQ(o.filter.reasons, std::vector<DeadLetter::Reason>{DeadLetter::TOO_LARGE});
  dlq_options s;
  EXPECT_NE(validate_dlq("show", s).find("needs the dead letter id"), std::string::npos);
}

// ---------------------------------------------------------------------------------------------
// lag

TEST(Lag, TableShowsDashesForGroupsWithoutCommitsAndTotals) {
  group_lag feed{"syndicate-feed",
                 "Stable",
                 2,
                 {{"news.articles.v1", 0, 8, 10}, {"news.articles.v1", 1, std::nullopt, 4}}};
  group_lag archive{"syndicate-archive", "Empty", 0, {}};
  group_lag gone{"old", "Empty", 0, {{"deleted.topic", 0, 3, -1}}};
  EXPECT_EQ(feed.total(), 2);
  EXPECT_FALSE(archive.total());
  EXPECT_FALSE(gone.total());
  EXPECT_EQ(render_lag({feed, archive}),
            "GROUP              STATE       TOPIC             PARTITION  COMMITTED  END  LAG\n"
            "syndicate-feed     Stable (2)  news.articles.v1          0          8   10    2\n"
            "syndicate-feed     Stable (2)  news.articles.v1          1          -    4    -\n"
            "syndicate-feed                 total                                          2\n"
            "syndicate-archive  Empty       -                         -          -    -    -\n");
  const auto j = lag_json({feed, archive});
  EXPECT_EQ(j["groups"][0]["totalLag"], 2);
  EXPECT_EQ(j["groups"][0]["partitions"][0]["lag"], 2);
  EXPECT_TRUE(j["groups"][0]["partitions"][1]["committed"].is_null());
  EXPECT_TRUE(j["groups"][1]["totalLag"].is_null());
  EXPECT_EQ(j["groups"][1]["partitions"].size(), 0U);
}

TEST(Lag, CommittedPastTheEndIsNoLag) {
  const lag_row r{"t", 0, 12, 10};
  EXPECT_EQ(r.lag(), 0);
}

// ---------------------------------------------------------------------------------------------
// The CLI: bad options exit 2 with one line, before any Kafka I/O.

struct cli_run {
  int rc = 0;
  std::string err;
};

cli_run run_cli(std::vector<std::string> args) {
  CLI::App app{"syndicate", "syndicate"};
  app.require_subcommand(1);
  cli::dispatcher dispatch;
  register_commands(app, dispatch);
  args.insert(args.begin(), "syndicate");
  std::vector<const char*> argv;
  for (const auto& a : args) argv.push_back(a.c_str());
  testing::internal::CaptureStderr();
  int rc = 0;
  try {
    app.parse(static_cast<int>(argv.size()), argv.data());
    rc = dispatch.run(app);
  } catch (const CLI::ParseError& e) {
    rc = app.exit(e);
  }
  return {rc, testing::internal::GetCapturedStderr()};
}

TEST(OpsCli, ReplayWithoutATargetExits2) {
  const auto r = run_cli({"replay", "--group", "g", "--topic", "t"});
  EXPECT_EQ(r.rc, cli::exit_code::bad_input);
  EXPECT_EQ(
      r.err,
      "syndicate: say where to rewind to: one of --to-datetime, --to-offset, --shift-by, --to-earliest, "
      "--to-latest, --issue\n");
}

TEST(OpsCli, ReplayTakesANegativeShift) {
  // A valid rewind reaches config loading: a missing config file is exit 2 with its name.
  const auto r = run_cli(
      {"replay", "--group", "g", "--topic", "t", "--shift-by", "-5", "--config", "/nonexistent.yaml"});
  EXPECT_EQ(r.rc, cli::exit_code::bad_input);
  EXPECT_NE(r.err.find("/nonexistent.yaml"), std::string::npos) << r.err;
}

TEST(OpsCli, ReplayBadDatetimeExits2) {
  const auto r = run_cli({"replay", "--group", "g", "--topic", "t", "--to-datetime", "2024-01-30T00:00:00"});
  EXPECT_EQ(r.rc, cli::exit_code::bad_input);
  EXPECT_NE(r.err.find("--to-datetime: date-time `2024-01-30T00:00:00` has no UTC offset"), std::string::npos)
      << r.err;
}

TEST(OpsCli, EmbeddedBootstrapIsRefused) {
  const auto r =
      run_cli({"lag", "--config", SYN_SOURCE_DIR "/config/syndication.yaml", "--bootstrap", "embedded"});
  EXPECT_EQ(r.rc, cli::exit_code::bad_input);
  EXPECT_NE(r.err.find("embedded"), std::string::npos) << r.err;
}

TEST(OpsCli, MissingTopicOrIdExits2WithOneLine) {
  auto r = run_cli({"replay", "--group", "g", "--to-latest"});
  EXPECT_EQ(r.rc, cli::exit_code::bad_input);
  EXPECT_EQ(r.err, "syndicate: --topic is required\n");
  r = run_cli({"dlq", "show"});
  EXPECT_EQ(r.rc, cli::exit_code::bad_input);
  EXPECT_EQ(r.err, "syndicate: dlq show needs the dead letter id (see `syndicate dlq list`)\n");
}

TEST(OpsCli, DlqRedriveWithoutSelectionExits2) {
  const auto r = run_cli({"dlq", "redrive"});
  EXPECT_EQ(r.rc, cli::exit_code::bad_input);
  EXPECT_NE(r.err.find("say which dead letters to redrive"), std::string::npos) << r.err;
}

TEST(OpsCli, DlqListUnknownReasonExits2) {
  const auto r = run_cli({"dlq", "list", "--reason", "oops"});
  EXPECT_EQ(r.rc, cli::exit_code::bad_input);
  EXPECT_NE(r.err.find("unknown reason `oops`"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace syn::ops
