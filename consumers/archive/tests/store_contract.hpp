#pragma once
// The archive store's behaviour, written once and run against every backend (a gtest typed test
// suite): sqlite_test.cpp instantiates it on SQLite in a temp dir (label unit), pg_test.cpp on a
// real PostgreSQL (label integration).
//
// A Backend provides:
//   void setup();  void teardown();            // fresh, empty database per test
//   result<std::unique_ptr<store>> open(store_options);
//   std::int64_t scalar(const std::string& sql);  // first column of the first row
//   void exec(const std::string& sql);
//   std::string fail_inserts_of(const std::string& article_id);  // SQL: a trigger that makes
//                                                                // inserting that id's revision fail
//   static constexpr bool index_after_write;  // write() below also drains the search queue
//                                             // (store::index_pending); false: search reads the
//                                             // queue (SQLite runs the suite both ways)

#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "fixtures.hpp"
#include "render.hpp"
#include "syn/archive/sink.hpp"
#include "syn/archive/store.hpp"
#include "syn/archive/text.hpp"

namespace syn::archive::test {

template <class Backend>
class StoreContract : public ::testing::Test {
 protected:
  void SetUp() override {
    backend_.setup();
    if (::testing::Test::HasFatalFailure()) return;
    store_ = open_rw();
  }
  void TearDown() override {
    store_.reset();
    backend_.teardown();
  }

  std::unique_ptr<store> open_rw(store_options o = {}) {
    auto s = backend_.open(o);
    EXPECT_TRUE(s) << s.error().to_string();
    return s ? std::move(s).value() : nullptr;
  }

  std::vector<record_outcome> write(const std::vector<record>& batch) {
    auto r = store_->write(batch);
    EXPECT_TRUE(r) << r.error().to_string();
    if (r && Backend::index_after_write) {
      auto n = store_->index_pending(1000000);
      EXPECT_TRUE(n) << n.error().to_string();
    }
    return r ? std::move(r).value() : std::vector<record_outcome>{};
  }

  stored_article get(const std::string& id, std::optional<int> rev = std::nullopt) {
    auto r = store_->get(id, rev);
    EXPECT_TRUE(r) << r.error().to_string();
    return r ? std::move(r).value() : stored_article{};
  }

  std::vector<search_hit> search(const std::string& text, search_query q = {}) {
    q.text = text;
    auto r = store_->search(q);
    EXPECT_TRUE(r) << r.error().to_string();
    return r ? std::move(r).value() : std::vector<search_hit>{};
  }

  static std::vector<std::string> ids(const std::vector<search_hit>& hits) {
    std::vector<std::string> out;
    for (const auto& h : hits) out.push_back(h.id);
    return out;
  }

  Backend backend_;
  std::unique_ptr<store> store_;
};

TYPED_TEST_SUITE_P(StoreContract);

// ---------------------------------------------------------------------------------------------
// Migrations

TYPED_TEST_P(StoreContract, MigrationsRunOnceAndReopeningIsIdempotent) {
  EXPECT_EQ(this->store_->schema_version(), latest_schema_version());
  const sample_issue s;
  this->write(s.batch());
  this->store_.reset();
  for (int i = 0; i < 3; ++i) {
    auto again = this->open_rw();
    ASSERT_TRUE(again);
    EXPECT_EQ(again->schema_version(), latest_schema_version());
  }
  EXPECT_EQ(this->backend_.scalar("SELECT count(*) FROM schema_migrations"), latest_schema_version());
  EXPECT_EQ(this->backend_.scalar("SELECT max(version) FROM schema_migrations"), latest_schema_version());
  EXPECT_EQ(this->backend_.scalar("SELECT count(*) FROM article_revisions"), 5);
  this->store_ = this->open_rw();
  EXPECT_EQ(this->get(s.a1.id()).revision, 1);
}

TYPED_TEST_P(StoreContract, ReadOnlyStoreReadsAndRefusesWrites) {
  const sample_issue s;
  this->write(s.batch());
  store_options ro;
  ro.mode = open_mode::read_only;
  auto r = this->backend_.open(ro);
  ASSERT_TRUE(r) << r.error().to_string();
  auto& reader = *r.value();
  EXPECT_EQ(reader.get(s.a2.id()).value().article.headline(), s.a2.headline());
  const Article extra = article("cjrb", "2024-01-31", 1, 1, "只读", {"只读的存档不能写入。"});
  const std::vector<record> batch = records({&extra});
  auto w = reader.write(batch);
  ASSERT_FALSE(w);
  EXPECT_EQ(w.error(), errc::read_only);
  EXPECT_FALSE(w.error().retriable());
}

TYPED_TEST_P(StoreContract, NewerSchemaIsRefused) {
  this->store_.reset();
  this->backend_.exec(
      "INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'from the future', 'x')");
  auto r = this->backend_.open(store_options{});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), errc::schema);
  EXPECT_NE(r.error().message().find("newer"), std::string::npos) << r.error().message();
}

