// The splitter's parts on their own: text normalisers, the people/dateline/jump/credit parsers,
// the repair passes.
#include <gtest/gtest.h>

#include "split/classify.hpp"
#include "split/repair.hpp"
#include "split/text.hpp"
#include "syn/producer/splitter.hpp"

namespace {

namespace d = syn::producer::detail;
using syndication::v1::Contributor;

TEST(Text, BodySpacesNextToChineseGo) {
  EXPECT_EQ(d::normalise_body("以 高质量发展新成效扎实推进中国式现 代化新疆实践。"),
            "以高质量发展新成效扎实推进中国式现代化新疆实践。");
  EXPECT_EQ(d::normalise_body("鉴于前期合作的良好基础,2023 年9月25日"),
            "鉴于前期合作的良好基础,2023年9月25日");
  EXPECT_EQ(d::normalise_body("□24 小时新闻热线"), "□24小时新闻热线");
  EXPECT_EQ(d::normalise_body("新建 5G 基站"), "新建5G基站");
}

TEST(Text, SpacesBetweenLatinWordsAndNumbersStay) {
  EXPECT_EQ(d::normalise_body("iPhone 15 Pro 等新款"), "iPhone 15 Pro等新款");
  EXPECT_EQ(d::normalise_body("  Wi-Fi   6   and  5 km "), "Wi-Fi 6 and 5 km");
  EXPECT_EQ(d::normalise_body("全　角　空格"), "全角空格");
}

TEST(Text, HeadingKeepsTheSpaceBetweenPhrases) {
  EXPECT_EQ(d::normalise_heading("天山面粉:做好小麦精深加工转化 生产新疆绿色面粉"),
            "天山面粉:做好小麦精深加工转化 生产新疆绿色面粉");
  EXPECT_EQ(d::normalise_heading("落实安全责任 推动安全发展"), "落实安全责任 推动安全发展");
  EXPECT_EQ(d::normalise_heading("我州评出 2023 年度 安全管理标准化示范班组"),
            "我州评出2023年度安全管理标准化示范班组");
  EXPECT_EQ(d::normalise_heading("实施典范 行动"), "实施典范行动");
}

TEST(Text, SentenceEnds) {
  for (const char32_t c : {U'。', U'！', U'？', U'”', U'"', U'；'}) EXPECT_FALSE(d::continues_sentence(c));
  for (const char32_t c : {U'推', U'5', U'，', U',', U'、', U'%', U'a'})
    EXPECT_TRUE(d::continues_sentence(c));
}

TEST(Text, WithoutMarkupKeepsTheWords) {
  EXPECT_EQ(d::without_markup("昌吉州打造先行区"), "昌吉州打造先行区");
  EXPECT_EQ(d::without_markup("<script>alert(1);</script>标题"), "标题");
  EXPECT_EQ(d::without_markup("<ScRiPt type=\"text/javascript\">a<b;</sCrIpt>标题"), "标题");
  EXPECT_EQ(d::without_markup("<style>p{color:red;}</style>标<b>题</b>"), "标题");
  EXPECT_EQ(d::without_markup("<img src=x onerror=\"document.title='x'\">标题<br/>"), "标题");
  EXPECT_EQ(d::without_markup("<!-- note -->标题&amp;&#39;&#x4E2D;&nbsp;"), "标题");
  // Not markup: a `<` that opens no tag, an unclosed tag, a bare `&`, `&` without `;`.
  EXPECT_EQ(d::without_markup("3<5 且 5>3"), "3<5 且 5>3");
  EXPECT_EQ(d::without_markup("<中国>标题"), "<中国>标题");
  EXPECT_EQ(d::without_markup("a<b 标题"), "a<b 标题");
  EXPECT_EQ(d::without_markup("A&B公司 &amp"), "A&B公司 &amp");
  // An unclosed script swallows the rest: it is code to the end.
  EXPECT_EQ(d::without_markup("标题<script>alert(1);"), "标题");
}

TEST(Text, Numbers) {
  EXPECT_EQ(d::parse_number("8"), 8);
  EXPECT_EQ(d::parse_number("１２"), 12);
  EXPECT_EQ(d::parse_number("八"), 8);
  EXPECT_EQ(d::parse_number("十二"), 12);
  EXPECT_EQ(d::parse_number("二十四"), 24);
  EXPECT_EQ(d::parse_number("一百零五"), 105);
  EXPECT_EQ(d::parse_number("x"), -1);
  EXPECT_EQ(d::parse_number(""), -1);
  EXPECT_EQ(d::parse_number("99999999999"), -1);
}

TEST(Text, JoiningCutParagraphs) {
  std::string a = "优质小麦品种推";
  d::append_joined(a, "广率达75%以上。");
  EXPECT_EQ(a, "优质小麦品种推广率达75%以上。");
  std::string b = "新款 iPhone";
  d::append_joined(b, "15 Pro");
  EXPECT_EQ(b, "新款 iPhone 15 Pro");
  std::string c = "1公斤、2公斤、5";
  d::append_joined(c, "公斤");
  EXPECT_EQ(c, "1公斤、2公斤、5公斤");
}

TEST(People, BylinesWithRoles) {
  auto p = d::parse_people("本报记者 杨鹤 通讯员 宋华敏", Contributor::REPORTER, true);
  ASSERT_TRUE(p);
  ASSERT_EQ(p->size(), 2U);
  EXPECT_EQ((*p)[0], (d::person{"杨鹤", Contributor::REPORTER}));
  EXPECT_EQ((*p)[1], (d::person{"宋华敏", Contributor::CORRESPONDENT}));
}

TEST(People, SplitNamesAreRejoined) {
  auto p = d::parse_people("记者杨鹤、通讯员毛著 魏", Contributor::REPORTER, true);
  ASSERT_TRUE(p);
  ASSERT_EQ(p->size(), 2U);
  EXPECT_EQ((*p)[1].name, "毛著魏");
  auto q = d::parse_people("本报记者 杨 鹤 李 四 王五", Contributor::REPORTER, true);
  ASSERT_TRUE(q);
  ASSERT_EQ(q->size(), 3U);
  EXPECT_EQ((*q)[0].name, "杨鹤");
  EXPECT_EQ((*q)[1].name, "李四");
  EXPECT_EQ((*q)[2].name, "王五");
}

TEST(People, OtherRoles) {
  auto p =
      d::parse_people("记者 林海 实习生 周雨桐 摄影记者 张 强 责任编辑 孙立平", Contributor::REPORTER, true);
  ASSERT_TRUE(p);
  ASSERT_EQ(p->size(), 4U);
  EXPECT_EQ((*p)[1].role, Contributor::INTERN);
  EXPECT_EQ((*p)[2], (d::person{"张强", Contributor::PHOTOGRAPHER}));
  EXPECT_EQ((*p)[3].role, Contributor::EDITOR);
  auto both = d::parse_people("文/图 本报记者 王磊", Contributor::REPORTER, true);
  ASSERT_TRUE(both);
  ASSERT_EQ(both->size(), 2U);
  EXPECT_EQ((*both)[0], (d::person{"王磊", Contributor::REPORTER}));
  EXPECT_EQ((*both)[1], (d::person{"王磊", Contributor::PHOTOGRAPHER}));
}

TEST(People, SentencesAreNotBylines) {
  EXPECT_FALSE(d::parse_people("记者看到,高速打包机高效运转", Contributor::REPORTER, true));
  EXPECT_FALSE(d::parse_people("记者从省文旅厅获悉", Contributor::REPORTER, true));
  EXPECT_FALSE(d::parse_people("杨鹤 宋华敏", Contributor::REPORTER, true));  // no role word
  EXPECT_FALSE(d::parse_people("", Contributor::REPORTER, false));
}

TEST(Dateline, Variants) {
  auto a = d::parse_dateline("本报讯 记者刘茜报道:1月27日下午,仪式举行。");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->text, "本报讯");
  EXPECT_TRUE(a->own_paper);
  ASSERT_EQ(a->people.size(), 1U);
  EXPECT_EQ(a->people[0].name, "刘茜");
  EXPECT_EQ(std::string("本报讯 记者刘茜报道:1月27日下午,仪式举行。").substr(a->consumed),
            "1月27日下午,仪式举行。");

