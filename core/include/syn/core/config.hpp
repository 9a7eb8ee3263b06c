#pragma once
/// Typed configuration loaded from YAML (config/syndication.yaml documents every key).
///
/// The Kafka section below is fixed: the Kafka client layer builds on it. The loader,
/// validation and the other sections live in config.cpp.
///
/// Every default lives here, in the member initialisers: `root{}` is exactly the configuration
/// that config/syndication.yaml spells out (a unit test holds the two together). The schema in
/// config.cpp declares, once per setting, its YAML key, description, requiredness and checks.
///
/// Secrets never appear in the file: a `secret` names an environment variable (`*_env` keys) and
/// is read at `resolve()` time. Relative paths are relative to the working directory.

#include <chrono>
#include <cstddef>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace syn::config {

/// A secret held in an environment variable; the config only ever holds the variable's name.
struct secret {
  /// Name of the environment variable (`FOO` for `app_secret_env: FOO`); empty when not configured.
  std::string env;

  /// The variable's value now, or nullopt when `env` is empty or the variable is unset.
  /// Reads the environment on every call (std::getenv): not safe against a concurrent setenv().
  [[nodiscard]] std::optional<std::string> resolve() const;
  [[nodiscard]] bool configured() const noexcept { return !env.empty(); }
};

/// One topic as the admin client creates it.
struct topic_config {
  std::string name;
  int partitions = 3;
  int replication_factor = 1;
  /// Topic-level configs passed to CreateTopics, e.g. {"cleanup.policy", "compact"}.
  std::map<std::string, std::string> config;
};

/// The topics of DESIGN.md, by role.
struct topics_config {
  topic_config issues{"news.issues.v1", 3, 1, {{"cleanup.policy", "compact"}}};
  topic_config articles{"news.articles.v1", 3, 1, {{"retention.ms", "-1"}}};
  topic_config translated{"news.articles.translated.v1", 3, 1, {{"retention.ms", "-1"}}};
  topic_config translation_jobs{"news.translation.jobs.v1", 3, 1, {{"retention.ms", "604800000"}}};
  topic_config deadletter{"news.deadletter.v1", 1, 1, {{"retention.ms", "-1"}}};
  /// DeliveryReceipt per sink action, keyed by article id (docs/TOPICS.md). Not compacted: one
  /// article has many receipts under its key (one per sink, state and target) and compaction would
  /// keep only the last; 30 days of them (a receipt is a few hundred bytes). An empty name turns
  /// receipts off.
  topic_config deliveries{"news.deliveries.v1", 3, 1, {{"retention.ms", "2592000000"}}};

  /// All of them, in creation order (deliveries only when named).
  [[nodiscard]] std::vector<const topic_config*> all() const {
    std::vector<const topic_config*> out{&issues, &articles, &translated, &translation_jobs, &deadletter};
    if (!deliveries.name.empty()) out.push_back(&deliveries);
    return out;
  }
};

struct kafka_config {
  /// librdkafka `bootstrap.servers`; the literal `embedded` selects librdkafka's mock cluster.
  std::string bootstrap_servers = "127.0.0.1:9092";
  /// Extra librdkafka properties passed through verbatim (`kafka.client` in YAML).
  std::map<std::string, std::string> client;
  /// Prefix of the producer's `transactional.id`; the publisher appends a per-instance suffix.
  std::string transactional_id_prefix = "syndicate-publisher";
  int transaction_timeout_ms = 60000;
  topics_config topics;
  /// Secret librdkafka properties (`sasl.password`, ...), each read from the environment variable
  /// named here (`kafka.client_env` in YAML). Added after the fixed fields above.
  std::map<std::string, secret> client_env;
  /// librdkafka `statistics.interval.ms` for clients that take statistics (the consumers' lag
  /// gauges); not a YAML key here: load() copies `observability.kafka_statistics_interval_ms`.
  std::chrono::milliseconds statistics_interval{15000};
};

/// `bootstrap.servers` plus `kafka.client` plus every `kafka.client_env` secret resolved now.
/// The Kafka layer adds what it owns (transactional.id, group.id, isolation.level...).
/// Throws config_error when a `client_env` variable is unset. Thread-safe (see secret::resolve).
[[nodiscard]] std::map<std::string, std::string> librdkafka_properties(const kafka_config& kafka);