// ---------------------------------------------------------------------------------------------
// Revisions

TYPED_TEST_P(StoreContract, SameContentHashNeverMakesASecondRevision) {
  const sample_issue s;
  auto first = this->write(records({&s.a1}));
  ASSERT_EQ(first.size(), 1U);
  EXPECT_EQ(first[0].kind, record_outcome::added);
  EXPECT_EQ(first[0].revision, 1);
  Article again = s.a1;
  set_published(again.mutable_published_at(), 1706580000);  // republished later, same content
  auto second = this->write(records({&again, &s.a1}));
  ASSERT_EQ(second.size(), 2U);
  EXPECT_EQ(second[0].kind, record_outcome::unchanged);
  EXPECT_EQ(second[1].kind, record_outcome::unchanged);
  EXPECT_EQ(second[0].revision, 1);
  const auto got = this->get(s.a1.id());
  EXPECT_EQ(got.revision_count, 1);
  EXPECT_EQ(got.history.size(), 1U);
}

TYPED_TEST_P(StoreContract, ChangedHashAddsRevisionAndBecomesCurrent) {
  const sample_issue s(1000);
  const Article r2 = corrected(s.a1, "更正：推进中国式现代化新疆实践典范地州建设。", 2000);
  const Article r3 = corrected(s.a1, "再次更正：昌吉州全力推进中国式现代化。", 3000);
  this->write(records({&s.a1}));
  auto o2 = this->write(records({&r2}));
  auto o3 = this->write(records({&r3}));
  EXPECT_EQ(o2.at(0).kind, record_outcome::added);
  EXPECT_EQ(o2.at(0).revision, 2);
  EXPECT_EQ(o3.at(0).revision, 3);

  const auto cur = this->get(s.a1.id());
  EXPECT_EQ(cur.revision, 3);
  EXPECT_EQ(cur.current_revision, 3);
  EXPECT_EQ(cur.revision_count, 3);
  EXPECT_EQ(cur.article.content_sha256(), r3.content_sha256());
  ASSERT_EQ(cur.history.size(), 3U);
  EXPECT_EQ(cur.history[0].content_sha256, s.a1.content_sha256());
  EXPECT_EQ(cur.history[1].content_sha256, r2.content_sha256());
  EXPECT_EQ(cur.history[1].published_us, 2000 * 1000000LL);

  const auto old = this->get(s.a1.id(), 1);
  EXPECT_EQ(old.revision, 1);
  EXPECT_EQ(old.current_revision, 3);
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(old.article, s.a1));

  auto missing = this->store_->get(s.a1.id(), 4);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error(), errc::not_found);
  EXPECT_NE(missing.error().message().find("revisions 1..3"), std::string::npos) << missing.error().message();
}

TYPED_TEST_P(StoreContract, ReplayOfAnOlderRevisionLeavesTheCorrectionCurrent) {
  const sample_issue s(1000);
  const Article fix = corrected(s.a2, "公司钢纸产品在国内市场占有率约50%，居全国首位。", 2000);
  this->write(records({&s.a2, &fix}));
  // An ops replay from the start of the topic: the original arrives again, then the correction.
  auto replay = this->write(records({&s.a2}));
  EXPECT_EQ(replay.at(0).kind, record_outcome::unchanged);
  EXPECT_EQ(this->get(s.a2.id()).article.content_sha256(), fix.content_sha256());

  // A correction that was never archived arrives after a newer one: kept as history only.
  const Article stale = corrected(s.a2, "旧的更正稿。", 1500);
  auto late = this->write(records({&stale}));
  EXPECT_EQ(late.at(0).kind, record_outcome::added_not_current);
  EXPECT_EQ(late.at(0).revision, 3);
  const auto cur = this->get(s.a2.id());
  EXPECT_EQ(cur.revision, 2);
  EXPECT_EQ(cur.revision_count, 3);
  EXPECT_TRUE(this->search("旧的更正稿").empty());
}

