#include "syn/producer/review.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>
#include <tuple>

#include "syn/core/log.hpp"
#include "syn/producer/spool.hpp"

namespace syn::producer {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

constexpr std::string_view kHeld = ".held";

json meta_json(const held_issue& h) {
  return {{"issueId", h.issue_id},
          {"state", h.state},
          {"via", h.via},
          {"who", h.who},
          {"source", h.source},
          {"paper", h.paper},
          {"date", h.date},
          {"confidence", h.confidence},
          {"warnings", h.warnings},
          {"heldAt", h.held_at},
          {"decidedAt", h.decided_at},
          {"reason", h.reason},
          {"corrections", h.corrections},
          {"outcome", h.outcome},
          {"sent", h.sent}};
}

held_issue from_json(const json& j) {
  held_issue h;
  h.issue_id = j.value("issueId", "");
  h.state = j.value("state", "held");
  h.via = j.value("via", "");
  h.who = j.value("who", "");
  h.source = j.value("source", "");
  h.paper = j.value("paper", "");
  h.date = j.value("date", "");
  h.confidence = j.value("confidence", 0.0);
  h.warnings = j.value("warnings", std::size_t{0});
  h.held_at = j.value("heldAt", "");
  h.decided_at = j.value("decidedAt", "");
  h.reason = j.value("reason", "");
  h.corrections = j.value("corrections", "");
  h.outcome = j.value("outcome", "");
  h.sent = j.value("sent", std::vector<std::string>{});
  return h;
}

/// `<meta JSON line>\n<raw text>`; the text is bytes as received (it may be GB18030).
std::string encode_held(const held_issue& h) {
  std::string out = meta_json(h).dump(-1, ' ', false, json::error_handler_t::replace);
  out.push_back('\n');
  out.append(h.body);
  return out;
}

std::optional<held_issue> read_held(const fs::path& file, bool with_body) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return std::nullopt;
  std::string line;
  if (!std::getline(in, line)) return std::nullopt;
  const json j = json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) {
    log::get("review").error("{}: unreadable metadata; left in place", file.string());
    return std::nullopt;
  }
  held_issue h = from_json(j);
  if (with_body) {
    std::ostringstream ss;
    ss << in.rdbuf();
    h.body = std::move(ss).str();
  }
  return h;
}

void remove_durably(const fs::path& file) {
  std::error_code ec;
  fs::remove(file, ec);
  if (ec) throw std::runtime_error("review: cannot remove " + file.string() + ": " + ec.message());
  const int fd = ::open(file.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    const int r = ::fsync(fd);
    ::close(fd);
    if (r != 0) throw std::runtime_error("review: cannot fsync " + file.parent_path().string());
  }
}

std::string fixed2(double v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%.2f", v);
  return buf;
}

}  // namespace

