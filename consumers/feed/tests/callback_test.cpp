// WeChat's message-push callback: signature, PUBLISHJOBFINISH parsing, the ledger update by
// publish_id, and the feed server's /wechat/callback/<account> and status.json.
#include "syn/feed/callback.hpp"
#include "syn/feed/feed_server.hpp"
#include "syn/feed/state.hpp"

#include <nlohmann/json.hpp>

#include <gtest/gtest.h>

#include <stdexcept>

namespace cb = syn::feed::callback;

namespace {

syn::feed::draft_record submitted_draft(syn::feed::state_store& s, const std::string& account, const std::string& media,
                                        const std::string& publish_id) {
  syn::feed::draft_record d;
  d.media_id = media, d.account = account, d.issue_id = "cjrb-20240130", d.status = "added";
  d.articles = {{account + "-a1", "h1", 1, 1}};
  s.record_draft(d, "wx1");
  s.record_submitted(media, publish_id, "MSG" + publish_id);
  return d;
}

std::string event_xml(const std::string& publish_id, int status, const std::string& article_id = "",
                      const std::string& fail_idx = "") {
  cb::publish_event e;
  e.to_user = "gh_4d00ed8d6399", e.from_user = "oV5CrjpxgaGXNHIQigzNlgLTnwic", e.create_time = 1481013459;
  e.publish_id = publish_id, e.publish_status = status, e.article_id = article_id, e.fail_idx = fail_idx;
  return cb::publish_event_xml(e);
}

syn::http::request callback_request(const std::string& method, const std::string& account, const std::string& token,
                                    std::string body = {}) {
  syn::http::request r;
  r.method = method;
  r.path = "/wechat/callback/" + account;
  r.target = r.path;
  r.query["timestamp"] = "1700000000";
  r.query["nonce"] = "8812";
  r.query["signature"] = cb::signature(token, "1700000000", "8812");
  r.query["echostr"] = "5938475643";
  r.body = std::move(body);
  return r;
}

}  // namespace

TEST(WechatCallback, SignatureIsSha1OfTheSortedTokenTimestampNonce) {
  // sha1("1409304348" + "nonce123" + "token") with the three sorted: "1409304348" < "nonce123" < "token".
  EXPECT_EQ(cb::signature("token", "1409304348", "nonce123"), cb::signature("token", "1409304348", "nonce123"));
  EXPECT_EQ(cb::signature("abc", "", ""), "a9993e364706816aba3e25717850c26c9cd0d89d");  // SHA-1("abc")
  EXPECT_EQ(cb::signature("c", "a", "b"), "a9993e364706816aba3e25717850c26c9cd0d89d");  // sorted to "abc"
  const auto sig = cb::signature("secret-token", "1409304348", "nonce123");
  EXPECT_EQ(sig.size(), 40U);
  EXPECT_TRUE(cb::signature_valid("secret-token", "1409304348", "nonce123", sig));
  EXPECT_FALSE(cb::signature_valid("other-token", "1409304348", "nonce123", sig));
  EXPECT_FALSE(cb::signature_valid("secret-token", "1409304349", "nonce123", sig));
  EXPECT_FALSE(cb::signature_valid("secret-token", "1409304348", "nonce123", sig.substr(1)));
  EXPECT_FALSE(cb::signature_valid("secret-token", "1409304348", "nonce123", ""));
  EXPECT_FALSE(cb::signature_valid("", "1409304348", "nonce123", cb::signature("", "1409304348", "nonce123")));
}