  auto b = d::parse_dateline("本报讯（记者 张晓燕 通讯员 马建军）3月11日，会议召开。");
  ASSERT_TRUE(b);
  ASSERT_EQ(b->people.size(), 2U);
  EXPECT_EQ(b->people[1], (d::person{"马建军", Contributor::CORRESPONDENT}));

  auto c = d::parse_dateline("本报北京1月29日电 (记者 王磊) 今天……");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->text, "本报北京1月29日电");
  EXPECT_TRUE(c->own_paper);

  auto x = d::parse_dateline("新华社乌鲁木齐1月29日电（记者 李 明）近日，");
  ASSERT_TRUE(x);
  EXPECT_EQ(x->text, "新华社乌鲁木齐1月29日电");
  EXPECT_FALSE(x->own_paper);
  EXPECT_EQ(x->people[0].name, "李明");

  EXPECT_FALSE(d::parse_dateline("本报记者电话采访了他"));
  EXPECT_FALSE(d::parse_dateline("据了解,本报讯"));
}

TEST(Jump, Lines) {
  auto a = d::find_jump("（下转第2版）", true);
  ASSERT_TRUE(a);
  EXPECT_TRUE(a->out);
  EXPECT_EQ(a->page, 2U);
  auto b = d::find_jump("(上接1版)", true);
  ASSERT_TRUE(b);
  EXPECT_FALSE(b->out);
  EXPECT_EQ(b->page, 1U);
  EXPECT_TRUE(d::find_jump("（紧接第一版）", true));
  EXPECT_EQ(d::find_jump("转A3版", true)->page, 3U);
  auto tail = d::find_jump("扫码支付更加顺畅。（下转第3版）", false);
  ASSERT_TRUE(tail);
  EXPECT_EQ(tail->page, 3U);
  EXPECT_FALSE(d::find_jump("接下来，昌吉州应急管理系统将", false));
  EXPECT_FALSE(d::find_jump("今日8版", true));
}