std::string utc_now_iso8601() {
  const std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

held_issue make_held(const split_result& issue, std::string_view raw, std::string via, std::string who,
                     const split_options& so) {
  held_issue h;
  h.issue_id = issue.manifest.issue_id();
  h.via = std::move(via);
  h.who = std::move(who);
  h.source = so.source_name;
  h.paper = so.paper_code;
  h.date = so.issue_date;
  h.confidence = std::round(static_cast<double>(issue.manifest.confidence()) * 100.0) / 100.0;
  h.warnings = static_cast<std::size_t>(issue.manifest.warnings_size());
  h.held_at = utc_now_iso8601();
  h.body = std::string(raw);
  return h;
}

bool below_confidence(const split_result& issue, double min_confidence) noexcept {
  // The manifest rounds to two decimals; compare at that precision, so 0.8 is not below 0.8.
  return min_confidence > 0.0 && std::lround(static_cast<double>(issue.manifest.confidence()) * 100.0) <
                                     std::lround(min_confidence * 100.0);
}

split_options options_of(const held_issue& h, const std::vector<known_paper>& papers) {
  split_options so;
  so.source_name = h.source;
  so.paper_code = h.paper;
  so.issue_date = h.date;
  so.papers = papers;
  return so;
}

bool valid_issue_id(std::string_view id) noexcept {
  if (id.empty() || id.size() > 128 || id.find("..") != std::string_view::npos) return false;
  const auto ok = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  return ok(id.front()) &&
         std::all_of(id.begin(), id.end(), [&](char c) { return ok(c) || c == '-' || c == '_' || c == '.'; });
}

review_store::claim::~claim() {
  if (fd_ >= 0) ::close(fd_);  // closing drops the flock
}

review_store::review_store(fs::path dir) : dir_(std::move(dir)) {
  for (const auto& sub : {fs::path(), fs::path("released"), fs::path("rejected"), fs::path(".locks")}) {
    std::error_code ec;
    fs::create_directories(dir_ / sub, ec);
    if (ec) {
      std::string what = "review: cannot create ";
      what.append((dir_ / sub).string()).append(": ").append(ec.message());
      throw std::runtime_error(what);
    }
  }
}

void review_store::hold(const held_issue& h) {
  if (!valid_issue_id(h.issue_id)) throw std::runtime_error("review: not an issue id: " + h.issue_id);
  write_durably(dir_, h.issue_id + std::string(kHeld), encode_held(h));
}

std::vector<held_issue> review_store::list() const {
  std::vector<held_issue> out;
  for (const auto& e : fs::directory_iterator(dir_)) {
    const std::string name = e.path().filename().string();
    if (name.starts_with('.') || !name.ends_with(kHeld)) continue;
    if (auto h = read_held(e.path(), false)) out.push_back(std::move(*h));
  }
  std::sort(out.begin(), out.end(), [](const held_issue& a, const held_issue& b) {
    return std::tie(a.held_at, a.issue_id) < std::tie(b.held_at, b.issue_id);
  });
  return out;
}

std::optional<held_issue> review_store::find(const std::string& id) const {
  if (!valid_issue_id(id)) return std::nullopt;
  if (auto h = read_held(dir_ / (id + std::string(kHeld)), true)) return h;
  if (auto h = read_held(dir_ / "released" / (id + ".json"), false)) return h;
  return read_held(dir_ / "rejected" / (id + std::string(kHeld)), true);
}

std::unique_ptr<review_store::claim> review_store::try_claim(const std::string& id) const {
  if (!valid_issue_id(id)) return nullptr;
  const fs::path lock = dir_ / ".locks" / (id + ".lock");
  const int fd = ::open(lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) throw std::runtime_error("review: cannot open " + lock.string() + ": " + std::strerror(errno));
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd);
    return nullptr;
  }
  return std::unique_ptr<claim>(new claim(id, fd));
}

void review_store::update(const claim& c, const held_issue& h) {
  if (c.issue_id() != h.issue_id) throw std::logic_error("review: claim for another issue");
  hold(h);
}

void review_store::released(const claim& c, held_issue h) {
  if (c.issue_id() != h.issue_id) throw std::logic_error("review: claim for another issue");
  h.state = "released";
  h.body.clear();
  write_durably(dir_ / "released", h.issue_id + ".json", encode_held(h));
  remove_durably(dir_ / (h.issue_id + std::string(kHeld)));
}

void review_store::rejected(const claim& c, held_issue h) {
  if (c.issue_id() != h.issue_id) throw std::logic_error("review: claim for another issue");
  h.state = "rejected";
  write_durably(dir_ / "rejected", h.issue_id + std::string(kHeld), encode_held(h));
  remove_durably(dir_ / (h.issue_id + std::string(kHeld)));
}

publish_gate::publish_gate(fs::path dir, double min_confidence, std::optional<correction_set> corrections)
    : dir_(std::move(dir)), min_confidence_(min_confidence), corrections_(std::move(corrections)) {}

std::optional<std::string> publish_gate::check(split_result& issue, encoded_issue& encoded,
                                               const split_options& so) {
  const bool correct = corrections_ && corrections_->issue_id == issue.manifest.issue_id();
  const bool hold = !correct && below_confidence(issue, min_confidence_);
  if (!correct && !hold) return std::nullopt;
  // The split pipeline keeps the raw text only in the encoded manifest.
  syndication::v1::IssueManifest encoded_manifest;
  if (!encoded_manifest.ParseFromString(encoded.manifest.bytes))
    throw std::runtime_error("publish: cannot read back the encoded manifest of " +
                             issue.manifest.issue_id());
  issue.manifest.set_source(encoded_manifest.source());
  if (correct) {
    const auto report = apply_corrections(*corrections_, issue);
    applied_ = true;
    log::get("review").info("issue {}: corrections {} applied, {} article(s) changed, {} merged away",
                            issue.manifest.issue_id(), corrections_->source, report.changed.size(),
                            report.removed.size());
    encoded = encode_issue(issue);
  }
  if (!below_confidence(issue, min_confidence_)) {
    std::string().swap(*issue.manifest.mutable_source());
    return std::nullopt;
  }
  if (!store_) store_ = std::make_unique<review_store>(dir_);
  held_issue h = make_held(issue, issue.manifest.source(), "cli", "publish", so);
  if (correct) h.corrections = corrections_->text;  // kept for the record; release re-applies it
  store_->hold(h);
  return issue.manifest.issue_id() + ": HELD for review, not published (confidence " +
         std::to_string(issue.manifest.confidence()).substr(0, 4) + " < producer.review.min_confidence " +
         std::to_string(min_confidence_).substr(0, 4) + ", " + std::to_string(h.warnings) +
         " warning(s)); see `syndicate review show " + h.issue_id + "`";
}