TEST(WechatCallback, ParsesPublishJobFinishWithEveryStatus) {
  const std::string official =
      "<xml><ToUserName><![CDATA[gh_4d00ed8d6399]]></ToUserName>"
      "<FromUserName><![CDATA[oV5CrjpxgaGXNHIQigzNlgLTnwic]]></FromUserName>"
      "<CreateTime>1481013459</CreateTime><MsgType><![CDATA[event]]></MsgType>"
      "<Event><![CDATA[PUBLISHJOBFINISH]]></Event><PublishEventInfo>"
      "<publish_id>2247503051</publish_id><publish_status>0</publish_status>"
      "<article_id><![CDATA[b5O2OUs25HBxRceL7hfReg-U9QGeq9zQjiDvy\nWP4Hq4]]></article_id>"
      "<article_detail><count>1</count><item><idx>1</idx>"
      "<article_url><![CDATA[ARTICLE_URL]]></article_url></item></article_detail>"
      "</PublishEventInfo></xml>";
  const auto ok = cb::parse_message(official);
  ASSERT_TRUE(ok.has_value());
  EXPECT_EQ(ok->publish_id, "2247503051");
  EXPECT_EQ(ok->publish_status, 0);
  EXPECT_EQ(ok->article_id, "b5O2OUs25HBxRceL7hfReg-U9QGeq9zQjiDvy\nWP4Hq4");
  EXPECT_EQ(ok->to_user, "gh_4d00ed8d6399");
  EXPECT_EQ(ok->create_time, 1481013459);

  for (int status = 0; status <= 6; ++status) {
    const auto e = cb::parse_message(event_xml("22475030" + std::to_string(status), status, "", status == 2 ? "1,3" : ""));
    ASSERT_TRUE(e.has_value()) << status;
    EXPECT_EQ(e->publish_status, status);
    EXPECT_EQ(e->publish_id, "22475030" + std::to_string(status));
    EXPECT_EQ(e->fail_idx, status == 2 ? "1,3" : "");
  }
  EXPECT_EQ(syn::feed::publish_status_name(0), "published");
  EXPECT_EQ(syn::feed::publish_status_name(1), "publishing");
  EXPECT_EQ(syn::feed::publish_status_name(2), "original_check_failed");
  EXPECT_EQ(syn::feed::publish_status_name(3), "failed");
  EXPECT_EQ(syn::feed::publish_status_name(4), "rejected");
  EXPECT_EQ(syn::feed::publish_status_name(5), "deleted");
  EXPECT_EQ(syn::feed::publish_status_name(6), "banned");
  EXPECT_EQ(syn::feed::publish_status_name(7), "unknown");
}

TEST(WechatCallback, OtherMessagesAreNotEventsAndMalformedXmlIsRejected) {
  EXPECT_FALSE(cb::parse_message("<xml><MsgType>text</MsgType><Content>hi</Content></xml>").has_value());
  EXPECT_FALSE(cb::parse_message("<xml><MsgType>event</MsgType><Event>subscribe</Event></xml>").has_value());
  for (const std::string bad : {
           "", "not xml", "<xml><MsgType>event</MsgType>", "<root><MsgType>event</MsgType></root>",
           "<xml><MsgType>event</MsgType><Event>PUBLISHJOBFINISH</Event></xml>",
           "<xml><MsgType>event</MsgType><Event>PUBLISHJOBFINISH</Event><PublishEventInfo><publish_status>0"
           "</publish_status></PublishEventInfo></xml>",
           "<xml><MsgType>event</MsgType><Event>PUBLISHJOBFINISH</Event><PublishEventInfo><publish_id>1</publish_id>"
           "<publish_status>7</publish_status></PublishEventInfo></xml>",
           "<xml><MsgType>event</MsgType><Event>PUBLISHJOBFINISH</Event><PublishEventInfo><publish_id>1</publish_id>"
           "<publish_status>0x</publish_status></PublishEventInfo></xml>",
       }) {
    EXPECT_THROW((void)cb::parse_message(bad), std::invalid_argument) << bad;
  }
}

