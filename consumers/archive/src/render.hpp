#pragma once
// What `syndicate archive search|get|export|put-raw` print, separated from the CLI wiring so the
// unit tests can run them against a store in a temp dir.

#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "syn/archive/store.hpp"

namespace syn::archive::cmd {

enum class format { text, json, raw };

/// JSON of one stored article revision: {"article": <canonical protobuf JSON>, "revision": n,
/// "currentRevision", "revisionCount", "current", "storedAt", "translationOfRevision"?,
/// "history": [...], "translations": [...]}.
std::string article_json(const stored_article& a, int indent = 2);

/// Human-readable article: metadata lines, then kicker, headline, byline and body.
void print_article_text(const stored_article& a, std::ostream& out);

result<void> search(store& s, const search_query& q, bool json, std::ostream& out);
result<void> get(store& s, const std::string& id, std::optional<int> revision, format f, std::ostream& out);
/// `raw` writes the archived raw bytes of the issue's source, byte for byte.
result<void> export_issue(store& s, const std::string& issue_id, format f, std::ostream& out);
/// Archives the bytes of `file`; prints what happened.
result<void> put_raw(store& s, const std::string& file, const std::string& name, std::ostream& out);

}  // namespace syn::archive::cmd
