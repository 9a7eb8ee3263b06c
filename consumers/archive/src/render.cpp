#include "render.hpp"

#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/time_util.h>

#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <sstream>

#include "syn/core/sha256.hpp"

namespace syn::archive::cmd {
namespace {

using json = nlohmann::ordered_json;  // keys in the order written (protobuf: field order)
using syndication::v1::Article;
using syndication::v1::Block;
using syndication::v1::Contributor;

json proto_json(const google::protobuf::Message& m) {
  std::string text;
  google::protobuf::util::JsonPrintOptions opts;
  opts.preserve_proto_field_names = false;
  if (const auto st = google::protobuf::util::MessageToJsonString(m, &text, opts); !st.ok()) {
    throw std::runtime_error("cannot print " + m.GetTypeName() + " as JSON: " + st.ToString());
  }
  return json::parse(text);
}

std::string rfc3339(std::int64_t micros) {
  return google::protobuf::util::TimeUtil::ToString(
      google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(micros));
}

json article_object(const stored_article& a) {
  json j;
  j["article"] = proto_json(a.article);
  j["revision"] = a.revision;
  j["currentRevision"] = a.current_revision;
  j["revisionCount"] = a.revision_count;
  j["current"] = a.revision == a.current_revision;
  j["storedAt"] = a.stored_at;
  if (a.translation_of_revision) j["translationOfRevision"] = *a.translation_of_revision;
  json history = json::array();
  for (const auto& h : a.history) {
    json e{{"revision", h.revision}, {"contentSha256", h.content_sha256}, {"storedAt", h.stored_at}};
    if (h.published_us != 0) e["publishedAt"] = rfc3339(h.published_us);
    history.push_back(std::move(e));
  }
  j["history"] = std::move(history);
  json translations = json::array();
  for (const auto& t : a.translations) {
    translations.push_back({{"id", t.id}, {"language", t.language}, {"revision", t.revision}});
  }
  j["translations"] = std::move(translations);
  return j;
}

std::string role_label(Contributor::Role r) {
  switch (r) {
    case Contributor::REPORTER:
      return "记者";
    case Contributor::CORRESPONDENT:
      return "通讯员";
    case Contributor::PHOTOGRAPHER:
      return "摄影";
    case Contributor::EDITOR:
      return "编辑";
    case Contributor::INTERN:
      return "实习生";
    default:
      return "";
  }
}

void print_body(const Article& a, std::ostream& out) {
  if (!a.kicker().empty()) out << "» " << a.kicker() << '\n';
  out << a.headline() << '\n';
  if (!a.subheadline().empty()) out << a.subheadline() << '\n';
  if (a.contributors_size() > 0) {
    out << "□";
    for (const auto& c : a.contributors()) {
      const std::string role = role_label(c.role());
      out << ' ' << (role.empty() ? "" : role + " ") << c.name();
    }
    out << '\n';
  }
  std::size_t photo = 0;
  const auto photos_after = [&](int blocks_done) {
    for (; photo < static_cast<std::size_t>(a.photos_size()) &&
           a.photos(static_cast<int>(photo)).after_block() <= static_cast<unsigned>(blocks_done);
         ++photo) {
      const auto& p = a.photos(static_cast<int>(photo));
      out << "\n[图] " << p.caption();
      if (!p.credit().empty()) out << "（" << p.credit() << " 摄）";
      out << '\n';
    }
  };
  photos_after(0);
  for (int i = 0; i < a.blocks_size(); ++i) {
    const auto& b = a.blocks(i);
    out << '\n';
    if (i == 0 && !a.dateline().empty()) out << a.dateline() << ' ';
    switch (b.kind()) {
      case Block::SUBHEAD:
        out << "## " << b.text();
        break;
      case Block::EDITOR_NOTE:
        out << "编者按：" << b.text();
        break;
      case Block::LIST_ITEM:
        out << "- " << b.text();
        break;
      case Block::QUOTE:
        out << "> " << b.text();
        break;
      default:
        out << b.text();
        break;
    }
    out << '\n';
    photos_after(i + 1);
  }
  photos_after(a.blocks_size() + 1'000'000);
}

}  // namespace

std::string article_json(const stored_article& a, int indent) { return article_object(a).dump(indent); }

void print_article_text(const stored_article& s, std::ostream& out) {
  const Article& a = s.article;
  out << a.id() << "  revision " << s.revision << '/' << s.revision_count
      << (s.revision == s.current_revision ? " (current)"
                                           : " (current: " + std::to_string(s.current_revision) + ")")
      << "  stored " << s.stored_at << '\n';
  out << "issue " << a.issue_id() << "  " << a.paper() << "  " << a.issue_date() << "  page " << a.page()
      << "  #" << a.sequence() << "  " << a.language() << '\n';
  if (!a.translation_of().empty()) {
    out << "translation of " << a.translation_of() << ' '
        << (s.translation_of_revision
                ? "revision " + std::to_string(*s.translation_of_revision)
                : "sha256 " + a.translation_of_sha256() + " (source revision not archived)")
        << '\n';
  }
  for (const auto& t : s.translations) {
    out << "translated: " << t.id << " (" << t.language << ", revision " << t.revision << ")\n";
  }
  out << "sha256 " << a.content_sha256() << '\n';
  // The photos this revision references (the bytes are in the blob store, by sha256).
  for (int i = 0; i < a.photos_size(); ++i) {
    const auto& p = a.photos(i);
    out << "photo " << i + 1 << ": ";
    if (p.sha256().empty()) {
      out << "(caption only)";
    } else {
      out << p.sha256() << "  " << p.media_type() << "  " << p.bytes() << " bytes  " << p.width() << 'x'
          << p.height();
      if (!p.source_name().empty()) out << "  " << p.source_name();
    }
    out << "  after block " << p.after_block() << "  caption: " << p.caption();
    if (!p.credit().empty()) out << "  credit: " << p.credit();
    out << '\n';
  }
  out << '\n';
  print_body(a, out);
}

result<void> search(store& s, const search_query& q, bool as_json, std::ostream& out) {
  BOOST_OUTCOME_TRY(hits, s.search(q));
  if (as_json) {
    json j;
    j["query"] = q.text;
    json list = json::array();
    for (const auto& h : hits) {
      list.push_back({{"id", h.id},
                      {"issueId", h.issue_id},
                      {"paper", h.paper},
                      {"issueDate", h.issue_date},
                      {"language", h.language},
                      {"headline", h.headline},
                      {"snippet", h.snippet},
                      {"revision", h.revision},
                      {"score", h.score}});
    }
    j["hits"] = std::move(list);
    out << j.dump(2) << '\n';
    return success();
  }
  for (const auto& h : hits) {
    out << h.id << "  " << h.issue_date << "  " << h.headline << '\n';
    out << "    " << h.snippet << '\n';
  }
  if (hits.empty()) out << "no match\n";
  return success();
}

result<void> get(store& s, const std::string& id, std::optional<int> revision, format f, std::ostream& out) {
  BOOST_OUTCOME_TRY(a, s.get(id, revision));
  if (f == format::json) {
    out << article_json(a) << '\n';
  } else {
    print_article_text(a, out);
  }
  return success();
}

result<void> export_issue(store& s, const std::string& issue_id, format f, std::ostream& out) {
  if (f == format::raw) {
    BOOST_OUTCOME_TRY(issue, s.issue(issue_id));
    auto bytes = s.raw(issue.manifest.source_sha256());
    if (!bytes) {
      if (bytes.error() == errc::not_found) {
        return error(errc::not_found, "issue " + issue_id + ": raw bytes " + issue.manifest.source_sha256() +
                                          " are not archived");
      }
      return std::move(bytes).error();
    }
    out.write(bytes.value().data(), static_cast<std::streamsize>(bytes.value().size()));
    return success();
  }
  BOOST_OUTCOME_TRY(e, s.export_issue(issue_id));
  const auto& m = e.issue.manifest;
  if (f == format::json) {
    json j;
    j["manifest"] = proto_json(m);
    j["revision"] = e.issue.revision;
    j["revisionCount"] = e.issue.revision_count;
    j["storedAt"] = e.issue.stored_at;
    j["rawAvailable"] = e.issue.raw_available;
    json articles = json::array();
    for (const auto& a : e.articles) articles.push_back(article_object(a));
    j["articles"] = std::move(articles);
    j["missing"] = e.missing;
    j["hashMismatch"] = e.hash_mismatch;
    out << j.dump(2) << '\n';
    return success();
  }
  out << "issue " << m.issue_id() << "  revision " << e.issue.revision << '/' << e.issue.revision_count
      << "  " << m.paper().name() << ' ' << m.issue_date() << ' ' << m.weekday();
  if (m.issue_number() != 0) out << "  总第" << m.issue_number() << "期";
  out << "  " << m.article_ids_size() << " articles\n";
  out << "source sha256 " << m.source_sha256()
      << (e.issue.raw_available ? " (raw archived)" : " (raw not archived)") << '\n';
  for (const auto& id : e.missing) out << "missing: " << id << '\n';
  for (const auto& id : e.hash_mismatch) out << "not the manifest's revision: " << id << '\n';
  int n = 0;
  for (const auto& a : e.articles) {
    out << "\n──── " << ++n << '/' << e.articles.size() << ' ' << a.article.id() << '\n';
    print_article_text(a, out);
  }
  return success();
}

result<void> put_raw(store& s, const std::string& file, const std::string& name, std::ostream& out) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return error(errc::bad_argument, file + ": cannot open");
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return error(errc::bad_argument, file + ": read error");
  const std::string sha = sha256_hex(bytes);
  BOOST_OUTCOME_TRY(stored, s.put_raw(sha, bytes, name.empty() ? file : name));
  out << (stored ? "archived " : "already archived ") << sha << "  " << bytes.size() << " bytes\n";
  return success();
}

}  // namespace syn::archive::cmd