TYPED_TEST_P(StoreContract, RepublishedOriginalBecomesCurrentAgain) {
  const sample_issue s(1000);
  const Article wrong = corrected(s.a3, "错误的更正。", 2000);
  this->write(records({&s.a3}));
  this->write(records({&wrong}));
  Article original = s.a3;
  set_published(original.mutable_published_at(), 3000);
  auto o = this->write(records({&original}));
  EXPECT_EQ(o.at(0).kind, record_outcome::made_current);
  EXPECT_EQ(o.at(0).revision, 1);
  const auto cur = this->get(s.a3.id());
  EXPECT_EQ(cur.revision, 1);
  EXPECT_EQ(cur.revision_count, 2);
  EXPECT_EQ(this->ids(this->search("独特风光")), std::vector<std::string>{s.a3.id()});
  EXPECT_TRUE(this->search("错误的更正").empty());
}

TYPED_TEST_P(StoreContract, WithoutPublishTimesArrivalOrderDecides) {
  const sample_issue s(0);
  const Article fix = corrected(s.a4, "本报讯 全州开展安全生产大检查，推动安全发展，压实责任。");
  this->write(records({&s.a4}));
  this->write(records({&fix}));
  EXPECT_EQ(this->get(s.a4.id()).revision, 2);
  auto o = this->write(records({&s.a4}));
  EXPECT_EQ(o.at(0).kind, record_outcome::made_current);
  EXPECT_EQ(this->get(s.a4.id()).revision, 1);
}

TYPED_TEST_P(StoreContract, ReapplyingTheSameBatchIsHarmless) {
  const sample_issue s;
  const Article fix = corrected(s.a1, "更正后的段落：推进中国式现代化。", 1706572900);
  const Article tr = translation(s.a1, "昌吉州實施典範行動", {"邁入新年，昌吉回族自治州聚焦高質量發展。"});
  std::vector<record> batch = s.batch();
  batch.emplace_back(&fix);
  batch.emplace_back(&tr);

  const auto first = this->write(batch);
  const auto count = [&](const char* table) {
    return this->backend_.scalar(std::string("SELECT count(*) FROM ") + table);
  };
  const auto revisions = count("article_revisions");
  const auto issues = count("issue_revisions");
  const auto searchable = count("article_search");
  const auto hits = this->ids(this->search("中国式现代化"));
  const auto current = this->get(s.a1.id());

  for (int i = 0; i < 2; ++i) {
    const auto again = this->write(batch);
    ASSERT_EQ(again.size(), batch.size());
    for (std::size_t k = 0; k < again.size(); ++k) {
      EXPECT_NE(again[k].kind, record_outcome::added) << k;
      EXPECT_NE(again[k].kind, record_outcome::added_not_current) << k;
      EXPECT_EQ(again[k].revision, first[k].revision) << k;
    }
  }
  EXPECT_EQ(count("article_revisions"), revisions);
  EXPECT_EQ(count("issue_revisions"), issues);
  EXPECT_EQ(count("article_search"), searchable);
  EXPECT_EQ(this->ids(this->search("中国式现代化")), hits);
  const auto after = this->get(s.a1.id());
  EXPECT_EQ(after.revision, current.revision);
  EXPECT_EQ(after.article.content_sha256(), fix.content_sha256());
}

TYPED_TEST_P(StoreContract, BatchIsOneTransaction) {
  const sample_issue s;
  this->backend_.exec(this->backend_.fail_inserts_of(s.a3.id()));
  const std::vector<record> batch = s.batch();
  auto r = this->store_->write(batch);
  ASSERT_FALSE(r);
  // Nothing before or after the failing record was kept.
  EXPECT_EQ(this->backend_.scalar("SELECT count(*) FROM article_revisions"), 0);
  EXPECT_EQ(this->backend_.scalar("SELECT count(*) FROM articles"), 0);
  EXPECT_EQ(this->backend_.scalar("SELECT count(*) FROM issue_revisions"), 0);
  EXPECT_EQ(this->store_->get(s.a1.id()).error(), errc::not_found);
  // The same store goes on working.
  this->write(records({&s.a1, &s.a2}));
  EXPECT_EQ(this->backend_.scalar("SELECT count(*) FROM article_revisions"), 2);
}

// ---------------------------------------------------------------------------------------------
// Translations