TEST(Credit, OnItsOwnLineAndInline) {
  auto a = d::find_credit("□本报记者 杨 鹤摄");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->caption, "");
  EXPECT_EQ(a->credit, "本报记者 杨鹤");
  ASSERT_EQ(a->people.size(), 1U);
  EXPECT_EQ(a->people[0], (d::person{"杨鹤", Contributor::PHOTOGRAPHER}));

  auto b = d::find_credit("志愿者在城北生态公园植树。（本报记者 陈晨 摄）");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->caption, "志愿者在城北生态公园植树。");
  EXPECT_EQ(b->credit, "本报记者 陈晨");

  auto c = d::find_credit("记者 林海 摄");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->credit, "记者 林海");

  auto e = d::find_credit("工人正在包装面粉 杨鹤摄");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->caption, "工人正在包装面粉");
  EXPECT_EQ(e->credit, "杨鹤");

  EXPECT_TRUE(d::find_credit("图/本报记者 王磊"));
  EXPECT_FALSE(d::find_credit("游客纷纷拿出手机拍摄"));
  EXPECT_FALSE(d::find_credit("本报记者 杨鹤"));
}

TEST(Chunks, BlankLinesIndentationAndStructuralLines) {
  std::vector<d::source_line> lines = {{"标题", 1},           {"□本报记者 刘茜", 2}, {"第一段第一行", 3},
                                       {"第一段第二行。", 4}, {"　　第二段。", 5},   {"", 6},
                                       {"第三段", 7}};
  const auto chunks = d::make_chunks(lines);
  ASSERT_EQ(chunks.size(), 5U);
  EXPECT_EQ(chunks[0].raw, "标题");
  EXPECT_EQ(chunks[1].raw, "□本报记者 刘茜");
  EXPECT_EQ(chunks[2].raw, "第一段第一行第一段第二行。");
  EXPECT_EQ(chunks[2].line, 3U);
  EXPECT_EQ(chunks[3].raw, "第二段。");
  EXPECT_EQ(chunks[4].line, 7U);
}

