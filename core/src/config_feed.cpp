// syn::config: the `feed` section (WeChat API, accounts and their routing rules, feed server).

#include <algorithm>

#include "config_checks.hpp"
#include "config_sections.hpp"

namespace syn::config {
namespace detail {

template <>
const schema<route_rules>& schema_of<route_rules>() {
  static const schema<route_rules> s{{
      field("papers", &route_rules::papers, "Paper codes; empty = every paper.", {each(paper_code())}),
      field("kickers", &route_rules::kickers, "Column kickers; empty = any.", {each(not_empty())}),
      field("pages", &route_rules::pages, "Pages; empty = any.",
            {each(positive<int>("a page number from 1"))}),
      field("headline_keywords", &route_rules::headline_keywords, "Substrings of the headline; empty = any.",
            {each(not_empty())}),
      field("languages", &route_rules::languages, "Article languages; empty = the account's (target's) own.",
            {each(language_tag())}),
  }};
  return s;
}

template <>
const schema<feed_account>& schema_of<feed_account>() {
  static const schema<feed_account> s{
      {
          required(field("name", &feed_account::name, "Stable name, used in feed URLs (/feeds/<name>).",
                         {url_safe_name()})),
          field("app_id", &feed_account::app_id,
                "WeChat AppID; empty = served by the feed server only, nothing pushed."),
          field("app_secret_env", &feed_account::app_secret,
                "Environment variable holding the AppSecret (required with app_id)."),
          field("language", &feed_account::language, "Language of the account's articles.", {language_tag()}),
          field("cover_image", &feed_account::cover_image,
                "Image uploaded as the drafts' cover (required with app_id)."),
          field("rules", &feed_account::rules, "Which articles this account gets."),
          field("callback_token_env", &feed_account::callback_token,
                "Environment variable holding the WeChat message-push Token (serve feeds' callback)."),
          field("encoding_aes_key_env", &feed_account::encoding_aes_key,
                "Environment variable holding the message-push EncodingAESKey (safe mode; recommended)."),
      },
      {[](const feed_account& a, validator& v, const std::string& path) {
        if (a.app_id.empty()) return;
        if (!a.app_secret.configured()) {
          v.error(join_path(path, "app_secret_env"),
                  "required when app_id is set: name the environment variable "
                  "holding the AppSecret");
        }
        if (a.cover_image.empty()) {
          v.error(join_path(path, "cover_image"),
                  "required when app_id is set: WeChat drafts need a cover image");
        }
      }}};
  return s;
}

template <>
const schema<feed_server_config>& schema_of<feed_server_config>() {
  static const schema<feed_server_config> s{{
      field("listen", &feed_server_config::listen, "Address of `serve feeds` (feed pages and RSS).",
            {listen_address()}),
      field("public_base_url", &feed_server_config::public_base_url,
            "Base of the links in feeds and pushed drafts, as readers reach it.", {http_url()}),
  }};
  return s;
}

template <>
const schema<feed_state_postgres_config>& schema_of<feed_state_postgres_config>() {
  static const schema<feed_state_postgres_config> s{
      {
          field("conninfo_env", &feed_state_postgres_config::conninfo,
                "Environment variable holding the libpq conninfo or postgresql:// URI."),
          field("schema", &feed_state_postgres_config::schema,
                "Schema of the feed's tables (created if missing), apart from the archive's in the same "
                "database."),
      },
      {[](const feed_state_postgres_config& p, validator& v, const std::string& path) {
        const bool plain = !p.schema.empty() && p.schema.size() <= 63 &&
                           std::all_of(p.schema.begin(), p.schema.end(),
                                       [](char c) { return (c >= 'a' && c <= 'z') || c == '_'; });
        if (!plain)
          v.error(join_path(path, "schema"), "expected 1 to 63 of a-z and _, got '" + p.schema + "'");
      }}};
  return s;
}

template <>
const schema<feed_state_config>& schema_of<feed_state_config>() {
  static const schema<feed_state_config> s{
      {
          field("backend", &feed_state_config::backend,
                "sqlite (one host) or postgres (several `consume feed` / `serve feeds` instances)."),
          field("sqlite", &feed_state_config::sqlite, "backend: sqlite."),
          field("postgres", &feed_state_config::postgres, "backend: postgres."),
      },
      {[](const feed_state_config& st, validator& v, const std::string& path) {
        if (st.backend == archive_backend::sqlite && st.sqlite.path.empty()) {
          v.error(join_path(path, "sqlite.path"), "required when backend is sqlite");
        }
        if (st.backend == archive_backend::postgres && !st.postgres.conninfo.configured()) {
          v.error(join_path(path, "postgres.conninfo_env"), "required when backend is postgres");
        }
      }}};
  return s;
}

template <>
const schema<feed_config>& schema_of<feed_config>() {
  static const schema<feed_config> s{
      {
          field("api_base_url", &feed_config::api_base_url, "WeChat API base URL (a test server's in tests).",
                {http_url()}),
          field("request_timeout_ms", &feed_config::request_timeout, "Bound on one WeChat API call.",
                {positive_ms()}),
          field("max_articles_per_draft", &feed_config::max_articles_per_draft,
                "Articles per WeChat draft (WeChat takes at most 8).", {in_range(1, 8)}),
          field("retry", &feed_config::retry, "Retries of WeChat API calls (5xx, timeouts, rate limits)."),
          field("quota_reset_utc_minute", &feed_config::quota_reset_utc_minute,
                "Minute of the UTC day when WeChat's daily API quotas reset (960: midnight China time); an "
                "account paused by 45009 resumes then.",
                {in_range(0, 1439)}),
          field("server", &feed_config::server, "`serve feeds`: the feed server."),
          field("state", &feed_config::state,
                "Where the feed state is kept (`consume feed`, `serve feeds`, `feed ...`); the --state* "
                "flags override it."),
          field("accounts", &feed_config::accounts, "WeChat-style accounts and what each one gets."),
      },
      {[](const feed_config& f, validator& v, const std::string& path) {
        report_duplicates<feed_account>(
            f.accounts, [](const feed_account& a) { return a.name; }, v, join_path(path, "accounts"), "name",
            "account name");
      }}};
  return s;
}

}  // namespace detail

}  // namespace syn::config
