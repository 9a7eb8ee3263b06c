// syn::config: the `papers` entries and the `producer` section (splitting, trigger, hot folder).

#include <array>

#include "config_checks.hpp"
#include "config_sections.hpp"

namespace syn::config {
namespace detail {

template <>
std::span<const std::pair<input_encoding, std::string_view>> enum_names<input_encoding>() {
  static constexpr std::array<std::pair<input_encoding, std::string_view>, 3> k{
      {{input_encoding::automatic, "auto"},
       {input_encoding::utf8, "utf-8"},
       {input_encoding::gb18030, "gb18030"}}};
  return k;
}

template <>
const schema<paper_config>& schema_of<paper_config>() {
  static const schema<paper_config> s{{
      required(field("code", &paper_config::code, "Short code, the first part of article ids (cjrb).",
                     {paper_code()})),
      required(field("name", &paper_config::name, "Name as printed on the masthead.", {not_empty()})),
      field("aliases", &paper_config::aliases, "Other names the masthead may carry.", {each(not_empty())}),
  }};
  return s;
}

template <>
const schema<split_config>& schema_of<split_config>() {
  static const schema<split_config> s{{
      field("default_paper", &split_config::default_paper,
            "Paper code assumed when the masthead names no known paper; empty = the first of `papers`."),
      field("encoding", &split_config::encoding, "Encoding of issue files; auto detects UTF-8 or GB18030."),
      field("join_wrapped_lines", &split_config::join_wrapped_lines,
            "Remove spaces left inside Chinese text where a column line wrapped."),
      field("drop_duplicate_lines", &split_config::drop_duplicate_lines,
            "Drop consecutive duplicated lines (garbled OCR repeats)."),
  }};
  return s;
}

template <>
const schema<trigger_config>& schema_of<trigger_config>() {
  static const schema<trigger_config> s{
      {
          field("listen", &trigger_config::listen, "Address of the trigger's HTTP server (POST /v1/issues).",
                {listen_address()}),
          field("max_body_bytes", &trigger_config::max_body_bytes, "Largest accepted request body.",
                {positive<std::size_t>("a positive number of bytes")}),
          field("token_env", &trigger_config::token,
                "Environment variable holding the bearer token clients must send; empty = no authentication "
                "(loopback listen only)."),
          field("request_timeout_ms", &trigger_config::request_timeout,
                "Bound on reading one request's body (and on writing the answer).", {positive_ms()}),
          field("header_timeout_ms", &trigger_config::header_timeout,
                "Bound on reading a request's line and headers, and on a keep-alive connection's idle time "
                "(at most request_timeout_ms).",
                {positive_ms()}),
          field("max_connections", &trigger_config::max_connections,
                "Open connections at most; more are answered 503 and closed.",
                {positive<std::size_t>("a positive number")}),
          field("max_connections_per_client", &trigger_config::max_connections_per_client,
                "Open connections at most from one client address; more are answered 503 and closed.",
                {positive<std::size_t>("a positive number")}),
          field("spool_dir", &trigger_config::spool_dir,
                "Accepted issues are written here (fsync'd, one file per issue, a subfolder per instance) "
                "before "
                "the 202, and replayed at start-up.",
                {not_empty("a directory")}),
      },
      {[](const trigger_config& t, validator& v, const std::string& path) {
        const auto hp = parse_host_port(t.listen);
        if (!t.token.configured() && hp && !is_loopback(hp->host)) {
          v.error(join_path(path, "token_env"),
                  "an unauthenticated trigger may only listen on loopback, and listen is " + quote(t.listen) +
                      ": name the token's environment variable");
        }
      }}};
  return s;
}

template <>
const schema<hot_folder_config>& schema_of<hot_folder_config>() {
  static const schema<hot_folder_config> s{
      {
          field("enabled", &hot_folder_config::enabled, "Watch the hot folder (part of `serve trigger`)."),
          field("dir", &hot_folder_config::dir, "The hot folder.", {not_empty("a directory")}),
          field("incoming", &hot_folder_config::incoming, "Subfolder of dir where issue files are dropped.",
                {subfolder_name()}),
          field("done", &hot_folder_config::done, "Subfolder of dir for published files.",
                {subfolder_name()}),
          field("failed", &hot_folder_config::failed,
                "Subfolder of dir for files that failed (with a .error note).", {subfolder_name()}),
          field("poll_interval_ms", &hot_folder_config::poll_interval, "How often incoming is scanned.",
                {positive_ms()}),
          field("stable_wait_ms", &hot_folder_config::stable_wait,
                "Fallback for writers that neither rename a .part file nor write a .ready marker: a file is "
                "taken "
                "once its size, mtime and inode have not changed for this long.",
                {non_negative_ms()}),
          field("max_file_bytes", &hot_folder_config::max_file_bytes,
                "A larger file is moved to failed/ (with a .error note) without being read.",
                {positive<std::size_t>("a positive number of bytes")}),
          field("ignore_suffixes", &hot_folder_config::ignore_suffixes,
                "Files with these suffixes are still being written and never taken.",
                {each(not_empty("a non-empty suffix"))}),
      },
      {[](const hot_folder_config& h, validator& v, const std::string& path) {
        if (h.done == h.incoming) v.error(join_path(path, "done"), "must differ from incoming");
        if (h.failed == h.incoming) v.error(join_path(path, "failed"), "must differ from incoming");
        if (h.failed == h.done) v.error(join_path(path, "failed"), "must differ from done");
      }}};
  return s;
}

template <>
const schema<producer_config>& schema_of<producer_config>() {
  static const schema<producer_config> s{{
      field("split", &producer_config::split, "How issues are split into articles."),
      field("review", &producer_config::review, "`publish`, `serve trigger`: holding doubtful issues."),
      field("trigger", &producer_config::trigger, "`serve trigger`: the HTTP trigger."),
      field("hot_folder", &producer_config::hot_folder, "`serve trigger`: the hot folder."),
      field("max_issues_per_transaction", &producer_config::max_issues_per_transaction,
            "Issues that are ready together (files of one `publish`, the trigger's queue) go into one Kafka "
            "transaction, up to this many; each issue is still all-or-nothing for read_committed consumers.",
            {positive<int>()}),
  }};
  return s;
}

}  // namespace detail

}  // namespace syn::config