TEST(Chunks, StackedTitleLinesStaySeparate) {
  std::vector<d::source_line> lines = {{"习近平在某地考察时强调", 1},
                                       {"奋力谱写新篇章", 2},
                                       {"", 3},
                                       {"新华社北京1月29日电（记者 王明）1月28日，", 4},
                                       {"他在某地考察。", 5}};
  const auto chunks = d::make_chunks(lines);
  ASSERT_EQ(chunks.size(), 3U);
  EXPECT_EQ(chunks[0].raw, "习近平在某地考察时强调");
  EXPECT_EQ(chunks[1].raw, "奋力谱写新篇章");
  EXPECT_EQ(chunks[1].line, 2U);
  EXPECT_EQ(chunks[2].raw, "新华社北京1月29日电（记者 王明）1月28日，他在某地考察。");
}

TEST(Chunks, MarkedShortLineStandsAlone) {
  std::vector<d::source_line> lines = {{"●链接", 1}, {"春运自1月26日开始，共40天。", 2}};
  const auto chunks = d::make_chunks(lines);
  ASSERT_EQ(chunks.size(), 2U);
  EXPECT_EQ(chunks[0].raw, "●链接");
}

TEST(Repair, GarbledDuplicateOfThePreviousEnd) {
  std::vector<d::chunk> chunks(2);
  chunks[0].text = chunks[0].raw =
      "“……还要兼顾疆外订单生产加工任务。”新疆天山面粉（集团）有限责任公司技术总工、生产车间负责人朱佰鑫说。";
  chunks[1].text = chunks[1].raw =
      "不思工、生产年间负责人朱佰鑫说。据了解,天山面粉日处理1300吨小麦生产线于2023年4月建成投产。";
  chunks[1].line = 127;
  std::vector<syndication::v1::SplitWarning> w;
  d::drop_garbled(chunks, w);
  ASSERT_EQ(w.size(), 1U);
  EXPECT_EQ(w[0].line(), 127U);
  EXPECT_EQ(w[0].text(), "不思工、生产年间负责人朱佰鑫说。");
  EXPECT_EQ(chunks[1].text, "据了解,天山面粉日处理1300吨小麦生产线于2023年4月建成投产。");
}

TEST(Repair, UnrelatedSentencesAreKept) {
  std::vector<d::chunk> chunks(2);
  chunks[0].text = "中国环境科学研究院副院长陈胜在致辞中表示,双方将开展更广泛的务实合作。";
  chunks[1].text = "据了解,2019年至2021年,中国环境科学研究院应邀承担了研究项目。";
  std::vector<syndication::v1::SplitWarning> w;
  d::drop_garbled(chunks, w);
  EXPECT_TRUE(w.empty());
  EXPECT_FALSE(chunks[1].dropped);
}

TEST(Repair, ExactDuplicateAndJunkAreDropped) {
  std::vector<d::chunk> chunks(3);
  chunks[0].text = "两地群众来往将更加便利。";
  chunks[1].text = "两地群众来往将更加便利。";
  chunks[2].text = "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD好";
  std::vector<syndication::v1::SplitWarning> w;
  d::drop_garbled(chunks, w);
  EXPECT_EQ(w.size(), 2U);
  EXPECT_TRUE(chunks[1].dropped);
  EXPECT_TRUE(chunks[2].dropped);
}

TEST(Repair, TrailingAttribution) {
  std::string t = "覆盖中亚、欧洲和东南亚等地区。（记者 马晓东）";
  auto p = d::take_trailing_attribution(t);
  ASSERT_TRUE(p);
  EXPECT_EQ(t, "覆盖中亚、欧洲和东南亚等地区。");
  EXPECT_EQ((*p)[0].name, "马晓东");
  std::string u = "新疆天山面粉（集团）有限责任公司（以下简称天山面粉）";
  EXPECT_FALSE(d::take_trailing_attribution(u));
}

