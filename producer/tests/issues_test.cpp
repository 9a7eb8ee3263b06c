// Issue 3, point 4: three more issues, composed for these tests, each with conventions the
// fixture does not have. Expected values are written by hand from the test files.
#include <gtest/gtest.h>

#include "test_support.hpp"

namespace {

using namespace syn::producer;
using syn::producer::testing::read_data;
using syn::producer::testing::split;
using syndication::v1::Article;
using syndication::v1::Block;
using syndication::v1::Contributor;

struct person {
  std::string name;
  Contributor::Role role;
};

void expect_people(const Article& a, const std::vector<person>& want) {
  ASSERT_EQ(a.contributors_size(), static_cast<int>(want.size())) << a.headline();
  for (std::size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(a.contributors(static_cast<int>(i)).name(), want[i].name) << a.headline();
    EXPECT_EQ(a.contributors(static_cast<int>(i)).role(), want[i].role) << a.headline();
  }
}

std::vector<std::string> texts(const Article& a) {
  std::vector<std::string> out;
  for (const auto& b : a.blocks()) out.push_back(b.text());
  return out;
}

// 北疆日报: UTF-8 with BOM, ■/◎ bylines, full-width parenthesised datelines, a three-line
// heading, a 【】 kicker, an inline bracketed photo credit, a 简讯 column, a ·-name.
class Beijiang : public ::testing::Test {
 protected:
  void SetUp() override { r = split(read_data("issues/beijiang-daily-2024-03-12-p1.txt")); }
  split_result r;
};

TEST_F(Beijiang, Masthead) {
  const auto& m = r.manifest;
  EXPECT_EQ(m.issue_id(), "bjrb-20240312");
  EXPECT_EQ(m.paper().name(), "北疆日报");
  EXPECT_EQ(m.paper().publisher(), "北疆日报社");
  EXPECT_EQ(m.paper().cn_number(), "CN 65-0001");
  EXPECT_EQ(m.paper().postal_code(), "57-1");
  EXPECT_EQ(m.paper().website(), "www.beijiang-daily.cn");
  EXPECT_EQ(m.paper().hotline(), "0901-6221234");
  EXPECT_EQ(m.paper().email(), "");
  EXPECT_EQ(m.weekday(), "星期二");
  EXPECT_EQ(m.lunar_date(), "甲辰年二月初三");
  EXPECT_EQ(m.issue_number(), 20481U);
  EXPECT_EQ(m.page_count(), 12U);
  EXPECT_EQ(m.warnings_size(), 0);
}

TEST_F(Beijiang, Articles) {
  ASSERT_EQ(r.articles.size(), 7U);
  const Article& a1 = r.articles[0];
  EXPECT_EQ(a1.id(), "bjrb-20240312-01-01");
  EXPECT_EQ(a1.kicker(), "春耕备耕正当时");  // three headings before the byline
  EXPECT_EQ(a1.headline(), "全区春播物资储备充足");
  EXPECT_EQ(a1.subheadline(), "化肥农药储备量同比增长12%");  // `——` taken off
  expect_people(a1, {{"王磊", Contributor::REPORTER}, {"李娜", Contributor::CORRESPONDENT}});
  EXPECT_TRUE(a1.dateline_lead());
  EXPECT_EQ(a1.dateline(), "本报讯");
  ASSERT_EQ(a1.blocks_size(), 4);
  EXPECT_EQ(a1.blocks(0).text(),
            "3月11日，记者从地区农业农村局获悉，今年全区计划春播农作物面积达420万亩，目前化肥、农药、种子等春"
            "播物资储备充足，能够满足春耕生产需要。");
  EXPECT_EQ(a1.blocks(3).text(),
            "全区农机具检修工作已于2月底全面完成，共检修各类农机具3."
            "2万台（套），北斗导航自动驾驶系统安装量达到4600台。");

  const Article& a2 = r.articles[1];
  EXPECT_EQ(a2.headline(), "地区召开优化营商环境推进会");
  EXPECT_EQ(a2.kicker(), "");
  expect_people(a2, {{"张晓燕", Contributor::REPORTER}, {"马建军", Contributor::CORRESPONDENT}});
  EXPECT_TRUE(a2.dateline_lead());
  ASSERT_EQ(a2.blocks_size(), 3);
  EXPECT_EQ(a2.blocks(0).text(), "3月11日，地区优化营商环境工作推进会召开，总结去年工作，部署今年重点任务。");

  const Article& a3 = r.articles[2];
  EXPECT_EQ(a3.kicker(), "关注春季植树");
  EXPECT_EQ(a3.headline(), "城区春季义务植树活动启动");
  expect_people(a3, {{"陈晨", Contributor::REPORTER}, {"陈晨", Contributor::PHOTOGRAPHER}});
  EXPECT_FALSE(a3.dateline_lead());
  EXPECT_EQ(texts(a3),
            (std::vector<std::string>{"3月10日，“绿满北疆”春季义务植树活动在城北生态公园启动，来自机关、企业"
                                      "、学校的1200余名志愿者挥锹培土，栽下榆树、白蜡等苗木8000余株。",
                                      "据了解，今年全区计划完成造林绿化面积5."
                                      "6万亩，新建城市公园和口袋公园12个，进一步提升城市绿化覆盖率。",
                                      "“每年都来种树，看着小树苗一年年长大，很有成就感。”志愿者刘雅琴说。"}));
  ASSERT_EQ(a3.photos_size(), 1);
  EXPECT_EQ(a3.photos(0).caption(), "志愿者在城北生态公园植树。");
  EXPECT_EQ(a3.photos(0).credit(), "本报记者 陈晨");
  EXPECT_EQ(a3.photos(0).after_block(), 2U);
}

TEST_F(Beijiang, BriefsAreSeparateArticles) {
  ASSERT_EQ(r.articles.size(), 7U);
  const Article& b1 = r.articles[3];
  const Article& b2 = r.articles[4];
  const Article& b3 = r.articles[5];
  for (const Article* b : {&b1, &b2, &b3}) {
    EXPECT_EQ(b->kicker(), "简讯");  // the column's name (`简  讯`)
    EXPECT_TRUE(b->dateline_lead());
    EXPECT_EQ(b->blocks_size(), 1);
  }
  EXPECT_EQ(b1.headline(), "地区启动春季消防安全检查");
  expect_people(b1, {{"刘洋", Contributor::CORRESPONDENT}});
  EXPECT_EQ(b1.blocks(0).text(),
            "近日，地区消防救援支队启动为期两个月的春季消防安全检查，重点检查人员密集场所和“九小场所”。");
  EXPECT_EQ(b2.headline(), "北疆职业技术学院新增3个专业");
  expect_people(b2, {{"张晓燕", Contributor::REPORTER}});
  EXPECT_EQ(b3.headline(), "全区首条5G智慧公交线路开通");
  expect_people(b3, {});
  EXPECT_EQ(b3.blocks(0).text(),
            "3月8日，全区首条5G智慧公交线路——城区1路正式开通，车辆配备智能调度和客流统计系统。");
  EXPECT_EQ(b3.id(), "bjrb-20240312-01-06");
}

TEST_F(Beijiang, KickerEndsTheBriefsColumn) {
  ASSERT_EQ(r.articles.size(), 7U);
  const Article& a = r.articles[6];
  EXPECT_EQ(a.kicker(), "一线见闻");
  EXPECT_EQ(a.headline(), "牧民新居迎新春");
  expect_people(a, {{"古丽米拉·阿不都", Contributor::REPORTER}});  // `◎` byline, a ·-joined name
  EXPECT_EQ(a.blocks_size(), 2);
  EXPECT_FALSE(a.dateline_lead());
}

// 河西商报: GB18030 with CRLF, a paper not in the config (code from its CN number), a page
// header naming the page, wrapped lines with ideographic-space indentation, a 本报兰州…讯
// dateline, a jump line, a credit line `记者 X 摄`, a closing attribution, a no-byline article.
class Hexi : public ::testing::Test {
 protected:
  void SetUp() override { r = split(read_data("issues/hexi-business-2024-05-20-p3.txt")); }
  split_result r;
};

TEST_F(Hexi, IsReallyGb18030WithCrlf) {
  const std::string raw = read_data("issues/hexi-business-2024-05-20-p3.txt");
  EXPECT_NE(raw.find("\r\n"), std::string::npos);
  EXPECT_EQ(raw.find("河西"), std::string::npos);  // not UTF-8
}

TEST_F(Hexi, PaperCodeFromTheCnNumberAndPageFromTheHeader) {
  const auto& m = r.manifest;
  EXPECT_EQ(m.paper().code(), "cn62-0038");
  EXPECT_EQ(m.paper().name(), "河西商报");
  EXPECT_EQ(m.issue_id(), "cn62-0038-20240520");
  EXPECT_EQ(m.weekday(), "星期一");
  ASSERT_EQ(m.pages_size(), 1);
  EXPECT_EQ(m.pages(0), 3U);
  ASSERT_EQ(r.articles.size(), 3U);
  EXPECT_EQ(r.articles[0].id(), "cn62-0038-20240520-03-01");
  EXPECT_EQ(r.articles[2].id(), "cn62-0038-20240520-03-03");
  EXPECT_EQ(r.articles[1].page(), 3U);
}

TEST_F(Hexi, Articles) {
  ASSERT_EQ(r.articles.size(), 3U);
  const Article& a1 = r.articles[0];
  EXPECT_EQ(a1.headline(), "河西走廊文旅消费持续升温");
  EXPECT_EQ(a1.dateline(), "本报兰州5月19日讯");
  EXPECT_TRUE(a1.dateline_lead());
  expect_people(a1, {{"赵文博", Contributor::REPORTER}, {"赵文博", Contributor::PHOTOGRAPHER}});
  EXPECT_EQ(texts(a1),
            (std::vector<std::string>{"记者从省文旅厅获悉，“五一”假期以来，河西走廊沿线景区接待游客人次同比增"
                                      "长23.6%，旅游收入同比增长31.2%，文旅消费持续升温。",
                                      "在敦煌莫高窟数字展示中心，来自各地的游客排队体验数字洞窟。景区负责人介"
                                      "绍，今年以来，数字展示中心日均接待游客超过8000人次。",
                                      "在张掖七彩丹霞景区，新推出的夜游项目吸引了大批游客。"}));
  EXPECT_EQ(a1.continued_on_page(), 4U);  // `（下转第4版）`, not kept as text
  ASSERT_EQ(a1.photos_size(), 1);
  EXPECT_EQ(a1.photos(0).caption(), "游客在敦煌鸣沙山月牙泉景区骑骆驼游览");
  EXPECT_EQ(a1.photos(0).credit(), "记者 赵文博");
  EXPECT_EQ(a1.photos(0).after_block(), 3U);

  const Article& a2 = r.articles[1];
  EXPECT_EQ(a2.headline(), "兰州新区新增两条国际货运班列线路");
  EXPECT_TRUE(a2.dateline_lead());
  expect_people(a2, {{"马晓东", Contributor::REPORTER}});  // `（记者 马晓东）` at the end
  ASSERT_EQ(a2.blocks_size(), 2);
  EXPECT_EQ(a2.blocks(0).text(),
            "兰州新区综合保税区日前新开通至中亚和欧洲的两条国际货运班列线路，每周各开行两列。");
  EXPECT_EQ(a2.blocks(1).text(),
            "据介绍，新线路开通后，兰州新区国际货运班列线路增加到12条，覆盖中亚、欧洲和东南亚等地区。");

  const Article& a3 = r.articles[2];
  EXPECT_EQ(a3.headline(), "夏粮收购准备工作全面展开");
  expect_people(a3, {});
  EXPECT_FALSE(a3.dateline_lead());
  EXPECT_EQ(texts(a3),
            (std::vector<std::string>{
                "眼下，我省各地夏粮收购准备工作全面展开，各收储企业已完成仓容清理、设备检修等工作。",
                "据统计，全省可用于夏粮收购的有效仓容达到320万吨。"}));
}

// 滨海都市报: page 2 opening with a 上接 line, ◎ byline with an intern, ● sub-heads, Latin and
// digits mixed into Chinese, an inline 下转 jump, `记者 X 摄` credit, an inline 编者按,
// articles without a byline (one closed by an attribution, one with nothing).
class Binhai : public ::testing::Test {
 protected:
  void SetUp() override { r = split(read_data("issues/binhai-metro-2024-06-18-p2.txt")); }
  split_result r;
};

TEST_F(Binhai, Masthead) {
  const auto& m = r.manifest;
  EXPECT_EQ(m.issue_id(), "bhdsb-20240618");
  EXPECT_EQ(m.paper().name(), "滨海都市报");
  EXPECT_EQ(m.paper().publisher(), "滨海都市报社");
  EXPECT_EQ(m.lunar_date(), "甲辰年五月十三");
  EXPECT_EQ(m.pages(0), 2U);
}

TEST_F(Binhai, ContinuedArticleWithSubheadsAndLatin) {
  ASSERT_EQ(r.articles.size(), 3U);
  const Article& a = r.articles[0];
  EXPECT_EQ(a.id(), "bhdsb-20240618-02-01");
  EXPECT_EQ(a.continued_from_page(), 1U);
  EXPECT_EQ(a.continued_on_page(), 3U);
  EXPECT_EQ(a.headline(), "“618”购物节带火本地消费");
  expect_people(a, {{"林海", Contributor::REPORTER},
                    {"周雨桐", Contributor::INTERN},
                    {"林海", Contributor::PHOTOGRAPHER}});
  ASSERT_EQ(a.blocks_size(), 7);
  EXPECT_EQ(a.blocks(0).text(),
            "在滨海新区一家手机卖场，iPhone 15 "
            "Pro等新款手机前围满了顾客。店长介绍，6月以来门店销售额环比增长近四成。");
  EXPECT_EQ(a.blocks(1).text(),
            "据市商务局统计，今年“618”期间，全市重点商贸企业线上线下销售额同比增长18.5%"
            "，其中家电、数码产品增长最为明显。");
  EXPECT_EQ(a.blocks(2).kind(), Block::SUBHEAD);
  EXPECT_EQ(a.blocks(2).text(), "以旧换新成亮点");
  EXPECT_EQ(a.blocks(3).text(), "“以旧换新补贴能省下1000多元，很划算。”正在选购冰箱的市民王女士说。");
  EXPECT_EQ(a.blocks(4).text(), "今年以来，全市累计发放以旧换新补贴资金2.3亿元，带动消费15亿元。");
  EXPECT_EQ(a.blocks(5).kind(), Block::SUBHEAD);
  EXPECT_EQ(a.blocks(5).text(), "夜间经济添活力");
  EXPECT_EQ(
      a.blocks(6).text(),
      "每到夜晚，滨海夜市人流如织，美食摊位前排起长队。夜市运营方表示，5G基站全覆盖让扫码支付更加顺畅。");
  ASSERT_EQ(a.photos_size(), 1);
  EXPECT_EQ(a.photos(0).caption(), "市民在滨海夜市选购特色小吃");
  EXPECT_EQ(a.photos(0).credit(), "记者 林海");
  EXPECT_EQ(a.photos(0).after_block(), 7U);
}

TEST_F(Binhai, EditorNoteAndClosingAttribution) {
  ASSERT_EQ(r.articles.size(), 3U);
  const Article& a = r.articles[1];
  EXPECT_EQ(a.headline(), "我市今年将新建5G基站3000个");
  expect_people(a, {{"林海", Contributor::REPORTER}, {"郑晓", Contributor::CORRESPONDENT}});
  ASSERT_EQ(a.blocks_size(), 3);
  EXPECT_EQ(a.blocks(0).kind(), Block::EDITOR_NOTE);
  EXPECT_EQ(a.blocks(0).text(),
            "数字基础设施是数字经济发展的基石。本报今起推出“数字滨海”系列报道，敬请关注。");
  EXPECT_EQ(
      a.blocks(1).text(),
      "记者昨日从市通信管理局获悉，今年我市计划新建5G基站3000个，重点覆盖产业园区、交通枢纽和农村地区。");
}

TEST_F(Binhai, ArticleWithoutBylineOrDateline) {
  ASSERT_EQ(r.articles.size(), 3U);
  const Article& a = r.articles[2];
  EXPECT_EQ(a.headline(), "滨海湾大桥主体结构完工");
  EXPECT_EQ(a.contributors_size(), 0);
  EXPECT_FALSE(a.dateline_lead());
  EXPECT_EQ(
      texts(a),
      (std::vector<std::string>{
          "6月17日，随着最后一段钢箱梁精准吊装到位，滨海湾大桥主体结构顺利完工，预计今年底建成通车。"}));
}

// A headline carrying markup (an HTML-ish tag, a script, a character reference) stays a headline:
// the shape tests weigh its words, not the tag's length, `;` or quotes. Before, such a line was
// taken for a paragraph and the article went out without a headline (dead-lettered by every
// consumer as VALIDATION_FAILED).
TEST(Markup, HeadlineWithHtmlStaysAHeadline) {
  const std::string original = syn::producer::testing::fixture();
  const auto clean = split(original);
  ASSERT_EQ(clean.articles.size(), 5U);
  const std::string first = "昌吉州:实施\"典范行动\"打造高质量发展先行区";
  const std::string last = "嘉峪关市文旅宣传推介会在昌举办";
  ASSERT_EQ(clean.articles[0].headline(), first);
  ASSERT_EQ(clean.articles[4].headline(), last);
  for (const std::string markup :
       {"<script>alert(1)</script>", "<script>alert(1);</script>标题",
        "<script>document.title=\"pwned-headline\"</script>",
        "嘉峪关<script>document.title=\"x\";</script>推介会",
        "<img src=x onerror=\"document.title='pwned-img'\">标题",
        "<b>典范行动</b>打造先行区&amp;示范区&#x4e2d;", "<STYLE>p{color:red;}</STYLE>标题"}) {
    for (const auto& [index, headline] : {std::pair{0U, first}, std::pair{4U, last}}) {
      std::string text = original;
      const auto at = text.find(headline);
      ASSERT_NE(at, std::string::npos);
      text.replace(at, headline.size(), markup);
      const auto r = split(text);
      ASSERT_EQ(r.articles.size(), 5U) << markup;
      for (std::size_t i = 0; i < 5; ++i) {
        const Article& a = r.articles[i];
        EXPECT_EQ(a.headline(), i == index ? markup : clean.articles[i].headline()) << markup;
        EXPECT_EQ(texts(a), texts(clean.articles[i])) << markup << " in article " << i;
        EXPECT_EQ(a.contributors_size(), clean.articles[i].contributors_size()) << markup;
      }
    }
  }
}

// Markup in a sub-head keeps it a sub-head; markup in a sentence keeps it a paragraph.
TEST(Markup, SubheadAndParagraphWithHtmlKeepTheirKind) {
  std::string text = syn::producer::testing::fixture();
  const std::string subhead = "\n创新驱动\n";
  text.replace(text.find(subhead), subhead.size(),
               "\n创新<script>document.title=\"pwned-subhead\"</script>驱动\n");
  const std::string sentence = "新疆源一科创的发展之路,正是昌吉州持续推动产业转型升级的缩影。";
  text.replace(text.find(sentence), sentence.size(),
               "新疆源一科创<b>的发展之路</b>,正是昌吉州<script>x();</script>持续推动产业转型升级的缩影。");
  const auto r = split(text);
  ASSERT_EQ(r.articles.size(), 5U);
  const Article& a = r.articles[0];
  bool subhead_seen = false;
  bool paragraph_seen = false;
  for (const auto& b : a.blocks()) {
    if (b.text() == "创新<script>document.title=\"pwned-subhead\"</script>驱动") {
      subhead_seen = true;
      EXPECT_EQ(b.kind(), Block::SUBHEAD);
    }
    if (b.text().find("持续推动产业转型升级的缩影") != std::string::npos) {
      paragraph_seen = true;
      EXPECT_EQ(b.kind(), Block::PARAGRAPH) << b.text();
    }
  }
  EXPECT_TRUE(subhead_seen);
  EXPECT_TRUE(paragraph_seen);
}

}  // namespace
