// `syndicate dlq list|show|redrive` against a real broker: dead letters written as the consumer
// runner writes them, listed, shown decoded, redriven to the original topic with redriven-from.
#include <google/protobuf/util/time_util.h>

#include "ops_it.hpp"
#include "syn/ops/dlq.hpp"
#include "syndication/v1/article.pb.h"

namespace syn::ops::it {
namespace {

using syndication::v1::DeadLetter;
using TimeUtil = google::protobuf::util::TimeUtil;

class DlqIT : public OpsIT {
 protected:
  void SetUp() override {
    OpsIT::SetUp();
    if (HasFatalFailure()) return;
    origin_ = make_topic("dlq-origin", 2);
    dlq_ = make_topic("dlq", 1);
  }

  /// A dead letter for an Article record of `origin_`, written as core's runner writes it.
  DeadLetter dead_letter(std::int32_t partition, std::int64_t offset, const std::string& group,
                         DeadLetter::Reason reason, const std::string& error, const std::string& headline) {
    syndication::v1::Article a;
    a.set_id("cjrb-20240130-01-0" + std::to_string(offset));
    a.set_issue_id("cjrb-20240130");
    a.set_headline(headline);
    a.set_language("zh-Hans");
    DeadLetter d;
    d.set_id(origin_ + "-" + std::to_string(partition) + "-" + std::to_string(offset) + "-" + group);
    d.set_topic(origin_);
    d.set_partition(partition);
    d.set_offset(offset);
    d.set_key(a.id());
    d.set_value(a.SerializeAsString());
    for (auto [k, v] :
         std::vector<std::pair<std::string, std::string>>{{"content-type", "application/x-protobuf"},
                                                          {"schema", "syndication.v1.Article"},
                                                          {"issue-id", "cjrb-20240130"},
                                                          {"language", "zh-Hans"}}) {
      auto* h = d.add_headers();
      h->set_key(k);
      h->set_value(v);
    }
    d.set_reason(reason);
    d.set_error(error);
    d.set_consumer_group(group);
    d.set_attempts(reason == DeadLetter::RETRIES_EXHAUSTED ? 8 : 1);
    const auto now = TimeUtil::GetCurrentTime();
    *d.mutable_first_failure_time() = now;
    *d.mutable_last_failure_time() = now;
    return d;
  }

  void write(const std::vector<DeadLetter>& letters) {
    std::vector<to_send> recs;
    for (const auto& d : letters) {
      recs.push_back({0,
                      d.id(),
                      d.SerializeAsString(),
                      {{"content-type", "application/x-protobuf"},
                       {"schema", "syndication.v1.DeadLetter"},
                       {"consumer-group", d.consumer_group()}}});
    }
    produce(dlq_, recs);
  }

  dlq_options opts() {
    dlq_options o;
    o.common = common_;
    o.dlq_topic = dlq_;
    return o;
  }

