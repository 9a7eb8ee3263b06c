#pragma once
// What `syndicate archive search|get|export|put-raw` print, separated from the CLI wiring so the
// unit tests can run them against a store in a temp dir.

#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "syn/archive/store.hpp"

namespace syn::blob {
class store;
}

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
/// The issue as a bundle in the folder `dir` (new or empty): the archived source text under the
/// manifest's source_name, each photo's image once under its source_name (from `blobs`, verified
/// against its SHA-256), photos.yaml ([{file, caption}] in article order; absent without photos)
/// and issue.json (as format::json). Prints one line per file. Errors: the folder not empty or
/// not writable (bad_argument), the source or an article or image not stored (not_found), the
/// blob store unreachable (unavailable).
result<void> export_bundle(store& s, blob::store& blobs, const std::string& issue_id, const std::string& dir,
                           std::ostream& out);
/// Archives the bytes of `file`; prints what happened.
result<void> put_raw(store& s, const std::string& file, const std::string& name, std::ostream& out);

}  // namespace syn::archive::cmd