// ---------------------------------------------------------------------------------------------
// Papers

/// A newspaper the splitter knows. `code` is the first part of every article id (`cjrb-20240130-01-03`).
struct paper_config {
  std::string code;
  std::string name;
  /// Other names the masthead may carry (publisher name, romanised name...).
  std::vector<std::string> aliases;
};

// ---------------------------------------------------------------------------------------------
// Producer

enum class input_encoding { automatic, utf8, gb18030 };

struct split_config {
  /// Paper code assumed when the masthead names no known paper; empty = the first of `papers`.
  std::string default_paper;
  /// Encoding of issue files; `auto` detects UTF-8 (with or without BOM) or GB18030.
  input_encoding encoding = input_encoding::automatic;
  /// Join spaces left inside Chinese text where an extracted column line wrapped (`中国式现 代化`).
  bool join_wrapped_lines = true;
  /// Drop consecutive duplicated lines (garbled OCR repeats).
  bool drop_duplicate_lines = true;
};

/// `syndicate serve trigger`: HTTP POST /v1/issues.
struct trigger_config {
  std::string listen = "127.0.0.1:8080";
  std::size_t max_body_bytes = std::size_t{4} << 20U;
  /// Bearer token clients must send; empty `env` = no authentication (loopback `listen` only).
  secret token{"SYNDICATE_TRIGGER_TOKEN"};
  std::chrono::milliseconds request_timeout{30000};
  /// Accepted issues are made durable here (one subfolder per instance) before the 202.
  std::string spool_dir = "var/trigger/spool";
  /// Bound on reading a request's line and headers (and on a keep-alive connection's idle time).
  std::chrono::milliseconds header_timeout{10000};
  /// Open connections at most, in total and from one client address (more are answered 503).
  std::size_t max_connections = 256;
  std::size_t max_connections_per_client = 32;
};

/// Hot folder: files dropped into `dir/incoming` are published and moved to `done` or `failed`.
struct hot_folder_config {
  bool enabled = false;
  std::string dir = "var/hotfolder";
  /// Subfolders of `dir`.
  std::string incoming = "incoming";
  std::string done = "done";
  std::string failed = "failed";
  std::chrono::milliseconds poll_interval{1000};
  /// Fallback for writers that neither rename a `.part` nor drop a `.ready` marker: a file is
  /// taken once its size, mtime and inode have not changed for this long.
  std::chrono::milliseconds stable_wait{10000};
  /// A larger file is rejected to `failed` without being read.
  std::size_t max_file_bytes = std::size_t{4} << 20U;
  /// Files still being written; never picked up.
  std::vector<std::string> ignore_suffixes{".part"};
};

/// `publish` and `serve trigger`: issues the splitter is unsure of are held for an editor
/// (docs/RUNBOOK.md, "Held issues").
struct review_config {
  /// An issue whose confidence (`IssueManifest.confidence`) is below this is held, not published;
  /// 0 = never hold (the default).
  double min_confidence = 0.0;
  /// Held issues, one fsync'd file each (shared by `publish`, `serve trigger` and `review`).
  std::string dir = "var/trigger/review";
};

struct producer_config {
  split_config split;
  review_config review;
  trigger_config trigger;
  hot_folder_config hot_folder;
  /// `publish` and `serve trigger` put every issue that is ready (up to this many) into one Kafka
  /// transaction; each issue stays whole (docs/TOPICS.md, "Ordering and atomicity").
  int max_issues_per_transaction = 250;
};

// ---------------------------------------------------------------------------------------------
// Shared by the sinks

/// Capped exponential backoff with jitter: delay(n) = min(max_backoff, initial_backoff * multiplier^n),
/// then scaled by a random factor in [1 - jitter, 1 + jitter].
struct retry_config {
  std::chrono::milliseconds initial_backoff{200};
  std::chrono::milliseconds max_backoff{30000};
  double multiplier = 2.0;
  /// Attempts in total, the first included; then the record is dead-lettered.
  int max_attempts = 8;
  double jitter = 0.2;
};

/// Which articles go somewhere. Every non-empty list must match (AND); within a list any entry
/// matches (OR); an empty list matches everything.
struct route_rules {
  /// Paper codes.
  std::vector<std::string> papers;
  /// Column kickers (exact, after normalisation).
  std::vector<std::string> kickers;
  std::vector<int> pages;
  /// Substrings of the headline.
  std::vector<std::string> headline_keywords;
  /// Article languages (BCP 47); empty = the account's own language.
  std::vector<std::string> languages;
};