TYPED_TEST_P(StoreContract, TranslationLinksToItsSourceRevision) {
  const sample_issue s(1000);
  this->write(records({&s.a1}));
  const Article tr = translation(s.a1, "昌吉州實施典範行動打造高質量發展先行區",
                                 {"邁入新年，昌吉回族自治州聚焦高質量發展。"});
  this->write(records({&tr}));
  const Article fix = corrected(s.a1, "更正：推进中国式现代化。", 2000);
  this->write(records({&fix}));

  const auto t = this->get(tr.id());
  EXPECT_EQ(t.article.translation_of(), s.a1.id());
  EXPECT_EQ(t.article.language(), "zh-Hant");
  ASSERT_TRUE(t.translation_of_revision.has_value());
  EXPECT_EQ(*t.translation_of_revision, 1);  // made from revision 1, not the current 2

  const auto src1 = this->get(s.a1.id(), 1);
  ASSERT_EQ(src1.translations.size(), 1U);
  EXPECT_EQ(src1.translations[0].id, tr.id());
  EXPECT_EQ(src1.translations[0].language, "zh-Hant");
  EXPECT_TRUE(this->get(s.a1.id()).translations.empty());  // revision 2 has none yet

  // The translation of the correction is the translation's revision 2, linked to source revision 2.
  const Article tr2 =
      translation(fix, "昌吉州實施典範行動打造高質量發展先行區", {"更正：推進中國式現代化。"});
  auto o = this->write(records({&tr2}));
  EXPECT_EQ(o.at(0).revision, 2);
  EXPECT_EQ(*this->get(tr.id()).translation_of_revision, 2);
  EXPECT_EQ(*this->get(tr.id(), 1).translation_of_revision, 1);

  // Both languages are searchable, and filterable.
  search_query q;
  q.language = "zh-Hant";
  EXPECT_EQ(this->ids(this->search("高質量發展", q)), std::vector<std::string>{tr.id()});
}

TYPED_TEST_P(StoreContract, TranslationArrivingBeforeItsSourceLinksOnceTheSourceIsStored) {
  const sample_issue s;
  const Article tr =
      translation(s.a2, "新能源裝備製造產業集群加速聚集", {"公司鋼紙產品在國內市場佔有率約48%。"});
  this->write(records({&tr}));
  EXPECT_FALSE(this->get(tr.id()).translation_of_revision.has_value());
  this->write(records({&s.a2}));
  const auto t = this->get(tr.id());
  ASSERT_TRUE(t.translation_of_revision.has_value());
  EXPECT_EQ(*t.translation_of_revision, 1);
}

// ---------------------------------------------------------------------------------------------
// Validation

TYPED_TEST_P(StoreContract, InvalidRecordsAreRejectedWithAReasonAndTheRestIsStored) {
  const sample_issue s;
  Article no_id = s.a1;
  no_id.set_id("");
  Article no_headline = s.a2;
  no_headline.set_headline(" \u3000 ");
  Article upper_hash = s.a3;
  upper_hash.set_content_sha256(std::string(64, 'A'));
  Article short_hash = s.a4;
  short_hash.set_content_sha256("abc123");
  Article half_translation = s.a5;
  half_translation.set_translation_of("cjrb-20240130-01-01");
  Article bad_date = s.a5;
  bad_date.set_issue_date("2024-02-30");
  IssueManifest bad_manifest = s.m;
  bad_manifest.set_source_sha256("not-a-hash");
  IssueManifest uneven = s.m;
  uneven.add_article_ids("cjrb-20240130-01-06");

  const std::vector<record> batch{&no_id,    &no_headline,  &upper_hash, &short_hash, &half_translation,
                                  &bad_date, &bad_manifest, &uneven,     &s.a5};
  const auto out = this->write(batch);
  ASSERT_EQ(out.size(), batch.size());
  const std::vector<std::string> expect{"article id is empty",
                                        "headline is missing",
                                        "content_sha256",
                                        "content_sha256",
                                        "translation_of and translation_of_sha256",
                                        "issue_date",
                                        "source_sha256",
                                        "article_ids but"};
  for (std::size_t i = 0; i < expect.size(); ++i) {
    EXPECT_EQ(out[i].kind, record_outcome::rejected) << i;
    EXPECT_NE(out[i].reason.find(expect[i]), std::string::npos) << i << ": " << out[i].reason;
  }
  EXPECT_EQ(out.back().kind, record_outcome::added);
  EXPECT_EQ(this->backend_.scalar("SELECT count(*) FROM article_revisions"), 1);
  EXPECT_EQ(this->backend_.scalar("SELECT count(*) FROM issue_revisions"), 0);
}

// ---------------------------------------------------------------------------------------------
// Issues, export, raw bytes

