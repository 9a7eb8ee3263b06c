// WeChat's message-push callback: signature, PUBLISHJOBFINISH parsing, the ledger update by
// publish_id, and the feed server's /wechat/callback/<account> and status.json.
#include "syn/feed/callback.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "syn/feed/feed_server.hpp"
#include "syn/feed/state.hpp"

namespace cb = syn::feed::callback;

namespace {

syn::feed::draft_record submitted_draft(syn::feed::state_store& s, const std::string& account,
                                        const std::string& media, const std::string& publish_id) {
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

constexpr std::int64_t test_now = 1700000000;

/// A signed request; each call takes a new nonce unless one is given.
syn::http::request callback_request(const std::string& method, const std::string& account,
                                    const std::string& token, std::string body = {}, std::string nonce = {},
                                    const std::string& timestamp = std::to_string(test_now)) {
  static int next_nonce = 8812;
  if (nonce.empty()) nonce = std::to_string(++next_nonce);
  syn::http::request r;
  r.method = method;
  r.path = "/wechat/callback/" + account;
  r.target = r.path;
  r.query["timestamp"] = timestamp;
  r.query["nonce"] = nonce;
  r.query["signature"] = cb::signature(token, timestamp, nonce);
  r.query["echostr"] = "5938475643";
  r.body = std::move(body);
  return r;
}

}  // namespace

TEST(WechatCallback, SignatureIsSha1OfTheSortedTokenTimestampNonce) {
  // sha1("1409304348" + "nonce123" + "token") with the three sorted: "1409304348" < "nonce123" < "token".
  EXPECT_EQ(cb::signature("token", "1409304348", "nonce123"),
            cb::signature("token", "1409304348", "nonce123"));
  EXPECT_EQ(cb::signature("abc", "", ""), "a9993e364706816aba3e25717850c26c9cd0d89d");  // SHA-1("abc")
  EXPECT_EQ(cb::signature("c", "a", "b"), "a9993e364706816aba3e25717850c26c9cd0d89d");  // sorted to "abc"
  const auto sig = cb::signature("secret-token", "1409304348", "nonce123");
  EXPECT_EQ(sig.size(), 40U);
  EXPECT_TRUE(cb::signature_valid("secret-token", "1409304348", "nonce123", sig));
  EXPECT_FALSE(cb::signature_valid("other-token", "1409304348", "nonce123", sig));
  EXPECT_FALSE(cb::signature_valid("secret-token", "1409304349", "nonce123", sig));
  EXPECT_FALSE(cb::signature_valid("secret-token", "1409304348", "nonce123", sig.substr(1)));
  EXPECT_FALSE(cb::signature_valid("secret-token", "1409304348", "nonce123", ""));
  EXPECT_FALSE(
      cb::signature_valid("", "1409304348", "nonce123", cb::signature("", "1409304348", "nonce123")));
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
    const auto e = cb::parse_message(
        event_xml("22475030" + std::to_string(status), status, "", status == 2 ? "1,3" : ""));
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
           "",
           "not xml",
           "<xml><MsgType>event</MsgType>",
           "<root><MsgType>event</MsgType></root>",
           "<xml><MsgType>event</MsgType><Event>PUBLISHJOBFINISH</Event></xml>",
           "<xml><MsgType>event</MsgType><Event>PUBLISHJOBFINISH</Event><PublishEventInfo><publish_status>0"
           "</publish_status></PublishEventInfo></xml>",
           "<xml><MsgType>event</MsgType><Event>PUBLISHJOBFINISH</Event><PublishEventInfo><publish_id>1</"
           "publish_id>"
           "<publish_status>7</publish_status></PublishEventInfo></xml>",
           "<xml><MsgType>event</MsgType><Event>PUBLISHJOBFINISH</Event><PublishEventInfo><publish_id>1</"
           "publish_id>"
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

  EXPECT_EQ(s.record_publish_result({"P1", 0, "ART1", "", "callback", 0}),
            std::optional<std::string>("cjrb"));
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
  o.now = [] { return test_now; };
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
  EXPECT_EQ(h(callback_request("POST", "cjrb", "tok-cjrb",
                               "<xml><MsgType>event</MsgType><Event>subscribe</Event></xml>"))
                .body,
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

namespace {

std::string nested(int depth) {
  std::string x = "<xml>";
  for (int i = 0; i < depth; ++i) x += "<a>";
  for (int i = 0; i < depth; ++i) x += "</a>";
  return x + "</xml>";
}

// A safe-mode push made outside our code (Python `cryptography`, per the platform's technical
// plan): EncodingAESKey below, AppID wx5823bf96d3bd56c7, random "0123456789abcdef", a
// PUBLISHJOBFINISH (publish_id 2247503051, status 0, article_id ART1); its PKCS#7 pad is 17 bytes,
// which only 32-byte padding allows. msg_signature for token tok-cjrb, timestamp 1700000000, nonce 991.
constexpr const char* vector_key = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";
constexpr const char* vector_app = "wx5823bf96d3bd56c7";
constexpr const char* vector_encrypt =
    "Q3stYC6hdFzMh9T8HCvyDNK4PVS7hWLHD7nQ7zqEmjyv5lkB+kPqEUxS8BQecQNsXepaNAy9lvz4/"
    "ZCUx8yvblcwRRdqQwWlcpweC3yWi840O2r2"
    "AEwvWz1tglfIKVsMDih4hc9YRCu01axYlOduaXAwqsygD1Guuk0lHVk0kiESweQoEoTG6iaqr1PbuvoITWLFoDytUcr0ZVXzKOo0W1EQ"
    "iLHcMdkx"
    "OfbYJ/7yp6+9shugMnXzfII63uC54UHzRRrj1BDq0S7v2AbYyONPwTPhrMLB4QJFA4SUUcaae/AoRWG8cH/XVYE0TItbk9HQ/"
    "TgmrukSKkQPCWlv"
    "r1TCjUwjzJBsU2IpAsDTgZkzSkg2Ef/3NNqWkvg9rVOITB5Nk/"
    "aUijuaXI5idGFqGNE3+UR4osr1vadk0sp7FdaiUPuzHOfG6P+zTsi7tbEbj9uc"
    "dtOScNDecRiqKd7qwhJr3zFdpYc1HMRXd+"
    "NRRFCOU2dJM36cL2k7VCR9adkGmttzb3rmTpumyXzR5FDcwIqRUvwGLEeJvuLc1axJpG9eqlTu1MuD"
    "stjMDemQq/Alxi091VvJjVOQsIIzt+Q0V+7VMQ==";
constexpr const char* vector_msg_signature = "1195e7d143679e0fa675f73767212ab8fe87969b";

std::string envelope(const std::string& encrypt) {
  return "<xml><ToUserName><![CDATA[gh_4d00ed8d6399]]></ToUserName><Encrypt><![CDATA[" + encrypt +
         "]]></Encrypt></xml>";
}

}  // namespace

// Issue 16: 50,000 nested elements crashed `serve feeds` (the recursive parser overflowed the stack).
TEST(WechatCallback, DeepNestingIsRefusedNotACrash) {
  const std::string deep = nested(50000);
  EXPECT_GT(deep.size(), 300000U);
  try {
    (void)cb::parse_message(deep);
    ADD_FAILURE() << "accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("more than 65536"), std::string::npos) << e.what();
  }
  // With the size limit out of the way the depth limit holds, at any nesting.
  cb::xml_limits roomy;
  roomy.max_bytes = 1 << 20;
  roomy.max_elements = 1 << 20;
  try {
    (void)cb::parse_message(deep, roomy);
    ADD_FAILURE() << "accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_EQ(std::string(e.what()), "elements nested deeper than 16");
  }
  EXPECT_THROW((void)cb::parse_message(nested(9000)), std::invalid_argument);
  EXPECT_FALSE(cb::parse_message(nested(14)).has_value());  // within the limits: a message, not an event
  std::string wide = "<xml>";
  for (int i = 0; i < 3000; ++i) wide += "<b/>";
  EXPECT_THROW((void)cb::parse_message(wide + "</xml>"), std::invalid_argument);
}

TEST(WechatCallback, DoctypesEntitiesAndDuplicateFieldsAreRefused) {
  const std::string laughs =
      "<?xml version=\"1.0\"?><!DOCTYPE xml [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b "
      "\"&a;&a;&a;&a;&a;&a;&a;&a;\">]>"
      "<xml><MsgType>&b;</MsgType></xml>";
  try {
    (void)cb::parse_message(laughs);
    ADD_FAILURE() << "accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_EQ(std::string(e.what()), "a DOCTYPE is not allowed");
  }
  EXPECT_THROW((void)cb::parse_message("<!DOCTYPE xml SYSTEM \"file:///etc/passwd\"><xml/>"),
               std::invalid_argument);
  // Two publish_ids (which one would be recorded?) or two MsgTypes: refused, not guessed.
  const std::string two_ids =
      "<xml><MsgType>event</MsgType><Event>PUBLISHJOBFINISH</Event><PublishEventInfo><publish_id>1</"
      "publish_id>"
      "<publish_id>2</publish_id><publish_status>0</publish_status></PublishEventInfo></xml>";
  EXPECT_THROW((void)cb::parse_message(two_ids), std::invalid_argument);
  EXPECT_THROW((void)cb::parse_message("<xml><MsgType>event</MsgType><MsgType>text</MsgType></xml>"),
               std::invalid_argument);
  // Text of nested elements is not the field's text.
  EXPECT_FALSE(
      cb::parse_message("<xml><MsgType>ev<x>ent</x></MsgType><Event>PUBLISHJOBFINISH</Event></xml>"));
}

TEST(WechatCallback, SafeModeDecryptsThePlatformsFormat) {
  const auto key = cb::decode_aes_key(vector_key);
  EXPECT_EQ(cb::msg_signature("tok-cjrb", "1700000000", "991", vector_encrypt), vector_msg_signature);
  EXPECT_TRUE(cb::msg_signature_valid("tok-cjrb", "1700000000", "991", vector_encrypt, vector_msg_signature));
  EXPECT_FALSE(
      cb::msg_signature_valid("tok-cjrb", "1700000000", "992", vector_encrypt, vector_msg_signature));
  EXPECT_FALSE(cb::msg_signature_valid("", "1700000000", "991", vector_encrypt, vector_msg_signature));
  EXPECT_EQ(cb::parse_encrypted_envelope(envelope(vector_encrypt)), vector_encrypt);

  const std::string msg = cb::decrypt(key, vector_encrypt, vector_app);
  const auto e = cb::parse_message(msg);
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->publish_id, "2247503051");
  EXPECT_EQ(e->article_id, "ART1");
  EXPECT_EQ(cb::decrypt(key, vector_encrypt, ""), msg);  // AppID not checked when none is configured

  auto refused = [&](const cb::aes_key& k, const std::string& enc, const char* app, const std::string& why) {
    try {
      (void)cb::decrypt(k, enc, app);
      ADD_FAILURE() << "accepted: " << why;
    } catch (const std::invalid_argument& ex) {
      EXPECT_NE(std::string(ex.what()).find(why), std::string::npos) << ex.what();
    }
  };
  refused(key, vector_encrypt, "wx0000000000000000", "another AppID");
  refused(cb::decode_aes_key("Abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"), vector_encrypt, vector_app,
          "padding");
  refused(key, "not base64!", vector_app, "not Base64");
  refused(key, "", vector_app, "not Base64");
  refused(key, std::string(vector_encrypt).substr(0, 128), vector_app, "padding");  // a 96-byte prefix
  refused(key, "QUJD", vector_app, "not a multiple of 32");

  EXPECT_THROW((void)cb::decode_aes_key("short"), std::invalid_argument);
  EXPECT_THROW((void)cb::decode_aes_key("abcdefghijklmnopqrstuvwxyz0123456789ABCDEF+"),
               std::invalid_argument);
  EXPECT_THROW((void)cb::parse_encrypted_envelope("<xml><ToUserName>x</ToUserName></xml>"),
               std::invalid_argument);
}

TEST(WechatCallback, ReplayGuardRefusesStaleTimestampsAndSeenNonces) {
  cb::replay_guard g(std::chrono::seconds(300), 3);
  const std::int64_t now = test_now;
  EXPECT_EQ(g.check("a", "1700000000", "n1", now), cb::freshness::fresh);
  EXPECT_EQ(g.check("a", "1700000000", "n1", now), cb::freshness::replayed);
  EXPECT_EQ(g.check("b", "1700000000", "n1", now), cb::freshness::fresh);  // scoped per account
  EXPECT_EQ(g.check("a", "1699999700", "n2", now), cb::freshness::fresh);  // the window's edge
  EXPECT_EQ(g.check("a", "1699999699", "n3", now), cb::freshness::stale);
  EXPECT_EQ(g.check("a", "1700000301", "n3", now), cb::freshness::stale);
  EXPECT_EQ(g.check("a", "1000000000", "n3", now), cb::freshness::stale);  // 2001
  for (const char* bad : {"", "-5", "17e8", "1700000000x", "99999999999999999999999"}) {
    EXPECT_EQ(g.check("a", bad, "n4", now), cb::freshness::bad_timestamp) << bad;
  }
  EXPECT_EQ(g.check("a", "1700000000", "n5", now), cb::freshness::full);
  g.release("a", "1700000000", "n1");
  EXPECT_EQ(g.check("a", "1700000000", "n1", now), cb::freshness::fresh);
  // Entries leave with their timestamp's window: 400 s later all three have, room again, and
  // the old nonce is stale.
  EXPECT_EQ(g.check("a", "1700000400", "n6", now + 400), cb::freshness::fresh);
  EXPECT_EQ(g.size(), 1U);
  EXPECT_EQ(g.check("a", "1700000000", "n1", now + 400), cb::freshness::stale);
}

// Issue 16: the nonces lived in memory only, so a signed callback replayed after a restart of
// `serve feeds` (within the window) was taken.
TEST(WechatCallback, ReplayGuardWithAJournalRefusesAReplayAfterARestart) {
  const auto dir = std::filesystem::temp_directory_path() / ("syn-nonces-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const auto file = dir / "state.db.nonces";
  const std::int64_t now = test_now;
  {
    cb::replay_guard g;
    g.persist(file, now);
    EXPECT_EQ(g.check("a", "1700000000", "n1", now), cb::freshness::fresh);
    EXPECT_EQ(g.check("a", "1700000000", "n2", now), cb::freshness::fresh);
    EXPECT_EQ(g.check("a", "1699999800", "old", now), cb::freshness::fresh);  // expires at now + 100
    g.release("a", "1700000000", "n2");  // not taken (our error): WeChat's retry must pass
  }
  {
    std::ofstream torn(file, std::ios::app);
    torn << "17000";  // an append cut short by a crash: ignored
  }
  {
    cb::replay_guard g;  // "restarted" 150 s later
    g.persist(file, now + 150);
    EXPECT_EQ(g.size(), 1U) << "n1 only: n2 was released, `old` left the window";
    EXPECT_EQ(g.check("a", "1700000000", "n1", now + 150), cb::freshness::replayed);
    EXPECT_EQ(g.check("a", "1700000000", "n2", now + 150), cb::freshness::fresh);
    EXPECT_EQ(g.check("b", "1700000000", "n1", now + 150), cb::freshness::fresh);
  }
  {
    cb::replay_guard g;  // and again: what the second run took is kept too
    g.persist(file, now + 200);
    EXPECT_EQ(g.check("a", "1700000000", "n2", now + 200), cb::freshness::replayed);
    EXPECT_EQ(g.check("b", "1700000000", "n1", now + 200), cb::freshness::replayed);
  }
  // Opening compacts: only live entries stay in the file.
  {
    cb::replay_guard g;
    g.persist(file, now + 301);  // every timestamp above is out of the window now
    EXPECT_EQ(g.size(), 0U);
  }
  EXPECT_EQ(std::filesystem::file_size(file), 0U);
  // A symlink in the journal's place is refused, not written through.
  std::filesystem::remove(file);
  std::filesystem::create_symlink(dir / "elsewhere", file);
  cb::replay_guard g;
  EXPECT_THROW(g.persist(file, now), std::runtime_error);
  EXPECT_FALSE(std::filesystem::exists(dir / "elsewhere"));
  std::filesystem::remove_all(dir);
}

// Many signed callbacks: the journal is rewritten as entries expire and stays bounded.
TEST(WechatCallback, NonceJournalStaysBoundedByTheWindow) {
  const auto dir = std::filesystem::temp_directory_path() / ("syn-nonces-b-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const auto file = dir / "j";
  cb::replay_guard g(std::chrono::seconds(10));
  g.persist(file, test_now);
  for (int i = 0; i < 1500; ++i) {
    const std::int64_t t = test_now + i / 10;  // 10 callbacks a second for 150 s
    ASSERT_EQ(g.check("a", std::to_string(t), "n" + std::to_string(i), t), cb::freshness::fresh);
  }
  EXPECT_LE(g.size(), 110U);
  std::ifstream in(file);
  const auto lines = std::count(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>(), '\n');
  EXPECT_LE(lines, 1025 + 110) << "the journal was never compacted";
  std::filesystem::remove_all(dir);
}

TEST(WechatCallback, FeedServerRefusesReplaysStaleAndOversizeCallbacks) {
  auto s = std::make_shared<syn::feed::state_store>(":memory:");
  submitted_draft(*s, "cjrb", "M1", "P1");
  syn::feed::feed_server_options o;
  o.accounts = {"cjrb"};
  o.callback_tokens = {{"cjrb", "tok-cjrb"}};
  o.now = [] { return test_now; };
  const auto h = syn::feed::make_feed_handler(s, o);

  const auto first = callback_request("POST", "cjrb", "tok-cjrb", event_xml("P1", 3), "777");
  EXPECT_EQ(h(first).status, 200U);
  EXPECT_EQ(s->drafts("cjrb")[0].status, "failed");
  // The same signed URL again, with another body: refused, the ledger keeps the first.
  auto replay = first;
  replay.body = event_xml("P1", 0, "FORGED");
  const auto r = h(replay);
  EXPECT_EQ(r.status, 403U);
  EXPECT_EQ(r.body, "replayed nonce\n");
  EXPECT_EQ(s->drafts("cjrb")[0].status, "failed");
  // A correctly signed request from 2001, or from 301 s ahead.
  EXPECT_EQ(h(callback_request("POST", "cjrb", "tok-cjrb", event_xml("P1", 0), "", "1000000000")).body,
            "stale timestamp\n");
  EXPECT_EQ(h(callback_request("POST", "cjrb", "tok-cjrb", event_xml("P1", 0), "", "1700000301")).status,
            403U);
  EXPECT_EQ(h(callback_request("GET", "cjrb", "tok-cjrb", "", "", "1000000000")).status, 403U);
  EXPECT_EQ(s->drafts("cjrb")[0].status, "failed");
  // 50,000 nested elements: 413 before any parsing; 9,000 (within the size): 400. Alive after.
  EXPECT_EQ(h(callback_request("POST", "cjrb", "tok-cjrb", nested(50000))).status, 413U);
  const auto deep = h(callback_request("POST", "cjrb", "tok-cjrb", nested(9000)));
  EXPECT_EQ(deep.status, 400U);
  EXPECT_EQ(deep.body, "elements nested deeper than 16\n");
  EXPECT_EQ(h(callback_request("POST", "cjrb", "tok-cjrb", event_xml("P1", 0, "ART1"))).status, 200U);
  EXPECT_EQ(s->drafts("cjrb")[0].status, "published");
}

// Issue 16: 30 unsigned 4 MiB callback bodies raised `serve feeds` from 17 to 136 MB, because the
// signature was checked after the body was read. The authoriser sees only the head.
TEST(WechatCallback, UnsignedStaleOrUnknownCallbacksAreRefusedFromTheirHead) {
  syn::feed::feed_server_options o;
  o.accounts = {"cjrb", "safe"};
  o.callback_tokens = {{"cjrb", "tok-cjrb"}, {"safe", "tok-safe"}};
  o.now = [] { return test_now; };
  const auto authorise = syn::feed::make_feed_authoriser(o);

  EXPECT_FALSE(authorise(callback_request("POST", "cjrb", "tok-cjrb")).has_value());
  EXPECT_FALSE(authorise(callback_request("GET", "cjrb", "wrong")).has_value());  // GET has no body
  auto unsigned_post = callback_request("POST", "cjrb", "wrong-token");
  const auto bad = authorise(unsigned_post);
  ASSERT_TRUE(bad.has_value());
  EXPECT_EQ(bad->status, 403U);
  EXPECT_EQ(bad->body, "bad signature\n");
  unsigned_post.query.erase("signature");
  EXPECT_EQ(authorise(unsigned_post).value_or(syn::http::response{}).status, 403U);
  const auto stale = authorise(callback_request("POST", "cjrb", "tok-cjrb", "", "", "1000000000"));
  ASSERT_TRUE(stale.has_value());
  EXPECT_EQ(stale->body, "stale timestamp\n");
  EXPECT_EQ(authorise(callback_request("POST", "cjrb", "tok-cjrb", "", "", "17x"))
                .value_or(syn::http::response{})
                .status,
            403U);
  EXPECT_EQ(authorise(callback_request("POST", "nobody", "tok-cjrb")).value_or(syn::http::response{}).status,
            404U);
  // Safe mode without msg_signature cannot be checked later either: refused now.
  auto safe = callback_request("POST", "safe", "tok-safe");
  safe.query.erase("signature");
  safe.query["encrypt_type"] = "aes";
  EXPECT_EQ(authorise(safe).value_or(syn::http::response{}).status, 403U);
  safe.query["msg_signature"] = "checked-with-the-body";
  EXPECT_FALSE(authorise(safe).has_value());
  // The pages take no bodies at all.
  syn::http::request page;
  page.method = "POST";
  page.path = page.target = "/feeds/cjrb.xml";
  EXPECT_EQ(authorise(page).value_or(syn::http::response{}).status, 405U);
  page.method = "GET";
  EXPECT_FALSE(authorise(page).has_value());
}

TEST(WechatCallback, FeedServerInSafeModeTakesOnlyEncryptedSignedBodies) {
  auto s = std::make_shared<syn::feed::state_store>(":memory:");
  submitted_draft(*s, "cjrb", "M1", "2247503051");
  syn::feed::feed_server_options o;
  o.accounts = {"cjrb", "plain"};
  o.callback_tokens = {{"cjrb", "tok-cjrb"}, {"plain", "tok-cjrb"}};
  o.encoding_aes_keys = {{"cjrb", vector_key}};
  o.app_ids = {{"cjrb", vector_app}};
  o.now = [] { return test_now; };
  const auto h = syn::feed::make_feed_handler(s, o);
  auto encrypted = [](const std::string& account, std::string body, const std::string& msg_sig,
                      const std::string& nonce = "991") {
    auto r = callback_request("POST", account, "tok-cjrb", std::move(body), nonce);
    r.query["encrypt_type"] = "aes";
    r.query["msg_signature"] = msg_sig;
    return r;
  };

  // A plain-text push to a safe-mode account: refused, whatever its signature.
  EXPECT_EQ(h(callback_request("POST", "cjrb", "tok-cjrb", event_xml("2247503051", 0))).status, 403U);
  // The body changed under a valid URL: msg_signature does not hold.
  std::string tampered = vector_encrypt;
  tampered[10] = tampered[10] == 'A' ? 'B' : 'A';
  EXPECT_EQ(h(encrypted("cjrb", envelope(tampered), vector_msg_signature)).status, 403U);
  EXPECT_EQ(h(encrypted("cjrb", envelope(vector_encrypt), std::string(40, '0'))).status, 403U);
  EXPECT_EQ(s->drafts("cjrb")[0].status, "submitted");

  const auto ok = h(encrypted("cjrb", envelope(vector_encrypt), vector_msg_signature));
  EXPECT_EQ(ok.status, 200U);
  EXPECT_EQ(ok.body, "success");
  EXPECT_EQ(s->drafts("cjrb")[0].status, "published");
  EXPECT_EQ(s->publish_results("cjrb")[0].article_id, "ART1");
  // The same push again (same nonce): refused.
  EXPECT_EQ(h(encrypted("cjrb", envelope(vector_encrypt), vector_msg_signature)).status, 403U);
  // An account without an EncodingAESKey cannot read it.
  EXPECT_EQ(h(encrypted("plain", envelope(vector_encrypt), vector_msg_signature)).status, 400U);

  o.encoding_aes_keys = {{"cjrb", "not-a-key"}};
  EXPECT_THROW((void)syn::feed::make_feed_handler(s, o), std::invalid_argument);
}