void publish_gate::finish() const {
  if (corrections_ && !applied_) {
    throw correction_error(corrections_->source, 0, "issue",
                           "no file given is issue " + corrections_->issue_id + "; nothing published");
  }
}

std::string review_text(const held_issue& h, const split_result& issue, double doubt_below) {
  doubt_below = std::max(doubt_below, doubtful_below);
  std::string out;
  out.append("issue ")
      .append(h.issue_id)
      .append("  ")
      .append(h.state)
      .append("  confidence ")
      .append(fixed2(issue.manifest.confidence()))
      .append("  held ")
      .append(h.held_at)
      .append(" via ")
      .append(h.via)
      .append(" (")
      .append(h.source)
      .append(")\n");
  if (!h.reason.empty()) out.append("note: ").append(h.reason).append("\n");
  out.append("warnings:\n");
  for (const auto& w : issue.manifest.warnings()) {
    out.append("  ? line ").append(std::to_string(w.line())).append(": ").append(w.reason());
    if (!w.text().empty()) out.append(" | ").append(w.text());
    out.push_back('\n');
  }
  if (issue.manifest.warnings().empty()) out.append("  (none)\n");
  for (const auto& a : issue.articles) {
    const bool doubtful = static_cast<double>(a.confidence()) < doubt_below;
    out.append(doubtful ? "? " : "  ")
        .append("[")
        .append(std::to_string(a.sequence()))
        .append("] ")
        .append(a.id())
        .append("  confidence ")
        .append(fixed2(a.confidence()))
        .append(doubtful ? "  <- DOUBTFUL\n" : "\n");
    if (!a.kicker().empty()) out.append("    kicker:      ").append(a.kicker()).append("\n");
    out.append("    headline:    ").append(a.headline()).append("\n");
    if (!a.subheadline().empty()) out.append("    subheadline: ").append(a.subheadline()).append("\n");
    for (const auto& c : a.contributors()) {
      out.append("    byline:      ")
          .append(c.name())
          .append(" (")
          .append(syndication::v1::Contributor::Role_Name(c.role()))
          .append(")\n");
    }
    for (int k = 0; k < a.blocks_size(); ++k) {
      const std::string& t = a.blocks(k).text();
      std::size_t cut = std::min<std::size_t>(t.size(), 90);
      while (cut < t.size() && (static_cast<unsigned char>(t[cut]) & 0xC0U) == 0x80U) ++cut;  // whole UTF-8
      out.append("    ")
          .append(std::to_string(k + 1))
          .append(". ")
          .append(t.substr(0, cut))
          .append(cut < t.size() ? "…\n" : "\n");
    }
    for (int k = 0; k < a.photos_size(); ++k) {
      out.append("    photo ")
          .append(std::to_string(k + 1))
          .append(": ")
          .append(a.photos(k).caption())
          .append(" / ")
          .append(a.photos(k).credit())
          .append("\n");
    }
  }
  return out;
}

std::string summary_json(const held_issue& h) {
  return meta_json(h).dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string review_json(const held_issue& h, const split_result* issue, double doubt_below) {
  doubt_below = std::max(doubt_below, doubtful_below);
  json out = json::parse(summary_json(h));
  if (issue != nullptr) {
    json warnings = json::array();
    for (const auto& w : issue->manifest.warnings()) {
      warnings.push_back({{"line", w.line()}, {"reason", w.reason()}, {"text", w.text()}});
    }
    json articles = json::array();
    for (const auto& a : issue->articles) {
      json blocks = json::array();
      for (const auto& b : a.blocks()) blocks.push_back(b.text());
      json people = json::array();
      for (const auto& c : a.contributors()) {
        people.push_back({{"name", c.name()}, {"role", syndication::v1::Contributor::Role_Name(c.role())}});
      }
      json photos = json::array();
      for (const auto& p : a.photos()) photos.push_back({{"caption", p.caption()}, {"credit", p.credit()}});
      articles.push_back({{"number", a.sequence()},
                          {"id", a.id()},
                          {"confidence", a.confidence()},
                          {"doubtful", static_cast<double>(a.confidence()) < doubt_below},
                          {"kicker", a.kicker()},
                          {"headline", a.headline()},
                          {"subheadline", a.subheadline()},
                          {"byline", people},
                          {"paragraphs", blocks},
                          {"photos", photos}});
    }
    out["issueConfidence"] = issue->manifest.confidence();
    out["warningList"] = warnings;
    out["articles"] = articles;
  }
  return out.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

}  // namespace syn::producer