TEST(Repair, BareNamesCloseAParagraph) {
  std::vector<d::person> people;
  const std::string_view one = "安全返回各自国家。 张丹";
  EXPECT_EQ(d::bare_credit_tail(one, &people), one.find(" 张丹"));
  ASSERT_EQ(people.size(), 1U);
  EXPECT_EQ(people[0].name, "张丹");
  EXPECT_EQ(people[0].role, Contributor::REPORTER);
  const std::string_view two = "尽快妥善处理有关问题。 张晓宁 贾天勇";
  ASSERT_NE(d::bare_credit_tail(two, &people), std::string_view::npos);
  ASSERT_EQ(people.size(), 2U);
  EXPECT_EQ(people[0].name, "张晓宁");
  EXPECT_EQ(people[1].name, "贾天勇");
  // Not a credit: no space after the sentence, a word that is no name, a name with no sentence.
  EXPECT_EQ(d::bare_credit_tail("安全返回各自国家。张丹", nullptr), std::string_view::npos);
  EXPECT_EQ(d::bare_credit_tail("安全返回各自国家。 目前", nullptr), std::string_view::npos);
  EXPECT_EQ(d::bare_credit_tail("张丹", nullptr), std::string_view::npos);
}

TEST(Repair, GluedBylineClosesAParagraph) {
  std::vector<d::person> people;
  const std::string_view s = "并告诉我明天他可能有时间。本报记者夏命群";
  EXPECT_EQ(d::byline_tail(s, &people), s.find("本报记者"));
  ASSERT_EQ(people.size(), 1U);
  EXPECT_EQ(people[0].name, "夏命群");
  // A photographer's credit after a caption stays a photo credit; a sentence is no byline.
  EXPECT_EQ(d::byline_tail("进行了深入采访。 摄影/记者 袁永红", nullptr), std::string_view::npos);
  EXPECT_EQ(d::byline_tail("这是一起不幸的事件。记者看到现场很乱", nullptr), std::string_view::npos);
}

TEST(Splitter, ANameAfterASentenceMidParagraphIsText) {
  // `…表示。 李明说` at a line end, the paragraph going on below: not a closing credit.
  const std::string page =
      "北疆日报　2024年3月12日　星期二\n\n"
      "市民热议新规出台\n"
      "　　新规出台后,市民纷纷表示支持。有人表示。 李明说\n"
      "这项规定来得正是时候,大家都很满意,希望尽快落实。\n";
  const auto r = syn::producer::split_issue(page, [] {
    syn::producer::split_options o;
    o.source_name = "t.txt";
    o.paper_code = "bjrb";
    return o;
  }());
  ASSERT_EQ(r.articles.size(), 1U);
  const auto& a = r.articles[0];
  EXPECT_EQ(a.headline(), "市民热议新规出台");
  EXPECT_EQ(a.contributors_size(), 0);
  ASSERT_EQ(a.blocks_size(), 1);
  EXPECT_NE(a.blocks(0).text().find("李明说这项规定"), std::string::npos) << a.blocks(0).text();
}

syn::producer::split_result split_page(const std::string& page) {
  syn::producer::split_options o;
  o.source_name = "t.txt";
  o.paper_code = "bjrb";
  return syn::producer::split_issue(page, o);
}

TEST(Splitter, AQuotedQuestionIsATitleLine) {
  // `“…吗?”` over a second title line: overline and headline, not a paragraph of its own.
  const auto r = split_page(
      "北疆日报　2024年3月12日　星期二\n\n"
      "“家门口的公园还能建起来吗?”\n"
      "记者探访城东三处待建绿地\n"
      "□ 本报记者 王明\n"
      "　　城东三处绿地去年列入计划,至今仍是空地。附近居民多次询问进展。\n");
  ASSERT_EQ(r.articles.size(), 1U);
  EXPECT_EQ(r.articles[0].kicker(), "“家门口的公园还能建起来吗?”");
  EXPECT_EQ(r.articles[0].headline(), "记者探访城东三处待建绿地");
  EXPECT_EQ(r.articles[0].blocks_size(), 1);
}

