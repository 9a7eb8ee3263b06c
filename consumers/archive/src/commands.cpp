#include "syn/archive/commands.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "render.hpp"
#include "syn/archive/sink.hpp"
#include "syn/archive/store.hpp"
#include "syn/core/blob_store.hpp"
#include "syn/core/config.hpp"

namespace syn::archive {
namespace {

/// Options every `archive` subcommand shares.
struct common_options {
  std::string config_path;
  CLI::Option* config_opt = nullptr;
  std::string db;

  void add(CLI::App* sub) {
    config_opt = cli::add_config_option(sub, config_path);
    sub->add_option("--db", db,
                    "SQLite archive file; overrides the config (backend sqlite, archive.sqlite.path)");
  }

  /// The archive section: from the config file when one is given (--config or $SYNDICATE_CONFIG)
  /// or the default file exists, else the built-in defaults; --db overrides the backend and path.
  [[nodiscard]] config::archive_config archive() const { return root().archive; }

  /// The whole config, read as archive() says.
  [[nodiscard]] config::root root() const {
    const char* env = std::getenv("SYNDICATE_CONFIG");
    const bool explicit_config = config_opt->count() > 0 || (env != nullptr && *env != '\0');
    config::root cfg;
    std::error_code ec;
    if (explicit_config || (db.empty() && std::filesystem::exists(config_path, ec)))
      cfg = config::load(config_path);
    if (!db.empty()) {
      cfg.archive.backend = config::archive_backend::sqlite;
      cfg.archive.sqlite.path = db;
    }
    return cfg;
  }
};

int exit_for(const error& e) {
  cli::print_error(e.to_string());
  return e == errc::bad_argument ? cli::exit_code::bad_input : cli::exit_code::failure;
}

/// Runs `body` on the configured store; store errors exit 1 (2 for bad arguments).
template <class Body>
int with_store(const common_options& common, open_mode mode, bool show_notices, Body&& body) {
  // A bad config throws config_error: the dispatcher reports every problem (file:line:col), exit 2.
  const config::archive_config cfg = common.archive();
  store_options options;
  options.mode = mode;
  auto s = open(cfg, options);
  if (!s) return exit_for(s.error());
  if (show_notices) {
    for (const auto& n : s.value()->notices()) cli::print_error("archive: note: " + n);
  }
  if (auto r = body(*s.value()); !r) return exit_for(r.error());
  return cli::exit_code::ok;
}

cmd::format parse_format(const std::string& f) {
  if (f == "json") return cmd::format::json;
  if (f == "raw") return cmd::format::raw;
  return cmd::format::text;
}

/// Writes to --output FILE when given, else stdout.
template <class Body>
result<void> to_output(const std::string& path, Body&& body) {
  if (path.empty() || path == "-") {
    auto r = body(std::cout);
    std::cout.flush();
    return r;
  }
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  if (!file) return error(errc::bad_argument, path + ": cannot write");
  BOOST_OUTCOME_TRY(body(file));
  file.close();
  if (!file) return error(errc::unavailable, path + ": write failed");
  return success();
}

/// `archive export --format bundle -o DIR`: the store and the config's blob store.
int export_bundle_command(const common_options& common, const std::string& issue, const std::string& dir) {
  if (dir.empty() || dir == "-") {
    cli::print_error("archive export --format bundle: -o DIR is required (the bundle is a folder)");
    return cli::exit_code::bad_input;
  }
  auto blobs = blob::open(common.root().blobs);
  if (!blobs) {
    cli::print_error("blobs: " + blobs.error().to_string());
    return cli::exit_code::failure;
  }
  return with_store(common, open_mode::read_only, false,
                    [&](store& s) { return cmd::export_bundle(s, *blobs.value(), issue, dir, std::cout); });
}

}  // namespace

void register_commands(CLI::App& root, cli::dispatcher& dispatch) {
  register_consume_command(root, dispatch);

  auto* archive = root.add_subcommand("archive", "Search and read the archive (SQLite or PostgreSQL)");
  archive->require_subcommand(1);

  // search
  {
    auto* sub = archive->add_subcommand(
        "search",
        "Full-text search of current article revisions, most relevant first (Chinese: any length; "
        "terms of 1-2 characters are matched by substring scan)");
    auto common = std::make_shared<common_options>();
    auto q = std::make_shared<search_query>();
    auto words = std::make_shared<std::vector<std::string>>();
    auto as_json = std::make_shared<bool>(false);
    sub->add_option("query", *words, "terms; every term must occur")->required();
    sub->add_option("--paper", q->paper, "only this paper code");
    sub->add_option("--from", q->from, "only issues on or after this date (YYYY-MM-DD)");
    sub->add_option("--to", q->to, "only issues on or before this date (YYYY-MM-DD)");
    sub->add_option("--language", q->language, "only articles in this language (zh-Hans, zh-Hant...)");
    sub->add_option("--limit", q->limit, "at most N hits")->check(CLI::Range(1, 1000))->capture_default_str();
    sub->add_flag("--json", *as_json, "JSON output");
    common->add(sub);
    dispatch.on(sub, [common, q, words, as_json] {
      for (const auto& w : *words) q->text += (q->text.empty() ? "" : " ") + w;
      return with_store(*common, open_mode::read_only, true,
                        [&](store& s) { return cmd::search(s, *q, *as_json, std::cout); });
    });
  }

  // get
  {
    auto* sub = archive->add_subcommand("get", "One article: the current revision, or any revision");
    auto common = std::make_shared<common_options>();
    auto id = std::make_shared<std::string>();
    auto revision = std::make_shared<int>(0);
    auto fmt = std::make_shared<std::string>("text");
    sub->add_option("id", *id, "article id, e.g. cjrb-20240130-01-03")->required();
    sub->add_option("--revision", *revision, "revision number (default: current)")
        ->check(CLI::PositiveNumber);
    sub->add_option("--format", *fmt, "json (canonical protobuf JSON plus revision metadata) or text")
        ->check(CLI::IsMember({"json", "text"}))
        ->capture_default_str();
    common->add(sub);
    dispatch.on(sub, [common, id, revision, fmt] {
      const std::optional<int> rev = *revision > 0 ? std::optional<int>(*revision) : std::nullopt;
      return with_store(*common, open_mode::read_only, false,
                        [&](store& s) { return cmd::get(s, *id, rev, parse_format(*fmt), std::cout); });
    });
  }

  // export
  {
    auto* sub = archive->add_subcommand(
        "export", "A whole issue back: manifest and articles in order, or the archived raw input bytes");
    auto common = std::make_shared<common_options>();
    auto issue = std::make_shared<std::string>();
    auto fmt = std::make_shared<std::string>("text");
    auto output = std::make_shared<std::string>();
    sub->add_option("--issue", *issue, "issue id, e.g. cjrb-20240130")->required();
    sub->add_option(
           "--format", *fmt,
           "json, text, raw (the original input file, byte for byte), or bundle (a folder: the text, "
           "the images from the blob store, photos.yaml and issue.json; `publish DIR` takes it)")
        ->check(CLI::IsMember({"json", "text", "raw", "bundle"}))
        ->capture_default_str();
    sub->add_option("-o,--output", *output, "write to FILE (bundle: to the new or empty folder DIR)");
    common->add(sub);
    dispatch.on(sub, [common, issue, fmt, output] {
      if (*fmt == "bundle") return export_bundle_command(*common, *issue, *output);
      return with_store(*common, open_mode::read_only, false, [&](store& s) {
        return to_output(*output, [&](std::ostream& out) {
          return cmd::export_issue(s, *issue, parse_format(*fmt), out);
        });
      });
    });
  }

  // index
  {
    auto* sub = archive->add_subcommand(
        "index",
        "Move the articles queued for search into the full-text index now (SQLite; `consume archive` "
        "does it in the background and at its next start; search finds queued articles meanwhile)");
    auto common = std::make_shared<common_options>();
    common->add(sub);
    dispatch.on(sub, [common] {
      return with_store(*common, open_mode::read_write, true, [&](store& s) -> result<void> {
        BOOST_OUTCOME_TRY(total, index_all(s));
        std::cout << "indexed " << total << " queued article(s); the search index is up to date\n";
        return success();
      });
    });
  }

  // put-raw
  {
    auto* sub = archive->add_subcommand(
        "put-raw",
        "Archive an issue file's raw bytes by their SHA-256 (what manifests' source_sha256 names)");
    auto common = std::make_shared<common_options>();
    auto file = std::make_shared<std::string>();
    auto name = std::make_shared<std::string>();
    sub->add_option("file", *file, "issue file")->required()->check(CLI::ExistingFile);
    sub->add_option("--name", *name, "source name to record (default: the file name as given)");
    common->add(sub);
    dispatch.on(sub, [common, file, name] {
      return with_store(*common, open_mode::read_write, false,
                        [&](store& s) { return cmd::put_raw(s, *file, *name, std::cout); });
    });
  }
}

}  // namespace syn::archive