// ---------------------------------------------------------------------------------------------
// Feed

struct feed_account {
  /// Stable name, used in feed URLs (`/feeds/<name>`) and as the idempotency scope.
  std::string name;
  /// WeChat AppID; empty = this account is served by the feed server only, nothing is pushed.
  std::string app_id;
  secret app_secret;
  /// BCP 47 language of the account's articles.
  std::string language = "zh-Hans";
  /// Cover image uploaded as the drafts' thumbnail (required to push to WeChat).
  std::string cover_image;
  route_rules rules;
  /// Token of the WeChat message-push callback (`serve feeds`, /wechat/callback/<name>); unset =
  /// the callback answers 403 for this account.
  secret callback_token;
  /// EncodingAESKey of the callback's safe mode (安全模式, recommended): set = the callback takes
  /// only encrypted pushes for this account; unset = plain-text pushes (docs/FEED.md).
  secret encoding_aes_key;
};

// ---------------------------------------------------------------------------------------------
// SQL backends (the archive's and the feed state's)

enum class archive_backend { sqlite, postgres };

struct sqlite_config {
  std::string path = "var/archive.db";
};

struct postgres_config {
  /// libpq conninfo (`host=... dbname=... password=...` or a `postgresql://` URI).
  secret conninfo{"SYNDICATE_ARCHIVE_PG"};
};

/// `feed.state.postgres`: the shared feed state of several `consume feed` / `serve feeds`.
struct feed_state_postgres_config {
  /// libpq conninfo (`host=... dbname=... password=...` or a `postgresql://` URI).
  secret conninfo{"SYNDICATE_FEED_PG"};
  /// Schema of the feed's tables, apart from the archive's in the same database ([a-z_]+).
  std::string schema = "feed";
};

/// `feed.state`: where `consume feed`, `serve feeds` and `feed status|quota|repost` keep the
/// feed state; --state, --state-backend and --state-pg-env override it.
struct feed_state_config {
  archive_backend backend = archive_backend::sqlite;
  sqlite_config sqlite{"var/feed-state.db"};
  feed_state_postgres_config postgres;
};

struct feed_server_config {
  std::string listen = "127.0.0.1:8081";
  /// Base of the links in feeds and pushed drafts, as readers reach it.
  std::string public_base_url = "http://127.0.0.1:8081";
};

struct feed_config {
  std::string api_base_url = "https://api.weixin.qq.com";
  std::chrono::milliseconds request_timeout{10000};
  /// WeChat takes at most 8 articles per draft.
  int max_articles_per_draft = 8;
  retry_config retry{std::chrono::milliseconds{1000}, std::chrono::milliseconds{60000}, 2.0, 6, 0.2};
  /// Minute of the UTC day at which WeChat's daily API quotas reset: an account paused by a
  /// daily-quota answer (45009) resumes then. Default 960 = 00:00 China time (UTC+8).
  int quota_reset_utc_minute = 960;
  feed_server_config server;
  feed_state_config state;
  std::vector<feed_account> accounts{
      {"cjrb",
       "",
       {"SYNDICATE_WECHAT_CJRB_SECRET"},
       "zh-Hans",
       "",
       {},
       {"SYNDICATE_WECHAT_CJRB_CALLBACK_TOKEN"},
       {"SYNDICATE_WECHAT_CJRB_AES_KEY"}},
      {"cjrb-hant",
       "",
       {"SYNDICATE_WECHAT_CJRB_HANT_SECRET"},
       "zh-Hant",
       "",
       {},
       {"SYNDICATE_WECHAT_CJRB_HANT_CALLBACK_TOKEN"},
       {"SYNDICATE_WECHAT_CJRB_HANT_AES_KEY"}},
  };
};

// ---------------------------------------------------------------------------------------------
// Archive

struct archive_config {
  archive_backend backend = archive_backend::sqlite;
  sqlite_config sqlite;
  postgres_config postgres;
  /// Records written per transaction.
  int batch_size = 100;
  /// A partial batch is written after this long.
  std::chrono::milliseconds batch_max_wait{200};
};

// ---------------------------------------------------------------------------------------------
// Translation