TYPED_TEST_P(StoreContract, ManifestRepublishedIsOneRevisionAndACorrectionIsTheNext) {
  const sample_issue s(1000);
  this->write(s.batch());
  IssueManifest again = s.m;
  set_published(again.mutable_published_at(), 5000);
  again.set_source_name("http-request-42");
  again.set_splitter_version("v2");
  EXPECT_EQ(this->write({&again}).at(0).kind, record_outcome::unchanged);

  const Article fix = corrected(s.a2, "公司钢纸产品在国内市场占有率约50%。", 6000);
  IssueManifest m2 = manifest({&s.a1, &fix, &s.a3, &s.a4, &s.a5}, s.raw, 6000);
  auto o = this->write(records({&fix}, &m2));
  EXPECT_EQ(o.at(1).kind, record_outcome::added);
  EXPECT_EQ(o.at(1).revision, 2);
  auto issue = this->store_->issue(s.m.issue_id());
  ASSERT_TRUE(issue) << issue.error().to_string();
  EXPECT_EQ(issue.value().revision, 2);
  EXPECT_EQ(issue.value().revision_count, 2);
  EXPECT_EQ(issue.value().manifest.article_hashes(1), fix.content_sha256());
}

TYPED_TEST_P(StoreContract, ExportReturnsTheIssueInManifestOrder) {
  const sample_issue s;
  // Articles arrive out of order and in separate batches (different topics and partitions).
  this->write(records({&s.a4, &s.a2}));
  this->write(records({&s.a5, &s.a1, &s.a3}, &s.m));
  auto e = this->store_->export_issue(s.m.issue_id());
  ASSERT_TRUE(e) << e.error().to_string();
  const auto& x = e.value();
  ASSERT_EQ(x.articles.size(), 5U);
  const std::vector<const Article*> order{&s.a1, &s.a2, &s.a3, &s.a4, &s.a5};
  for (std::size_t i = 0; i < order.size(); ++i) {
    EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(x.articles[i].article, *order[i])) << i;
  }
  EXPECT_TRUE(x.missing.empty());
  EXPECT_TRUE(x.hash_mismatch.empty());
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(x.issue.manifest, s.m));

  // A later revision of an article that this manifest does not name: the export keeps the
  // manifest's revision, so the issue comes back as it was published.
  const Article later = corrected(s.a3, "后来的更正。");
  this->write(records({&later}));
  auto e2 = this->store_->export_issue(s.m.issue_id());
  ASSERT_TRUE(e2);
  EXPECT_EQ(e2.value().articles[2].article.content_sha256(), s.a3.content_sha256());
  EXPECT_EQ(e2.value().articles[2].revision, 1);

  auto none = this->store_->export_issue("cjrb-19990101");
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error(), errc::not_found);
}

TYPED_TEST_P(StoreContract, ExportListsMissingArticlesAndHashMismatches) {
  const sample_issue s;
  const Article other = corrected(s.a2, "清单里没有的版本。");
  this->write(records({&s.a1, &other}, &s.m));
  auto e = this->store_->export_issue(s.m.issue_id());
  ASSERT_TRUE(e);
  EXPECT_EQ(e.value().articles.size(), 2U);
  EXPECT_EQ(e.value().missing, (std::vector<std::string>{s.a3.id(), s.a4.id(), s.a5.id()}));
  EXPECT_EQ(e.value().hash_mismatch, std::vector<std::string>{s.a2.id()});
}

TYPED_TEST_P(StoreContract, RawBytesRoundTripByteIdentical) {
  const sample_issue s;
  const std::string sha = sha256_hex(s.raw);
  auto first = this->store_->put_raw(sha, s.raw, "changji-daily-2024-01-30-p1.txt");
  ASSERT_TRUE(first) << first.error().to_string();
  EXPECT_TRUE(first.value());
  auto second = this->store_->put_raw(sha, s.raw, "again.txt");
  ASSERT_TRUE(second);
  EXPECT_FALSE(second.value());
  auto back = this->store_->raw(sha);
  ASSERT_TRUE(back);
  EXPECT_EQ(back.value(), s.raw);
  EXPECT_EQ(back.value().size(), s.raw.size());

  auto empty = this->store_->put_raw(sha256_hex(""), "", "empty.txt");
  ASSERT_TRUE(empty) << empty.error().to_string();
  EXPECT_EQ(this->store_->raw(sha256_hex("")).value(), "");

  auto wrong = this->store_->put_raw(sha256_hex("other"), s.raw, "x");
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error(), errc::invalid_record);
  auto malformed = this->store_->put_raw("ABC", s.raw, "x");
  ASSERT_FALSE(malformed);
  EXPECT_EQ(malformed.error(), errc::invalid_record);
  EXPECT_EQ(this->store_->raw(std::string(64, '0')).error(), errc::not_found);

  // `archive export --format raw` writes exactly those bytes.
  this->write(s.batch());
  EXPECT_TRUE(this->store_->issue(s.m.issue_id()).value().raw_available);
  std::ostringstream out;
  auto r = cmd::export_issue(*this->store_, s.m.issue_id(), cmd::format::raw, out);
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_EQ(out.str(), s.raw);
  EXPECT_EQ(sha256_hex(out.str()), s.m.source_sha256());
}