  std::string origin_;
  std::string dlq_;
};

TEST_F(DlqIT, ListShowRedriveRoundTrip) {
  const auto archive_letter = dead_letter(1, 7, "syndicate-archive", DeadLetter::SINK_REJECTED,
                                          "UNIQUE constraint failed: articles.id", "头条");
  const auto feed_letter =
      dead_letter(0, 3, "syndicate-feed", DeadLetter::RETRIES_EXHAUSTED,
                  "WeChat errcode 45009: reach max api daily quota limit", "昌吉州召开安全生产工作会议");
  write({archive_letter, feed_letter});

  // list: both, then filtered.
  auto o = opts();
  auto listed = run(run_dlq_list, o);
  ASSERT_EQ(listed.rc, 0) << listed.err;
  auto j = listed.json();
  EXPECT_EQ(j["matched"], 2);
  o.filter.groups = {"syndicate-feed"};
  listed = run(run_dlq_list, o);
  ASSERT_EQ(listed.rc, 0) << listed.err;
  j = listed.json();
  ASSERT_EQ(j["deadLetters"].size(), 1U);
  EXPECT_EQ(j["deadLetters"][0]["id"], feed_letter.id());
  EXPECT_EQ(j["deadLetters"][0]["reason"], "RETRIES_EXHAUSTED");
  EXPECT_EQ(j["deadLetters"][0]["attempts"], 8);
  o = opts();
  o.reason_names = {"sink_rejected"};
  j = run(run_dlq_list, o).json();
  ASSERT_EQ(j["deadLetters"].size(), 1U);
  EXPECT_EQ(j["deadLetters"][0]["id"], archive_letter.id());
  o = opts();
  o.common.json = false;
  listed = run(run_dlq_list, o);
  EXPECT_NE(listed.out.find(origin_ + "/0/3"), std::string::npos) << listed.out;
  EXPECT_NE(listed.out.find("2 pending dead letter(s) in " + dlq_ + ", 0 redriven"), std::string::npos)
      << listed.out;
  EXPECT_NE(listed.out.find("pending"), std::string::npos) << listed.out;

  // show: every field, the Article decoded.
  o = opts();
  o.common.json = false;
  o.id = feed_letter.id();
  const auto shown = run(run_dlq_show, o);
  ASSERT_EQ(shown.rc, 0) << shown.err;
  EXPECT_NE(shown.out.find("reason          RETRIES_EXHAUSTED"), std::string::npos) << shown.out;
  EXPECT_NE(shown.out.find("consumer group  syndicate-feed"), std::string::npos) << shown.out;
  EXPECT_NE(shown.out.find("\"headline\": \"昌吉州召开安全生产工作会议\""), std::string::npos) << shown.out;
  o.common.json = true;
  EXPECT_EQ(run(run_dlq_show, o).json()["value"]["issueId"], "cjrb-20240130");
  o.id = "no-such-id";
  const auto missing = run(run_dlq_show, o);
  EXPECT_EQ(missing.rc, 1);
  EXPECT_NE(missing.err.find("no dead letter with id no-such-id"), std::string::npos);

  // redrive: dry run sends nothing.
  o = opts();
  o.filter.ids = {feed_letter.id()};
  const auto dry = run(run_dlq_redrive, o);
  ASSERT_EQ(dry.rc, 0) << dry.err;
  EXPECT_EQ(dry.json()["selected"], 1);
  EXPECT_TRUE(read_all(origin_, 2, 1, 3s).empty()) << "a dry run redrove records";

  o.execute = true;
  const auto done = run(run_dlq_redrive, o);
  ASSERT_EQ(done.rc, 0) << done.err;
  EXPECT_EQ(done.json()["redriven"], 1);
  auto got = read_all(origin_, 2, 1);
  ASSERT_EQ(got.size(), 1U);
  const auto& r = got[0];
  EXPECT_EQ(r.key, feed_letter.key());
  EXPECT_EQ(r.value, feed_letter.value());
  EXPECT_EQ(r.partition, kafka::partition_for("cjrb-20240130", 2));
  EXPECT_EQ(r.header("schema"), "syndication.v1.Article");
  EXPECT_EQ(r.header("issue-id"), "cjrb-20240130");
  EXPECT_EQ(r.header("redriven-from"), feed_letter.id());
  ASSERT_EQ(r.headers.size(), 5U);
  EXPECT_EQ(r.headers.back().first, "redriven-from");

  // The redrive appended a resolution to the DLQ, keyed by the letter's id.
  const auto dlq_records = read_all(dlq_, 1, 3);
  ASSERT_EQ(dlq_records.size(), 3U);
  EXPECT_EQ(dlq_records[2].key, feed_letter.id());
  EXPECT_EQ(dlq_records[2].header("schema"), "syndication.v1.DeadLetterResolution");
  syndication::v1::DeadLetterResolution res;
  ASSERT_TRUE(res.ParseFromString(dlq_records[2].value));
  EXPECT_EQ(res.dead_letter_id(), feed_letter.id());
  EXPECT_EQ(res.redriven_topic(), origin_);
  EXPECT_EQ(res.redriven_partition(), r.partition);
  EXPECT_EQ(res.redriven_offset(), r.offset);
  EXPECT_NE(res.resolved_by().find("syndicate dlq redrive"), std::string::npos) << res.resolved_by();

  // The feed group's DLQ is empty; --all still shows the letter, redriven; show says so.
  o = opts();
  o.filter.groups = {"syndicate-feed"};
  j = run(run_dlq_list, o).json();
  EXPECT_EQ(j["matched"], 0);
  EXPECT_EQ(j["pending"], 0);
  EXPECT_EQ(j["resolved"], 1);
  o.all = true;
  j = run(run_dlq_list, o).json();
  ASSERT_EQ(j["deadLetters"].size(), 1U);
  EXPECT_EQ(j["deadLetters"][0]["state"], "redriven");
  EXPECT_EQ(j["deadLetters"][0]["resolution"]["redrivenTo"],
            origin_ + "/" + std::to_string(r.partition) + "/" + std::to_string(r.offset));
  o = opts();
  o.common.json = false;
  listed = run(run_dlq_list, o);
  EXPECT_NE(
      listed.out.find("1 pending dead letter(s) in " + dlq_ + ", 1 redriven (not shown; --all lists them)"),
      std::string::npos)
      << listed.out;
  EXPECT_EQ(listed.out.find(feed_letter.id()), std::string::npos) << listed.out;
  o.id = feed_letter.id();
  const auto shown_again = run(run_dlq_show, o);
  EXPECT_NE(shown_again.out.find("state           redriven"), std::string::npos) << shown_again.out;

  // Again, by reason pattern: skipped, nothing sent.
  o = opts();
  o.common.json = false;
  o.reason_pattern = "45009";
  o.execute = true;
  const auto second = run(run_dlq_redrive, o);
  ASSERT_EQ(second.rc, 0) << second.err;
  EXPECT_NE(second.out.find("redriven 0 of 0 dead letter(s), 1 skipped (already redriven"), std::string::npos)
      << second.out;
  EXPECT_EQ(read_all(origin_, 2, 2, 3s).size(), 1U);

  // With --again: a second copy (sinks are idempotent), said so in the output.
  o.again = true;
  const auto again = run(run_dlq_redrive, o);
  ASSERT_EQ(again.rc, 0) << again.err;
  EXPECT_NE(again.out.find("redriven 1 of 1"), std::string::npos) << again.out;
  EXPECT_NE(again.out.find("safe to repeat"), std::string::npos) << again.out;
  EXPECT_EQ(read_all(origin_, 2, 2).size(), 2U);
}

TEST_F(DlqIT, RedriveAllAndUnknownIds) {
  write({dead_letter(0, 1, "g1", DeadLetter::DECODE_FAILED, "bad", "a"),
         dead_letter(1, 2, "g2", DeadLetter::VALIDATION_FAILED, "bad", "b")});
  auto o = opts();
  o.filter.ids = {"nope"};
  o.execute = true;
  const auto unknown = run(run_dlq_redrive, o);
  EXPECT_EQ(unknown.rc, 1);
  EXPECT_NE(unknown.err.find("not found"), std::string::npos) << unknown.err;

  o = opts();
  o.all = true;
  o.execute = true;
  const auto all = run(run_dlq_redrive, o);
  ASSERT_EQ(all.rc, 0) << all.err;
  EXPECT_EQ(all.json()["redriven"], 2);
  EXPECT_EQ(read_all(origin_, 2, 2).size(), 2U);

  // The DLQ is empty; a second --all redrives nothing.
  EXPECT_EQ(run(run_dlq_list, opts()).json()["pending"], 0);
  const auto twice = run(run_dlq_redrive, o);
  ASSERT_EQ(twice.rc, 0) << twice.err;
  EXPECT_EQ(twice.json()["redriven"], 0);
  EXPECT_EQ(twice.json()["skipped"], 2);
  EXPECT_EQ(read_all(origin_, 2, 3, 3s).size(), 2U);
}

TEST_F(DlqIT, UndecodableRecordsAreListedNotRedriven) {
  produce(dlq_, {{0, "garbage", std::string("\xff\xff\xff", 3), {}}});
  write({dead_letter(0, 1, "g1", DeadLetter::DECODE_FAILED, "bad", "a")});
  auto o = opts();
  const auto listed = run(run_dlq_list, o);
  ASSERT_EQ(listed.rc, 0) << listed.err;
  EXPECT_EQ(listed.json()["matched"], 2);
  o.all = true;
  const auto dry = run(run_dlq_redrive, o);
  EXPECT_EQ(dry.json()["selected"], 1);
}

TEST_F(DlqIT, TruncatedLettersAreRefusedAndFailTheRunOnlyWhenNothingElseIsRedriven) {
  auto cut = dead_letter(0, 3, "g1", DeadLetter::TOO_LARGE, "value too large", "cut");
  cut.set_value(cut.value().substr(0, 4));
  cut.set_original_value_size(9437184);
  const auto good = dead_letter(1, 4, "g2", DeadLetter::SINK_REJECTED, "quota", "good");
  write({cut, good});

  auto o = opts();
  o.common.json = false;
  const auto listed = run(run_dlq_list, o);
  ASSERT_EQ(listed.rc, 0) << listed.err;
  EXPECT_NE(listed.out.find("[value truncated]"), std::string::npos) << listed.out;
  EXPECT_NE(listed.out.find("1 shown keep only the head"), std::string::npos) << listed.out;

  // Only the truncated one selected: refused, nothing sent, exit 1 (dry run and execute alike).
  o = opts();
  o.filter.ids = {cut.id()};
  const auto dry = run(run_dlq_redrive, o);
  EXPECT_EQ(dry.rc, 1);
  EXPECT_EQ(dry.json()["refused"], 1);
  EXPECT_NE(dry.err.find("nothing redriven: 1 selected dead letter(s) refused"), std::string::npos)
      << dry.err;
  o.execute = true;
  const auto alone = run(run_dlq_redrive, o);
  EXPECT_EQ(alone.rc, 1);
  EXPECT_EQ(alone.json()["redriven"], 0);
  EXPECT_EQ(alone.json()["refused"], 1);
  EXPECT_EQ(alone.json()["failed"], 0);
  EXPECT_NE(alone.json()["results"][0]["refused"].get<std::string>().find("value truncated"),
            std::string::npos);

  // Both selected: the good one goes, the cut one is refused and reported, exit 0.
  o = opts();
  o.all = true;
  o.execute = true;
  o.common.json = false;
  const auto both = run(run_dlq_redrive, o);
  EXPECT_EQ(both.rc, 0) << both.err;
  EXPECT_NE(both.out.find("REFUSED: value truncated"), std::string::npos) << both.out;
  EXPECT_NE(both.out.find("redriven 1 of 2 dead letter(s), 1 refused"), std::string::npos) << both.out;
  const auto sent = read_all(origin_, 2, 2, 5s);
  ASSERT_EQ(sent.size(), 1U);
  EXPECT_EQ(sent[0].header("redriven-from"), good.id());
}

}  // namespace
}  // namespace syn::ops::it