enum class translation_engine { opencc, http };
/// OpenCC conversions from Simplified Chinese (the name of OpenCC's `<variant>.json`).
enum class opencc_variant { s2t, s2tw, s2twp, s2hk };

struct translation_target {
  /// BCP 47 tag of the translated articles (`zh-Hant`, `en`...).
  std::string language;
  translation_engine engine = translation_engine::opencc;
  opencc_variant opencc = opencc_variant::s2t;
  /// LibreTranslate-compatible endpoint (`.../translate`); `http` engine only.
  std::string url;
  /// API key for the HTTP engine, if it wants one.
  secret api_key;
  /// Language code the HTTP engine expects, when it differs from `language`.
  std::string engine_language;
  std::chrono::milliseconds request_timeout{30000};
  route_rules rules;
  /// Code the HTTP engine expects for the source language (zh-Hans); empty = zh-Hans.
  /// LibreTranslate before 1.6 calls Simplified Chinese `zh`.
  std::string engine_source_language;
  /// HTTP: most code points and texts in one request (the engine's char_limit / batch_limit).
  std::size_t max_chars_per_request = 2000;
  std::size_t max_segments_per_request = 32;
  /// OpenCC: contributors' names, the dateline and photo credits stay as printed (Simplified)
  /// instead of being converted with the rest.
  bool keep_names_as_printed = false;
};

/// Job priority 0 (lowest) to 9; the translator takes higher priorities first.
struct translation_priorities {
  /// Articles on other pages (key `default`).
  int normal = 5;
  /// Articles on page 1.
  int front_page = 8;
};

struct translation_config {
  std::vector<translation_target> targets{[] {
    translation_target t;
    t.language = "zh-Hant";
    return t;
  }()};
  /// A job not done by then is dead-lettered instead of retried.
  std::chrono::milliseconds job_deadline{600000};
  translation_priorities priorities;
};

// ---------------------------------------------------------------------------------------------
// Consumers

struct consumer_groups {
  std::string feed = "syndicate-feed";
  std::string archive = "syndicate-archive";
  std::string translation = "syndicate-translation";
  std::string translator = "syndicate-translator";
};

struct consumers_config {
  consumer_groups groups;
  /// Records taken per poll.
  int poll_batch_size = 100;
  std::chrono::milliseconds poll_timeout{500};
  /// Bound on every offset commit.
  std::chrono::milliseconds commit_timeout{10000};
  retry_config retry;
};

// ---------------------------------------------------------------------------------------------
// Observability

enum class log_format { text, json };
enum class log_level { trace, debug, info, warn, error, critical, off };

/// Where each process serves /metrics, /healthz and /readyz; empty = not served.
struct metrics_listen_config {
  std::string trigger = "127.0.0.1:9101";
  std::string feed = "127.0.0.1:9102";
  std::string archive = "127.0.0.1:9103";
  std::string translation = "127.0.0.1:9104";
  std::string translator = "127.0.0.1:9105";
  std::string feed_server = "127.0.0.1:9106";
  std::string run = "127.0.0.1:9100";
};

struct observability_config {
  metrics_listen_config metrics;
  log_format format = log_format::text;
  log_level level = log_level::info;
  /// librdkafka `statistics.interval.ms` for lag and queue gauges; 0 = off.
  std::chrono::milliseconds kafka_statistics_interval{15000};
};

// ---------------------------------------------------------------------------------------------
// Blobs: the bytes that never ride inside Kafka records (photos), docs/BLOBS.md

enum class blob_backend { folder, s3 };

/// `blobs.s3`: an S3-compatible object store (AWS S3, MinIO, Ceph RGW).
struct blobs_s3_config {
  /// `https://s3.eu-west-1.amazonaws.com`, `http://127.0.0.1:9000`.
  std::string endpoint;
  std::string bucket;
  std::string region = "us-east-1";
  /// Key prefix inside the bucket, e.g. `syndicate/`.
  std::string prefix;
  /// Path-style URLs (MinIO, Ceph) or virtual-hosted (AWS's default).
  bool path_style = true;
  secret access_key_id;
  secret secret_access_key;
};