// ---------------------------------------------------------------------------------------------
// Search

TYPED_TEST_P(StoreContract, SearchFindsFourCharacterChineseQueryWithMarkedSnippet) {
  const sample_issue s;
  this->write(s.batch());
  const auto hits = this->search("独特风光");
  ASSERT_EQ(hits.size(), 1U);
  EXPECT_EQ(hits[0].id, s.a3.id());
  EXPECT_EQ(hits[0].headline, s.a3.headline());
  EXPECT_EQ(hits[0].issue_date, "2024-01-30");
  EXPECT_EQ(hits[0].paper, "cjrb");
  EXPECT_EQ(hits[0].issue_id, "cjrb-20240130");
  EXPECT_EQ(hits[0].revision, 1);
  EXPECT_NE(hits[0].snippet.find("【独特风光】"), std::string::npos) << hits[0].snippet;
  EXPECT_NE(hits[0].snippet.find("天山北麓的"), std::string::npos) << hits[0].snippet;
}

TYPED_TEST_P(StoreContract, SearchFindsTwoAndOneCharacterChineseQueries) {
  const sample_issue s;
  this->write(s.batch());
  const auto two = this->search("风光");
  ASSERT_EQ(two.size(), 1U);
  EXPECT_EQ(two[0].id, s.a3.id());
  EXPECT_NE(two[0].snippet.find("【风光】"), std::string::npos) << two[0].snippet;

  const auto one = this->search("钢");
  ASSERT_EQ(one.size(), 1U);
  EXPECT_EQ(one[0].id, s.a2.id());
  EXPECT_NE(one[0].snippet.find("【钢】"), std::string::npos) << one[0].snippet;

  // 昌吉: headline and body of a1, body of a5; the headline hit ranks first.
  const auto cj = this->search("昌吉");
  ASSERT_EQ(cj.size(), 2U);
  EXPECT_EQ(cj[0].id, s.a1.id());
  EXPECT_EQ(cj[1].id, s.a5.id());
  EXPECT_GT(cj[0].score, cj[1].score);
}

TYPED_TEST_P(StoreContract, SearchRanksByRelevance) {
  const sample_issue s;
  this->write(s.batch());
  // a1 mentions it three times, a3 once.
  const auto hits = this->search("中国式现代化");
  ASSERT_EQ(hits.size(), 2U);
  EXPECT_EQ(hits[0].id, s.a1.id());
  EXPECT_EQ(hits[1].id, s.a3.id());
  EXPECT_GT(hits[0].score, hits[1].score);

  // A headline hit outranks a body mention.
  const Article body_only =
      article("cjrb", "2024-01-31", 2, 1, "其他新闻", {"会议还提到了天山北麓冬季旅游的话题。"});
  this->write(records({&body_only}));
  const auto winter = this->search("冬季旅游");
  ASSERT_EQ(winter.size(), 2U);
  EXPECT_EQ(winter[0].id, s.a3.id());
  EXPECT_EQ(winter[1].id, body_only.id());
}

TYPED_TEST_P(StoreContract, SearchRequiresEveryTermAndMixesShortAndLongTerms) {
  const sample_issue s;
  this->write(s.batch());
  EXPECT_EQ(this->ids(this->search("中国式现代化 文旅")), std::vector<std::string>{s.a3.id()});
  EXPECT_EQ(this->ids(this->search("中国式现代化\u3000牛鼻子")), std::vector<std::string>{s.a1.id()});
  EXPECT_TRUE(this->search("中国式现代化 钢纸").empty());
  EXPECT_EQ(this->ids(this->search("钢 48%")), std::vector<std::string>{s.a2.id()});
}