TEST(Splitter, AMarkedParagraphDoesNotContinueAnOpenOne) {
  // Summary points under a title end without a full stop; the next point starts a paragraph.
  const auto r = split_page(
      "北疆日报　2024年3月12日　星期二\n\n"
      "城东绿地建设调查\n"
      "　　● 三处绿地列入计划一年仍未动工。周边居民多次询问进展,盼望家门口的公园早日建成\n"
      "　　● 有关部门表示资金已经落实。设计方案正在公示,将在今年夏天开工,年底前完成种植\n"
      "□ 本报记者 王明\n"
      "　　城东三处绿地去年列入计划,至今仍是空地。\n");
  ASSERT_EQ(r.articles.size(), 1U);
  const auto& a = r.articles[0];
  ASSERT_EQ(a.blocks_size(), 3) << a.DebugString();
  EXPECT_EQ(a.blocks(0).text(),
            "三处绿地列入计划一年仍未动工。周边居民多次询问进展,盼望家门口的公园早日建成");
  EXPECT_EQ(a.blocks(1).text(), "有关部门表示资金已经落实。设计方案正在公示,将在今年夏天开工,年底前完成种植");
}

TEST(Splitter, RoleWordsWrappedOntoTheCaptionGoToTheCredit) {
  // `…作业。新华社记` / `者 王明摄`: the credit is the agency reporter's, the caption ends at `。`.
  const auto r = split_page(
      "北疆日报　2024年3月12日　星期二\n\n"
      "工人在城东绿地种植树苗\n"
      "　　城东三处绿地今春开工,计划种植乔木两千\n"
      "株。图为3月11日,工人在绿地种植树苗。新华社记\n"
      "者 王明摄\n");
  ASSERT_EQ(r.articles.size(), 1U);
  const auto& a = r.articles[0];
  ASSERT_EQ(a.photos_size(), 1) << a.DebugString();
  EXPECT_EQ(a.photos(0).credit(), "新华社记者 王明");
  EXPECT_EQ(a.photos(0).caption(),
            "城东三处绿地今春开工,计划种植乔木两千株。图为3月11日,工人在绿地种植树苗。");
  ASSERT_EQ(a.contributors_size(), 1);
  EXPECT_EQ(a.contributors(0).role(), syndication::v1::Contributor::PHOTOGRAPHER);
}

TEST(Splitter, ASpokenLineUnderTheBylineIsAParagraph) {
  const auto r = split_page(
      "北疆日报　2024年3月12日　星期二\n\n"
      "城东绿地建设调查\n"
      "□ 本报记者 王明\n"
      "　　“公园什么时候能建好啊!”\n"
      "　　住在城东的李大爷每天都要到空地旁看一看。他说,盼了一年多了。\n");
  ASSERT_EQ(r.articles.size(), 1U);
  const auto& a = r.articles[0];
  ASSERT_EQ(a.blocks_size(), 2) << a.DebugString();
  EXPECT_EQ(a.blocks(0).kind(), syndication::v1::Block::PARAGRAPH);
}

TEST(Splitter, AnAuthorLineWithAPublicationStampIsAByline) {
  // `作者:X 《…报》( date page)`: an e-paper's author line; the stamp after it names no one.
  const auto r = split_page(
      "北疆日报　2024年3月12日　星期二\n\n"
      "城东绿地建设调查\n"
      "作者:王明 《北疆日报》( 2024年03月12日 05版)\n"
      "　　城东三处绿地去年列入计划,至今仍是空地。附近居民多次询问进展。\n");
  ASSERT_EQ(r.articles.size(), 1U);
  const auto& a = r.articles[0];
  EXPECT_EQ(a.subheadline(), "");
  ASSERT_EQ(a.contributors_size(), 1) << a.DebugString();
  EXPECT_EQ(a.contributors(0).name(), "王明");
  EXPECT_EQ(a.contributors(0).role(), syndication::v1::Contributor::REPORTER);
}