/// `blobs`: where photos are stored (by SHA-256) and how large they may be.
struct blobs_config {
  blob_backend backend = blob_backend::folder;
  /// backend: folder. Every role that reads or writes photos must see the same folder.
  std::string folder = "var/blobs";
  blobs_s3_config s3;
  /// One image file, bytes.
  std::uint64_t max_image_bytes = 20ULL << 20U;
  /// All images of one issue together, bytes.
  std::uint64_t max_issue_bytes = 200ULL << 20U;
  /// One image's width x height (decompression bombs are refused before decoding).
  std::uint64_t max_image_pixels = 50'000'000;
  /// Images in one issue.
  std::uint32_t max_images_per_issue = 200;
};

// ---------------------------------------------------------------------------------------------
// `serve console` (docs/CONSOLE.md)

/// One person (or team) who may use the console, and what they may do.
struct console_user {
  std::string name;
  /// `viewer` (every page) or `editor` (also redrive, review decisions).
  std::string role = "viewer";
  /// The environment variable holding the user's token (never in the file).
  secret token;
};

struct console_config {
  std::string listen = "127.0.0.1:8090";
  /// Without users every request is a viewer and nothing can be changed.
  std::vector<console_user> users;
  /// Issues kept in memory (newest); older ones drop out with their receipts.
  std::size_t max_issues = 10000;
  /// Seconds between reads of the issues and deliveries topics (and the pages' refresh).
  int refresh_seconds = 5;
};

// ---------------------------------------------------------------------------------------------

/// The whole file.
struct root {
  kafka_config kafka;
  std::vector<paper_config> papers{{"cjrb", "昌吉日报", {"昌吉日报社"}}};
  producer_config producer;
  feed_config feed;
  archive_config archive;
  translation_config translation;
  consumers_config consumers;
  observability_config observability;
  blobs_config blobs;
  console_config console;

  /// The paper with this code, or nullptr.
  [[nodiscard]] const paper_config* find_paper(std::string_view code) const;
};

/// One problem in a config file.
struct diagnostic {
  std::string file;
  /// 1-based; 0 when the problem has no position (e.g. the file cannot be opened).
  int line = 0;
  int column = 0;
  /// Dotted key path (`kafka.topics.articles.partitions`, `feed.accounts[0].name`); may be empty.
  std::string key;
  std::string message;

  /// `file:line:col: key: message`, leaving out what is empty.
  [[nodiscard]] std::string str() const;
};

/// Every problem found in a config, in file order. what() is their str() joined by newlines.
class config_error : public std::runtime_error {
 public:
  explicit config_error(std::vector<diagnostic> errors);
  [[nodiscard]] const std::vector<diagnostic>& errors() const noexcept { return errors_; }

 private:
  std::vector<diagnostic> errors_;
};

/// Reads, type-checks and validates `path`. Throws config_error listing every problem (a file that
/// cannot be read is one diagnostic without position). Thread-safe; no global state is touched.
[[nodiscard]] root load(const std::string& path);

/// As load(), from memory; `name` stands for the file name in diagnostics.
[[nodiscard]] root load_string(std::string_view yaml, const std::string& name);

/// Value and cross-key checks of an already typed config (load() runs them too). Diagnostics have
/// no positions here. Returns an empty list when `cfg` is valid.
[[nodiscard]] std::vector<diagnostic> validate(const root& cfg);

/// The effective config as YAML, every key with its value. A secret shows as its variable name
/// followed by `# ***` when the variable is set (its value instead when `mask_secrets` is false)
/// or `# <unset: VAR>`. Loading the output gives the same config.
[[nodiscard]] std::string to_yaml(const root& cfg, bool mask_secrets = true);

/// One documented setting, for `syndicate config keys` and docs.
struct key_info {
  std::string path;  ///< `feed.accounts[].name`; `kafka.client.*` for open maps
  std::string type;
  std::string default_value;  ///< as YAML flow text
  bool required = false;
  std::string description;
};

/// Every setting the schema declares, in file order.
[[nodiscard]] std::vector<key_info> describe();

[[nodiscard]] std::string_view to_string(input_encoding v) noexcept;
[[nodiscard]] std::string_view to_string(archive_backend v) noexcept;
[[nodiscard]] std::string_view to_string(translation_engine v) noexcept;
[[nodiscard]] std::string_view to_string(opencc_variant v) noexcept;
[[nodiscard]] std::string_view to_string(log_format v) noexcept;
[[nodiscard]] std::string_view to_string(log_level v) noexcept;

}  // namespace syn::config
