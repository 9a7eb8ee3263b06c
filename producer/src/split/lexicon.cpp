#include "split/lexicon.hpp"

#include <array>

namespace syn::producer::detail {

namespace {

using Contributor = syndication::v1::Contributor;

// Longest first where one word is a prefix of another at the same position.
constexpr std::array<role_word, 55> roles{{
    {"本报特约通讯员", Contributor::CORRESPONDENT, false, "base"},
    {"本报全媒体记者", Contributor::REPORTER, false, "base"},
    {"本报融媒体记者", Contributor::REPORTER, false, "base"},
    {"本报特约评论员", Contributor::REPORTER, false, "issue"},
    {"本报特约记者", Contributor::REPORTER, false, "base"},
    {"本报特派记者", Contributor::REPORTER, false, "issue"},
    {"本报摄影记者", Contributor::PHOTOGRAPHER, false, "base"},
    {"本报见习记者", Contributor::INTERN, false, "base"},
    {"本报实习记者", Contributor::INTERN, false, "base"},
    {"本报首席记者", Contributor::REPORTER, false, "base"},
    {"本报评论员", Contributor::REPORTER, false, "issue"},
    {"本报实习生", Contributor::INTERN, false, "base"},
    {"本报记者", Contributor::REPORTER, false, "base"},
    {"本报通讯员", Contributor::CORRESPONDENT, false, "base"},
    {"新华社记者", Contributor::REPORTER, false, "base"},
    {"中新社记者", Contributor::REPORTER, false, "base"},
    {"特约通讯员", Contributor::CORRESPONDENT, false, "base"},
    {"特约评论员", Contributor::REPORTER, false, "issue"},
    {"全媒体记者", Contributor::REPORTER, false, "base"},
    {"融媒体记者", Contributor::REPORTER, false, "base"},
    {"融媒记者", Contributor::REPORTER, false, "base"},
    {"特约记者", Contributor::REPORTER, false, "base"},
    {"特派记者", Contributor::REPORTER, false, "issue"},
    {"首席记者", Contributor::REPORTER, false, "base"},
    {"摄影记者", Contributor::PHOTOGRAPHER, false, "base"},
    {"见习记者", Contributor::INTERN, false, "base"},
    {"实习记者", Contributor::INTERN, false, "base"},
    {"评论员", Contributor::REPORTER, false, "issue"},
    {"实习生", Contributor::INTERN, false, "base"},
    {"记者", Contributor::REPORTER, false, "base"},
    {"通讯员", Contributor::CORRESPONDENT, false, "base"},
    {"责任编辑", Contributor::EDITOR, false, "base"},
    {"责编", Contributor::EDITOR, false, "base"},
    {"编辑", Contributor::EDITOR, false, "base"},
    {"本版摄影", Contributor::PHOTOGRAPHER, false, "qianjiang-wanbao"},
    {"本版文字", Contributor::REPORTER, false, "qianjiang-wanbao"},
    {"摄影", Contributor::PHOTOGRAPHER, false, "base"},
    {"文/摄", Contributor::REPORTER, true, "fuzhou-wanbao"},
    {"文/图", Contributor::REPORTER, true, "base"},
    {"文／图", Contributor::REPORTER, true, "base"},
    {"图/文", Contributor::REPORTER, true, "base"},
    {"图／文", Contributor::REPORTER, true, "base"},
    {"文图", Contributor::REPORTER, true, "base"},
    {"文/", Contributor::REPORTER, false, "base"},
    {"文／", Contributor::REPORTER, false, "base"},
    {"图/", Contributor::PHOTOGRAPHER, false, "base"},
    {"图／", Contributor::PHOTOGRAPHER, false, "base"},
    {"撰文", Contributor::REPORTER, false, "base"},
    {"供图", Contributor::PHOTOGRAPHER, false, "base"},
    {"作者", Contributor::REPORTER, false, "bozhou-wanbao guangming-ribao"},
    {"策划", Contributor::OTHER, false, "dazhong-ribao"},
    {"主持人", Contributor::OTHER, false, "issue"},
    {"整理", Contributor::REPORTER, false, "issue"},
    {"口述", Contributor::OTHER, false, "issue"},
    {"翻译", Contributor::OTHER, false, "issue"},
}};

// Longest first where one is a suffix of another (the longest match wins anyway: the scan keeps
// the longest outlet run). A paper's name is any name ending in `报` (`德州晚报`, `深圳商报`, `北方新报`,
// `城市快报`, `大众日报`; not a word of `non_papers`): the convention of every paper in the corpus, so
// one entry, not one per kind of paper.
constexpr std::array<lexicon_entry, 10> outlets{{
    {"融媒体中心", "issue"},
    {"广播电视台", "base"},
    {"客户端", "dazhong-ribao"},
    {"新闻网", "fuzhou-wanbao"},
    {"电视台", "base"},
    {"报社", "base lanzhou-wanbao beifang-xinbao"},
    {"报",
     "base dezhou-wanbao yangcheng-wanbao fuzhou-wanbao dazhong-ribao shenzhen-shangbao chengshi-kuaibao"},
    {"融媒", "base"},
    {"新华社", "base"},
    {"中新社", "base"},
}};

// The suffix of a paper's name printed in a page header or masthead (`太原晚报　2023年11月6日`,
// `北方新报`): the general `报`, as for outlets. Every corpus paper's masthead ends in it.
constexpr std::array<lexicon_entry, 1> paper_suffix_table{{
    {"报", "base renmin-ribao taiyuan-wanbao xiandai-kuaibao chengshi-kuaibao beifang-xinbao qilu-wanbao"},
}};

// Words ending in `报` that name no paper: a page header, heading or byline run ending in one of
// these is not a paper's name (`天气预报`, `举报`, `情报`).
constexpr std::array<std::string_view, 24> non_papers{
    "预报", "举报", "情报", "海报", "汇报", "通报", "简报", "公报",   "捷报", "喜报", "电报", "回报",
    "申报", "上报", "警报", "画报", "年报", "月报", "学报", "黑板报", "小报", "本报", "战报", "播报"};

constexpr std::array<char32_t, 19> markers{U'□', U'■', U'◎', U'●', U'○', U'◆', U'◇', U'▲', U'△', U'★',
                                           U'☆', U'◼', U'▪', U'•', U'※', U'▌', U'▍', U'◉', U'⊙'};

constexpr std::array<lexicon_entry, 14> furniture{{
    {"责任编辑", "base dazhong-ribao chengshi-kuaibao bozhou-wanbao"},
    {"本版编辑", "dezhou-wanbao"},
    {"值班编委", "dezhou-wanbao"},
    {"值班主任", "lanzhou-wanbao"},
    {"首席编辑", "lanzhou-wanbao"},
    {"总值班", "lanzhou-wanbao"},
    {"责编", "base"},
    {"编辑", "base"},
    {"美编", "dezhou-wanbao lanzhou-wanbao"},
    {"校对", "lanzhou-wanbao"},
    {"文检", "dezhou-wanbao"},
    {"审读", "shenzhen-shangbao"},
    {"审核", "base"},
    {"组版", "base"},
}};

constexpr std::array<lexicon_entry, 24> sections{{
    {"要闻", "issue"},
    {"综合", "taizhou-ribao"},
    {"经济", "issue"},
    {"社会", "base"},
    {"评论", "base"},
    {"时评", "base"},
    {"城事", "xiandai-kuaibao"},
    {"国内", "base"},
    {"国际", "base"},
    {"体育", "base"},
    {"文化", "base"},
    {"副刊", "base"},
    {"专版", "base"},
    {"民生", "base"},
    {"法治", "base"},
    {"教育", "base"},
    {"健康", "base"},
    {"旅游", "base"},
    {"财经", "base"},
    {"热线新闻", "taiyuan-wanbao"},
    {"关注", "base"},
    {"县域", "base"},
    {"视觉", "base"},
    {"锐评观点", "zhoukou-wanbao"},
}};

// Source credits printed alone; any `据` + outlet name is read too (classify.cpp, is_source_credit).
constexpr std::array<lexicon_entry, 3> source_credits{{
    {"据人民网", "base"},
    {"据央视新闻", "base"},
    {"据中新网", "base"},
}};

// Labels of an editor's note, longest first: `编者按`, `【编者按】`, `编后`.
constexpr std::array<std::string_view, 5> editor_label_table{"编者按语", "编者按", "编者的话", "编后语",
                                                             "编后"};

// Endings of a briefs column's heading: `简讯`, `本地快讯`, `新闻速览`.
constexpr std::array<std::string_view, 7> briefs_label_table{"简讯集萃", "新闻速览", "简讯", "快讯",
                                                             "短讯",     "速递",     "资讯"};

// A photo credit before the names (`图/本报记者 杨鹤`, `摄影：杨鹤`); the first two also after a
// caption on the same line (`…进行了深入采访。 摄影/记者 袁永红`).
constexpr std::array<std::string_view, 8> photo_prefix_table{"摄影/",  "图/",   "图／", "摄影／",
                                                             "摄影：", "摄影:", "图：", "图:"};

// A photo credit after the names, longest first: `本报记者 杨鹤摄`, `… 摄影报道` (photographed and
// written by).
constexpr std::array<std::string_view, 4> photo_suffix_table{"摄影报道", "摄影报导", "摄影", "摄"};

// News agencies opening a dateline: `新华社北京1月29日电`.
constexpr std::array<std::string_view, 2> agency_table{"新华社", "中新社"};

// Words only a masthead or page header prints: publisher, registration, contact lines.
constexpr std::array<std::string_view, 15> masthead_word_table{
    "出版", "主办", "主管", "星期", "总第", "刊号", "邮发代号", "热线",
    "邮箱", "网址", "http", "www.", "@",    "农历", "责任编辑"};

// The 200 most common surnames (2020 household register), single characters only; origin base.
constexpr std::u32string_view surnames =
    U"王李张刘陈杨黄赵吴周徐孙马朱胡郭何林高罗郑梁谢宋唐许韩邓冯曹彭曾肖田董潘袁蔡蒋余于杜叶程魏苏吕丁任"
    U"卢姚沈钟姜崔谭陆范汪廖石金韦贾夏付方邹熊白孟秦邱侯江尹薛闫段雷龙黎史陶贺毛郝顾龚邵万覃武钱戴严莫孔"
    U"向常汤康易乔赖文施洪辛柯庄傅聂耿祝葛安齐邢梅温颜欧牛章鲁车米甘翟项阎申焦关涂仇骆成鲍包景卓胥滕商"
    U"吉邬纪苗邝池娄强饶单尚尤岳凌霍农宁连俞柴阮时裴殷蔺穆季桂兰麦伍褚路冉晏房蓝艾樊左巫丛鞠钮靳佘谷";

thread_local std::string_view withheld;

}  // namespace

std::span<const role_word> role_words() noexcept { return roles; }
std::span<const lexicon_entry> outlet_suffixes() noexcept { return outlets; }
std::span<const lexicon_entry> paper_suffixes() noexcept { return paper_suffix_table; }

namespace {
bool ends_in(std::string_view run, std::span<const lexicon_entry> suffixes) noexcept {
  for (const auto& e : suffixes) {
    if (run.size() > e.word.size() && run.ends_with(e.word) && lexicon_active(e.origin)) {
      for (std::string_view w : non_papers) {
        if (run.ends_with(w)) return false;
      }
      return true;
    }
  }
  return false;
}
}  // namespace

bool ends_in_outlet(std::string_view run) noexcept { return ends_in(run, outlets); }
bool ends_in_paper_name(std::string_view run) noexcept { return ends_in(run, paper_suffix_table); }
std::span<const char32_t> marker_chars() noexcept { return markers; }
std::span<const lexicon_entry> furniture_words() noexcept { return furniture; }
std::span<const lexicon_entry> section_names() noexcept { return sections; }
std::span<const lexicon_entry> source_credit_prefixes() noexcept { return source_credits; }

std::span<const std::string_view> editor_labels() noexcept { return editor_label_table; }
std::span<const std::string_view> briefs_labels() noexcept { return briefs_label_table; }
std::span<const std::string_view> photo_credit_prefixes() noexcept { return photo_prefix_table; }
std::span<const std::string_view> photo_credit_suffixes() noexcept { return photo_suffix_table; }
std::span<const std::string_view> news_agencies() noexcept { return agency_table; }
std::span<const std::string_view> masthead_words() noexcept { return masthead_word_table; }

std::u32string_view common_surnames() noexcept { return surnames; }

bool lexicon_active(std::string_view origin) noexcept { return withheld.empty() || origin != withheld; }

withhold_origin::withhold_origin(std::string_view paper) noexcept { withheld = paper; }
withhold_origin::~withhold_origin() { withheld = {}; }

}  // namespace syn::producer::detail