TEST(PageLabel, SectionLetterInsideDiBan) {
  EXPECT_EQ(d::page_label_at("第B0012版:人文·影像", 0), 12U);
  EXPECT_EQ(d::page_label_at("第A08版:我的2020", 0), 8U);
  EXPECT_EQ(d::page_label_at("第06版 经济", 0), 6U);
  EXPECT_EQ(d::page_label_at("A03", 0), 3U);
  // Not labels: a capital with four digits outside 第…版, 第 and a letter without 版.
  EXPECT_EQ(d::page_label_at("B0012", 0), 0U);
  EXPECT_EQ(d::page_label_at("第B12", 0), 0U);
  EXPECT_TRUE(d::is_furniture("第B0012版:人文·影像"));
}

TEST(People, ARoleLabelledWithAColonIsWhatTheyDid) {
  // `摄影:本报记者 X`: X photographed; 本报记者 is their title, not a second contribution.
  const auto p =
      d::parse_people("本版摄影:本报记者 裘志伟 本版文字:本报记者 陆芳", Contributor::REPORTER, true);
  ASSERT_TRUE(p.has_value());
  ASSERT_EQ(p->size(), 2U);
  EXPECT_EQ((*p)[0].name, "裘志伟");
  EXPECT_EQ((*p)[0].role, Contributor::PHOTOGRAPHER);
  EXPECT_EQ((*p)[1].name, "陆芳");
  EXPECT_EQ((*p)[1].role, Contributor::REPORTER);
  // Without a colon the second role word still adds: `文/图 本报记者 X` wrote and photographed.
  const auto q = d::parse_people("文/图 本报记者 王磊", Contributor::REPORTER, true);
  ASSERT_TRUE(q.has_value());
  EXPECT_EQ(q->size(), 2U);
}

TEST(Splitter, ALoneClosingTitleMarkIsNoKicker) {
  // `…作为从《钱江晚报` / `》创刊时…`: the wrap cut a book title; the line goes on the paragraph.
  const auto r = split_page(
      "北疆日报　2024年3月12日　星期二\n\n"
      "城东绿地今春开工\n"
      "□ 本报记者 王明\n"
      "　　城东三处绿地去年列入计划。此事曾见于《北疆日报\n"
      "》的报道,附近居民多次询问进展,有关部门表示今春开工。\n");
  ASSERT_EQ(r.articles.size(), 1U);
  EXPECT_EQ(r.articles[0].kicker(), "");
  ASSERT_EQ(r.articles[0].blocks_size(), 1);
  EXPECT_NE(r.articles[0].blocks(0).text().find("《北疆日报》的报道"), std::string::npos);
}

TEST(People, ARoleAfterTheNamesIsWhatTheyDid) {
  // `（福州晚报记者 陈木易 文/摄）`: the reporter also took the photos.
  const auto p = d::parse_people("福州晚报记者 陈木易 文/摄", Contributor::REPORTER, true);
  ASSERT_TRUE(p.has_value());
  ASSERT_EQ(p->size(), 2U);
  EXPECT_EQ((*p)[0].role, Contributor::REPORTER);
  EXPECT_EQ((*p)[1].name, "陈木易");
  EXPECT_EQ((*p)[1].role, Contributor::PHOTOGRAPHER);
}

TEST(Splitter, AShortSentenceBetweenHeadlineAndDatelineIsACaption) {
  const auto r = split_page(
      "北疆日报　2024年3月12日　星期二\n\n"
      "城东绿地今春开工 计划种植乔木两千株\n\n"
      "工人在城东绿地种植树苗。\n\n"
      "　　北疆网3月12日讯(北疆日报记者 王明)城东三处绿地去年列入计划,至今仍是空地。今春开工后,"
      "计划种植乔木两千株,年底前完成。\n");
  ASSERT_EQ(r.articles.size(), 1U);
  const auto& a = r.articles[0];
  ASSERT_EQ(a.photos_size(), 1) << a.DebugString();
  EXPECT_EQ(a.photos(0).caption(), "工人在城东绿地种植树苗。");
  EXPECT_EQ(a.photos(0).credit(), "");
  EXPECT_EQ(a.dateline(), "北疆网3月12日讯");
  ASSERT_EQ(a.blocks_size(), 1);
}

}  // namespace