TYPED_TEST_P(StoreContract, SearchFiltersByPaperDateAndLanguage) {
  const sample_issue s;
  this->write(s.batch());
  const Article other_paper =
      article("bjrb", "2024-03-12", 1, 1, "北疆推进中国式现代化", {"北疆日报的报道。"});
  const Article later =
      article("cjrb", "2024-02-15", 1, 1, "春节假期推进中国式现代化", {"节日期间各项工作有序推进。"});
  this->write(records({&other_paper, &later}));

  EXPECT_EQ(this->search("中国式现代化").size(), 4U);
  search_query q;
  q.paper = "bjrb";
  EXPECT_EQ(this->ids(this->search("中国式现代化", q)), std::vector<std::string>{other_paper.id()});
  q = {};
  q.from = "2024-02-01";
  q.to = "2024-02-29";
  EXPECT_EQ(this->ids(this->search("中国式现代化", q)), std::vector<std::string>{later.id()});
  q = {};
  q.to = "2024-01-30";  // inclusive
  EXPECT_EQ(this->search("中国式现代化", q).size(), 2U);
  q = {};
  q.paper = "cjrb";
  q.from = "2024-01-31";
  EXPECT_EQ(this->ids(this->search("推进", q)), std::vector<std::string>{later.id()});
  q = {};
  q.language = "en";
  EXPECT_TRUE(this->search("中国式现代化", q).empty());
  q = {};
  q.limit = 1;
  EXPECT_EQ(this->search("中国式现代化", q).size(), 1U);
}

TYPED_TEST_P(StoreContract, SearchSeesOnlyCurrentRevisions) {
  const sample_issue s(1000);
  this->write(s.batch());
  const Article fix = corrected(s.a5, "昌吉市举办迎新春书画展。", 2000);
  this->write(records({&fix}));
  EXPECT_TRUE(this->search("文艺汇演").empty());
  const auto hits = this->search("书画展");
  ASSERT_EQ(hits.size(), 1U);
  EXPECT_EQ(hits[0].revision, 2);
}

TYPED_TEST_P(StoreContract, SearchTreatsQueryCharactersLiterally) {
  const Article a = article("cjrb", "2024-01-30", 2, 1, "增幅16.8%的\"外贸\"_出口",
                            {"2023年外贸出口额同比增幅16.8%，占比50_50，路径C:\\data。"});
  const Article b = article("cjrb", "2024-01-30", 2, 2, "没有百分号", {"同比增幅168，并无特殊字符。"});
  this->write(records({&a, &b}));
  EXPECT_EQ(this->ids(this->search("16.8%")), std::vector<std::string>{a.id()});
  EXPECT_EQ(this->ids(this->search("%")), std::vector<std::string>{a.id()});
  EXPECT_EQ(this->ids(this->search("_")), std::vector<std::string>{a.id()});
  EXPECT_EQ(this->ids(this->search("\"外贸\"")), std::vector<std::string>{a.id()});
  EXPECT_EQ(this->ids(this->search("C:\\data")), std::vector<std::string>{a.id()});
  EXPECT_EQ(this->ids(this->search("OR")), std::vector<std::string>{});
  EXPECT_EQ(this->ids(this->search("NEAR(外贸")), std::vector<std::string>{});
}

TYPED_TEST_P(StoreContract, SearchIsCaseInsensitiveForLatinText) {
  const Article a = article("cjrb", "2024-01-30", 3, 1, "Xinjiang Expo opens",
                            {"The China-Eurasia Expo opened in Urumqi."});
  this->write(records({&a}));
  EXPECT_EQ(this->ids(this->search("eurasia")), std::vector<std::string>{a.id()});
  EXPECT_EQ(this->ids(this->search("URUMQI")), std::vector<std::string>{a.id()});
  const auto hits = this->search("expo");
  ASSERT_EQ(hits.size(), 1U);
  EXPECT_NE(hits[0].snippet.find("【Expo】"), std::string::npos) << hits[0].snippet;
}

TYPED_TEST_P(StoreContract, SearchRejectsBadArguments) {
  search_query q;
  q.text = " \u3000 ";
  EXPECT_EQ(this->store_->search(q).error(), errc::bad_argument);
  q.text = "新疆";
  q.from = "2024-1-30";
  EXPECT_EQ(this->store_->search(q).error(), errc::bad_argument);
  q.from.clear();
  q.limit = 0;
  EXPECT_EQ(this->store_->search(q).error(), errc::bad_argument);
  q.limit = 20;
  EXPECT_TRUE(this->store_->search(q));
}

// ---------------------------------------------------------------------------------------------
// Reading