TEST(WechatCallback, LedgerRecordsTheResultByPublishId) {
  syn::feed::state_store s(":memory:");
  submitted_draft(s, "cjrb", "M1", "P1");
  submitted_draft(s, "cjrb", "M2", "P2");
  EXPECT_EQ(s.unsettled_publishes(INT64_MAX).size(), 2U);

  EXPECT_EQ(s.record_publish_result({"P1", 0, "ART1", "", "callback", 0}), std::optional<std::string>("cjrb"));
  EXPECT_EQ(s.record_publish_result({"P2", 3, "", "1", "callback", 0}), std::optional<std::string>("cjrb"));
  EXPECT_EQ(s.record_publish_result({"P9", 0, "", "", "callback", 0}), std::nullopt);  // no such publish_id

  const auto drafts = s.drafts("cjrb");
  ASSERT_EQ(drafts.size(), 2U);
  EXPECT_EQ(drafts[0].status, "published");
  EXPECT_EQ(drafts[1].status, "failed");
  const auto results = s.publish_results("cjrb");
  ASSERT_EQ(results.size(), 2U);
  EXPECT_EQ(results[0].article_id, "ART1");
  EXPECT_EQ(results[1].status, 3);
  EXPECT_EQ(results[1].fail_idx, "1");
  EXPECT_TRUE(s.unsettled_publishes(INT64_MAX).empty());

  // A later event for the same publish_id (deleted after success) replaces the result.
  EXPECT_TRUE(s.record_publish_result({"P1", 5, "", "", "callback", 0}).has_value());
  EXPECT_EQ(s.drafts("cjrb")[0].status, "deleted");
  EXPECT_EQ(s.publish_results("cjrb").size(), 2U);
}

TEST(WechatCallback, FeedServerVerifiesAndRecords) {
  auto s = std::make_shared<syn::feed::state_store>(":memory:");
  submitted_draft(*s, "cjrb", "M1", "P1");
  submitted_draft(*s, "cjrb", "M2", "P2");
  syn::feed::feed_server_options o;
  o.accounts = {"cjrb", "notoken"};
  o.callback_tokens = {{"cjrb", "tok-cjrb"}};
  const auto h = syn::feed::make_feed_handler(s, o);

  // URL verification: echostr back with the right signature, 403 otherwise.
  auto verify = h(callback_request("GET", "cjrb", "tok-cjrb"));
  EXPECT_EQ(verify.status, 200U);
  EXPECT_EQ(verify.body, "5938475643");
  EXPECT_EQ(h(callback_request("GET", "cjrb", "wrong")).status, 403U);
  EXPECT_EQ(h(callback_request("GET", "notoken", "")).status, 403U);
  EXPECT_EQ(h(callback_request("GET", "nobody", "tok-cjrb")).status, 404U);

  auto bad_sig = h(callback_request("POST", "cjrb", "wrong", event_xml("P1", 0, "ART1")));
  EXPECT_EQ(bad_sig.status, 403U);
  EXPECT_EQ(s->drafts("cjrb")[0].status, "submitted");
  EXPECT_EQ(h(callback_request("POST", "cjrb", "tok-cjrb", "<xml><MsgType>event")).status, 400U);
  EXPECT_EQ(h(callback_request("PUT", "cjrb", "tok-cjrb")).status, 405U);

  auto ok = h(callback_request("POST", "cjrb", "tok-cjrb", event_xml("P1", 0, "ART1")));
  EXPECT_EQ(ok.status, 200U);
  EXPECT_EQ(ok.body, "success");
  auto rejected = h(callback_request("POST", "cjrb", "tok-cjrb", event_xml("P2", 4)));
  EXPECT_EQ(rejected.status, 200U);
  // Unknown publish_id and other events: acknowledged, nothing recorded.
  EXPECT_EQ(h(callback_request("POST", "cjrb", "tok-cjrb", event_xml("P404", 0))).body, "success");
  EXPECT_EQ(h(callback_request("POST", "cjrb", "tok-cjrb", "<xml><MsgType>event</MsgType><Event>subscribe</Event></xml>")).body,
            "success");

  syn::http::request st;
  st.method = "GET", st.path = "/feeds/cjrb/status.json", st.target = st.path;
  auto status = h(st);
  ASSERT_EQ(status.status, 200U);
  const auto j = nlohmann::json::parse(status.body);
  EXPECT_EQ(j["draft_status_counts"]["published"], 1);
  EXPECT_EQ(j["draft_status_counts"]["rejected"], 1);
  ASSERT_EQ(j["publish_results"].size(), 2U);
  EXPECT_EQ(j["publish_results"][0]["article_id"], "ART1");
  EXPECT_EQ(j["publish_results"][1]["status"], "rejected");
  st.path = "/feeds/nobody/status.json";
  EXPECT_EQ(h(st).status, 404U);
}