TYPED_TEST_P(StoreContract, GetJsonIsCanonicalProtobufJsonPlusRevisionMetadata) {
  const sample_issue s(1706572800);
  this->write(s.batch());
  const Article fix = corrected(s.a1, "更正：推进中国式现代化。", 1706580000);
  this->write(records({&fix}));
  std::ostringstream out;
  auto r = cmd::get(*this->store_, s.a1.id(), 1, cmd::format::json, out);
  ASSERT_TRUE(r) << r.error().to_string();
  const auto j = nlohmann::json::parse(out.str());
  EXPECT_EQ(j["revision"], 1);
  EXPECT_EQ(j["currentRevision"], 2);
  EXPECT_EQ(j["revisionCount"], 2);
  EXPECT_EQ(j["current"], false);
  EXPECT_EQ(j["history"].size(), 2U);
  EXPECT_EQ(j["history"][1]["publishedAt"], "2024-01-30T02:00:00Z");
  EXPECT_EQ(j["article"]["headline"], s.a1.headline());
  EXPECT_EQ(j["article"]["issueId"], "cjrb-20240130");
  EXPECT_EQ(j["article"]["contributors"][0]["role"], "REPORTER");
  Article parsed;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(j["article"].dump(), &parsed).ok());
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(parsed, s.a1));

  auto missing = this->store_->get("cjrb-20240130-09-09");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error(), errc::not_found);
}

// ---------------------------------------------------------------------------------------------
// The sink

TYPED_TEST_P(StoreContract, SinkWritesBatchesAndListsRejects) {
  const sample_issue s;
  auto sink = archive_sink([this] { return this->backend_.open(store_options{}); });
  std::vector<syn::sink::envelope> batch;
  const auto add = [&](auto payload) {
    syn::sink::envelope e;
    e.topic = "news.articles.v1";
    e.offset = static_cast<std::int64_t>(batch.size());
    e.payload = std::move(payload);
    batch.push_back(std::move(e));
  };
  add(s.a1);
  add(s.a2);
  Article bad = s.a3;
  bad.set_headline("");
  add(bad);
  add(syndication::v1::TranslationJob{});
  add(s.m);
  const auto v = sink.write(batch);
  EXPECT_EQ(v.kind, syn::sink::verdict::ok) << v.reason;
  ASSERT_EQ(v.rejected.size(), 2U);
  EXPECT_EQ(v.rejected[0].first, 2U);
  EXPECT_NE(v.rejected[0].second.find("headline"), std::string::npos);
  EXPECT_EQ(v.rejected[1].first, 3U);
  EXPECT_NE(v.rejected[1].second.find("TranslationJob"), std::string::npos);
  EXPECT_EQ(sink.name(), "archive");

  // The runner retries the same batch after a timeout it could not tell apart from a failure.
  const auto again = sink.write(batch);
  EXPECT_EQ(again.kind, syn::sink::verdict::ok);
  EXPECT_EQ(again.rejected.size(), 2U);
  EXPECT_EQ(this->backend_.scalar("SELECT count(*) FROM article_revisions"), 2);
  EXPECT_EQ(this->backend_.scalar("SELECT count(*) FROM issue_revisions"), 1);
}

REGISTER_TYPED_TEST_SUITE_P(
    StoreContract, MigrationsRunOnceAndReopeningIsIdempotent, ReadOnlyStoreReadsAndRefusesWrites,
    NewerSchemaIsRefused, SameContentHashNeverMakesASecondRevision, ChangedHashAddsRevisionAndBecomesCurrent,
    ReplayOfAnOlderRevisionLeavesTheCorrectionCurrent, RepublishedOriginalBecomesCurrentAgain,
    WithoutPublishTimesArrivalOrderDecides, ReapplyingTheSameBatchIsHarmless, BatchIsOneTransaction,
    TranslationLinksToItsSourceRevision, TranslationArrivingBeforeItsSourceLinksOnceTheSourceIsStored,
    InvalidRecordsAreRejectedWithAReasonAndTheRestIsStored,
    ManifestRepublishedIsOneRevisionAndACorrectionIsTheNext, ExportReturnsTheIssueInManifestOrder,
    ExportListsMissingArticlesAndHashMismatches, RawBytesRoundTripByteIdentical,
    SearchFindsFourCharacterChineseQueryWithMarkedSnippet, SearchFindsTwoAndOneCharacterChineseQueries,
    SearchRanksByRelevance, SearchRequiresEveryTermAndMixesShortAndLongTerms,
    SearchFiltersByPaperDateAndLanguage, SearchSeesOnlyCurrentRevisions, SearchTreatsQueryCharactersLiterally,
    SearchIsCaseInsensitiveForLatinText, SearchRejectsBadArguments,
    GetJsonIsCanonicalProtobufJsonPlusRevisionMetadata, SinkWritesBatchesAndListsRejects);

}  // namespace syn::archive::test
