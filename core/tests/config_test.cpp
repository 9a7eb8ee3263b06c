#include "syn/core/config.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <string>
#include <vector>

namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

namespace cfg = syn::config;

const std::string kDefaultFile = std::string(SYN_SOURCE_DIR) + "/config/syndication.yaml";
const std::string kName = "config/syndication.yaml";

/// The diagnostics `yaml` produces, as printed; empty when it loads.
std::vector<std::string> errors_of(const std::string& yaml) {
  try {
    (void)cfg::load_string(yaml, kName);
  } catch (const cfg::config_error& e) {
    std::vector<std::string> out;
    for (const auto& d : e.errors()) out.push_back(d.str());
    return out;
  }
  return {};
}

/// Sets an environment variable for one test.
class scoped_env {
 public:
  scoped_env(const char* name, const char* value) : name_(name) {
    if (value != nullptr) {
      ::setenv(name, value, 1);
    } else {
      ::unsetenv(name);
    }
  }
  ~scoped_env() { ::unsetenv(name_); }
  scoped_env(const scoped_env&) = delete;
  scoped_env& operator=(const scoped_env&) = delete;

 private:
  const char* name_;
};

// ---------------------------------------------------------------------------------------------
// The default file

TEST(ConfigDefaultFile, LoadsAndValidates) {
  const cfg::root c = cfg::load(kDefaultFile);
  ASSERT_EQ(c.papers.size(), 1U);
  EXPECT_EQ(c.papers[0].code, "cjrb");
  EXPECT_EQ(c.papers[0].name, "昌吉日报");
  EXPECT_EQ(c.kafka.bootstrap_servers, "127.0.0.1:9092");
  EXPECT_EQ(c.kafka.topics.articles.name, "news.articles.v1");
  EXPECT_EQ(c.kafka.topics.issues.config.at("cleanup.policy"), "compact");
  EXPECT_EQ(c.kafka.topics.deadletter.partitions, 1);
  EXPECT_EQ(c.producer.trigger.listen, "127.0.0.1:8080");
  EXPECT_EQ(c.producer.trigger.max_body_bytes, 4U * 1024U * 1024U);
  EXPECT_EQ(c.producer.trigger.token.env, "SYNDICATE_TRIGGER_TOKEN");
  EXPECT_THAT(c.producer.hot_folder.ignore_suffixes, ElementsAre(".part"));
  EXPECT_EQ(c.feed.api_base_url, "https://api.weixin.qq.com");
  EXPECT_EQ(c.feed.max_articles_per_draft, 8);
  EXPECT_EQ(c.feed.quota_reset_utc_minute, 960);  // 00:00 China time
  EXPECT_EQ(c.archive.backend, cfg::archive_backend::sqlite);
  EXPECT_EQ(c.archive.sqlite.path, "var/archive.db");
  ASSERT_EQ(c.translation.targets.size(), 1U);
  EXPECT_EQ(c.translation.targets[0].language, "zh-Hant");
  EXPECT_EQ(c.translation.targets[0].opencc, cfg::opencc_variant::s2t);
  EXPECT_EQ(c.observability.format, cfg::log_format::text);
  EXPECT_THAT(cfg::validate(c), IsEmpty());
}

// Regression: the documented file and the struct defaults drifting apart.
TEST(ConfigDefaultFile, SpellsOutExactlyTheBuiltInDefaults) {
  EXPECT_EQ(cfg::to_yaml(cfg::load(kDefaultFile)), cfg::to_yaml(cfg::root{}));
  EXPECT_EQ(cfg::to_yaml(cfg::load_string("", "empty.yaml")), cfg::to_yaml(cfg::root{}));
}

// Regression: a setting added to the schema but not documented in the default file.
TEST(ConfigDefaultFile, WritesOutEveryKey) {
  const YAML::Node doc = YAML::LoadFile(kDefaultFile);
  // yaml-cpp: `node = other` assigns into the tree; reset() rebinds the handle.
  const auto keys = cfg::describe();
  ASSERT_GT(keys.size(), 80U);
  for (const auto& k : keys) {
    // An empty list by default (no users: a viewer-only console); the file shows it as a
    // commented example, which a list of sections cannot be written out as while empty.
    if (k.path.starts_with("console.users")) continue;
    YAML::Node n;
    n.reset(doc);
    std::string part;
    bool found = true;
    const auto step = [&](const std::string& name) {
      if (name.empty()) return;
      const bool list = name.ends_with("[]");
      const std::string key = list ? name.substr(0, name.size() - 2) : name;
      n.reset(n[key]);
      if (!n.IsDefined()) found = false;
      if (found && list) {
        if (!n.IsSequence() || n.size() == 0) {
          found = false;
        } else {
          n.reset(n[0]);
        }
      }
    };
    for (const char ch : k.path) {
      if (ch == '.') {
        step(part);
        part.clear();
        if (!found) break;
      } else {
        part += ch;
      }
    }
    if (found) step(part);
    EXPECT_TRUE(found) << k.path << " is not in config/syndication.yaml";
  }
}

TEST(ConfigDefaultFile, DescribeNamesTypesAndDefaults) {
  const auto keys = cfg::describe();
  const auto find = [&](const std::string& path) {
    for (const auto& k : keys) {
      if (k.path == path) return k;
    }
    ADD_FAILURE() << path << " not described";
    return cfg::key_info{};
  };
  const auto partitions = find("kafka.topics.articles.partitions");
  EXPECT_EQ(partitions.type, "integer");
  EXPECT_EQ(partitions.default_value, "3");
  EXPECT_FALSE(partitions.description.empty());
  EXPECT_TRUE(find("papers[].code").required);
  EXPECT_EQ(find("archive.backend").type, "sqlite|postgres");
  EXPECT_EQ(find("feed.accounts[].app_secret_env").type, "env var name");
}

// ---------------------------------------------------------------------------------------------
// Each class of error: exact file:line:column, key and message

TEST(ConfigErrors, WrongTypeNamesFileLineColumnAndKey) {
  EXPECT_THAT(errors_of("kafka:\n"
                        "  topics:\n"
                        "    articles:\n"
                        "      partitions: six\n"),
              ElementsAre("config/syndication.yaml:4:19: kafka.topics.articles.partitions: "
                          "expected a positive integer, got \"six\""));
  EXPECT_THAT(errors_of("producer:\n  hot_folder:\n    enabled: maybe\n"),
              ElementsAre("config/syndication.yaml:3:14: producer.hot_folder.enabled: "
                          "expected true or false, got \"maybe\""));
  EXPECT_THAT(errors_of("papers: {code: x}\n"),
              ElementsAre("config/syndication.yaml:1:1: papers: expected a list, got a mapping"));
  EXPECT_THAT(errors_of("consumers:\n  poll_timeout_ms:\n"),
              ElementsAre("config/syndication.yaml:2:3: consumers.poll_timeout_ms: "
                          "expected a positive number of milliseconds, got an empty value"));
}

TEST(ConfigErrors, ZeroAndNegativePartitions) {
  EXPECT_THAT(errors_of("kafka:\n"
                        "  topics:\n"
                        "    articles: {partitions: 0}\n"
                        "    issues:\n"
                        "      partitions: -2\n"
                        "      replication_factor: 0\n"),
              ElementsAre("config/syndication.yaml:3:28: kafka.topics.articles.partitions: "
                          "expected a positive integer, got 0",
                          "config/syndication.yaml:5:19: kafka.topics.issues.partitions: "
                          "expected a positive integer, got -2",
                          "config/syndication.yaml:6:27: kafka.topics.issues.replication_factor: "
                          "expected a positive integer, got 0"));
}

TEST(ConfigErrors, UnknownKeyWithSuggestion) {
  EXPECT_THAT(errors_of("kafka:\n  topics:\n    articles:\n      partitons: 6\n"),
              ElementsAre("config/syndication.yaml:4:7: kafka.topics.articles.partitons: "
                          "unknown key (did you mean \"partitions\"?)"));
  EXPECT_THAT(errors_of("feeds: {}\n"),
              ElementsAre("config/syndication.yaml:1:1: feeds: unknown key (did you mean \"feed\"?)"));
  EXPECT_THAT(errors_of("kafka:\n  topics:\n    articles:\n      replication: 3\n"),
              ElementsAre(HasSubstr("(did you mean \"replication_factor\"?)")));
  // Nothing close: no suggestion.
  EXPECT_THAT(errors_of("archive:\n  colour: blue\n"),
              ElementsAre("config/syndication.yaml:2:3: archive.colour: unknown key"));
  // Topic configs and librdkafka properties are checked by name too.
  EXPECT_THAT(errors_of("kafka:\n  topics:\n    articles:\n      config: {retention.msec: 5}\n"),
              ElementsAre("config/syndication.yaml:4:32: kafka.topics.articles.config.retention.msec: "
                          "unknown Kafka topic config (did you mean \"retention.ms\"?)"));
  EXPECT_THAT(errors_of("kafka:\n  client:\n    linger.msec: 5\n"),
              ElementsAre("config/syndication.yaml:3:18: kafka.client.linger.msec: "
                          "unknown librdkafka property (did you mean \"linger.ms\"?)"));
}

TEST(ConfigErrors, MissingRequiredKey) {
  EXPECT_THAT(errors_of("papers:\n"
                        "  - code: cjrb\n"
                        "    name: 昌吉日报\n"
                        "  - name: Other\n"),
              ElementsAre("config/syndication.yaml:4:5: papers[1].code: missing required key"));
  EXPECT_THAT(
      errors_of("translation:\n  targets:\n    - language: zh-Hant\n"),
      ElementsAre("config/syndication.yaml:3:7: translation.targets[0].engine: missing required key"));
}

TEST(ConfigErrors, BadEnumValueListsChoicesAndSuggests) {
  EXPECT_THAT(errors_of("archive:\n  backend: sqllite\n"),
              ElementsAre("config/syndication.yaml:2:12: archive.backend: expected one of sqlite, postgres, "
                          "got \"sqllite\" (did you mean \"sqlite\"?)"));
  EXPECT_THAT(
      errors_of("observability:\n  log_format: xml\n"),
      ElementsAre("config/syndication.yaml:2:15: observability.log_format: expected one of text, json, "
                  "got \"xml\""));
}

TEST(ConfigErrors, InlineSecretsAreRejectedWithoutEchoingThem) {
  const auto errors = errors_of(
      "feed:\n"
      "  accounts:\n"
      "    - name: cjrb\n"
      "      app_secret: s3cr3t\n"
      "producer:\n"
      "  trigger:\n"
      "    token: s3cr3t\n"
      "archive:\n"
      "  postgres:\n"
      "    password: s3cr3t\n"
      "kafka:\n"
      "  client:\n"
      "    sasl.password: s3cr3t\n");
  EXPECT_THAT(
      errors,
      ElementsAre("config/syndication.yaml:4:7: feed.accounts[0].app_secret: inline secrets are not "
                  "allowed: put the value in an environment variable and name it with "
                  "`app_secret_env: VARIABLE`",
                  "config/syndication.yaml:7:5: producer.trigger.token: inline secrets are not allowed: "
                  "put the value in an environment variable and name it with `token_env: VARIABLE`",
                  "config/syndication.yaml:10:5: archive.postgres.password: looks like an inline secret, "
                  "which is not allowed: secrets come only from environment variables named by `*_env` "
                  "keys (here `conninfo_env: VARIABLE`)",
                  "config/syndication.yaml:13:20: kafka.client.sasl.password: inline secrets are not "
                  "allowed: name an environment variable under kafka.client_env "
                  "(`sasl.password: VARIABLE`)"));
  for (const auto& e : errors) EXPECT_THAT(e, Not(HasSubstr("s3cr3t")));
}

// Regression: the secret itself pasted where its variable's name belongs, then printed in an error.
TEST(ConfigErrors, SecretValueInAnEnvKeyIsNotEchoed) {
  const auto errors =
      errors_of("feed:\n  accounts:\n    - name: cjrb\n      app_secret_env: 9f86d081884c7d65\n");
  ASSERT_EQ(errors.size(), 1U);
  EXPECT_THAT(errors[0],
              HasSubstr("config/syndication.yaml:4:23: feed.accounts[0].app_secret_env: expected the "
                        "name of an environment variable"));
  EXPECT_THAT(errors[0], Not(HasSubstr("9f86d081884c7d65")));
  // Credentials inside a URL are an inline secret too.
  const auto url = errors_of("feed:\n  api_base_url: https://user:pa55@api.example.com\n");
  ASSERT_EQ(url.size(), 1U);
  EXPECT_THAT(url[0], HasSubstr("2:17: feed.api_base_url: credentials in URLs are not allowed"));
  EXPECT_THAT(url[0], Not(HasSubstr("pa55")));
}

TEST(ConfigErrors, YamlSyntaxErrorHasPosition) {
  EXPECT_THAT(errors_of("kafka:\n  bootstrap_servers: a: b\n"),
              ElementsAre("config/syndication.yaml:2:23: YAML syntax error: illegal map value"));
  EXPECT_THAT(errors_of("kafka:\n  client: {a: 1\npapers: []\n"),
              ElementsAre(::testing::MatchesRegex(
                  R"(config/syndication\.yaml:[0-9]+:[0-9]+: YAML syntax error: .+)")));
  EXPECT_THAT(
      errors_of("kafka:\n\tclient: {}\n"),
      ElementsAre("config/syndication.yaml:2:8: YAML syntax error: illegal map value (line 2 is indented "
                  "with a tab: YAML allows spaces only)"));
  EXPECT_THAT(errors_of("a: 1\n---\nb: 2\n"),
              ElementsAre("config/syndication.yaml:3:1: one YAML document expected, found 2"));
}

TEST(ConfigErrors, DuplicateKey) {
  EXPECT_THAT(errors_of("archive:\n  batch_size: 10\n  batch_size: 20\n"),
              ElementsAre("config/syndication.yaml:3:3: archive.batch_size: duplicate key"));
}

TEST(ConfigErrors, EveryErrorIsReportedAtOnceInFileOrder) {
  const std::string yaml =
      "observability:\n"                  // 1
      "  log_level: loud\n"               // 2
      "kafka:\n"                          // 3
      "  bootstrap_servers: localhost\n"  // 4
      "  transaction_timeout_ms: 5\n"     // 5
      "  topics:\n"                       // 6
      "    articles: {partitions: 0}\n"   // 7
      "papers:\n"                         // 8
      "  - code: CJ\n"                    // 9
      "    name: X\n"                     // 10
      "feed:\n"                           // 11
      "  max_articles_per_draft: 9\n"     // 12
      "  server: {listen: nowhere}\n"     // 13
      "consumers:\n"                      // 14
      "  retry:\n"                        // 15
      "    initial_backoff_ms: 500\n"     // 16
      "    max_backoff_ms: 100\n"         // 17
      "    jitter: 2\n";                  // 18
  try {
    (void)cfg::load_string(yaml, "x.yaml");
    FAIL() << "no error";
  } catch (const cfg::config_error& e) {
    std::vector<int> lines;
    for (const auto& d : e.errors()) lines.push_back(d.line);
    EXPECT_THAT(lines, ElementsAre(2, 4, 5, 7, 9, 12, 13, 17, 18)) << e.what();
    // what() is the lines joined.
    EXPECT_THAT(
        std::string(e.what()),
        HasSubstr("x.yaml:2:14: observability.log_level: expected one of trace, debug, info, warn, error, "
                  "critical, off, got \"loud\"\nx.yaml:4:22: kafka.bootstrap_servers: "));
    EXPECT_THAT(std::string(e.what()),
                HasSubstr("x.yaml:17:21: consumers.retry.max_backoff_ms: must be at least initial_backoff_ms "
                          "(500), got 100"));
  }
}

TEST(ConfigErrors, MissingFileIsOneClearLine) {
  try {
    (void)cfg::load("config/no-such-file.yaml");
    FAIL() << "no error";
  } catch (const cfg::config_error& e) {
    EXPECT_STREQ(e.what(), "config/no-such-file.yaml: cannot open: No such file or directory");
    ASSERT_EQ(e.errors().size(), 1U);
    EXPECT_EQ(e.errors()[0].line, 0);
  }
}

TEST(ConfigErrors, BrokenDataFileHasPositions) {
  const std::string path = std::string(SYN_SOURCE_DIR) + "/core/tests/data/broken.yaml";
  try {
    (void)cfg::load(path);
    FAIL() << "no error";
  } catch (const cfg::config_error& e) {
    ASSERT_EQ(e.errors().size(), 4U) << e.what();
    EXPECT_EQ(e.errors()[0].str(),
              path + ":5:19: kafka.topics.articles.partitions: expected a positive integer, got \"six\"");
  }
}

// ---------------------------------------------------------------------------------------------
// Cross-key rules

TEST(ConfigRules, ReferencesBetweenSectionsAreChecked) {
  EXPECT_THAT(
      errors_of("papers:\n"
                "  - {code: cjrb, name: 昌吉日报}\n"
                "  - {code: cjrb, name: Again}\n"
                "producer:\n"
                "  split: {default_paper: cjrbb}\n"
                "feed:\n"
                "  accounts:\n"
                "    - name: a\n"
                "      language: en\n"
                "      rules: {papers: [xyz]}\n"
                "    - name: a\n"),
      ElementsAre("config/syndication.yaml:3:12: papers[1].code: duplicate paper code \"cjrb\" (also "
                  "papers[0])",
                  "config/syndication.yaml:5:26: producer.split.default_paper: unknown paper \"cjrbb\": "
                  "not a code in papers (did you mean \"cjrb\"?)",
                  "config/syndication.yaml:9:17: feed.accounts[0].language: no article is ever in \"en\": "
                  "it is neither zh-Hans nor the language of a translation.targets entry",
                  "config/syndication.yaml:10:24: feed.accounts[0].rules.papers[0]: unknown paper \"xyz\": "
                  "not a code in papers",
                  "config/syndication.yaml:11:13: feed.accounts[1].name: duplicate account name \"a\" (also "
                  "feed.accounts[0])"));
  // A rule about a key the file does not set (the default zh-Hant account) has no position.
  EXPECT_THAT(
      errors_of(
          "translation:\n  targets: [{language: en, engine: http, url: \"http://mt:5000/translate\"}]\n"),
      ElementsAre("config/syndication.yaml: feed.accounts[1].language: no article is ever in \"zh-Hant\": it "
                  "is neither zh-Hans nor the language of a translation.targets entry"));
}

TEST(ConfigRules, ConditionalRequirements) {
  EXPECT_THAT(
      errors_of("archive:\n  backend: postgres\n  postgres: {conninfo_env: \"\"}\n"),
      ElementsAre("config/syndication.yaml:3:28: archive.postgres.conninfo_env: required when backend is "
                  "postgres"));
  EXPECT_THAT(
      errors_of("translation:\n  targets:\n    - {language: zh-Hant, engine: http}\n"),
      ElementsAre("config/syndication.yaml:3:7: translation.targets[0].url: required when engine is http"));
  EXPECT_THAT(
      errors_of("feed:\n  accounts:\n    - {name: cjrb, app_id: wx1, app_secret_env: WX}\n"),
      ElementsAre("config/syndication.yaml:3:7: feed.accounts[0].cover_image: required when app_id is set: "
                  "WeChat drafts need a cover image"));
  EXPECT_THAT(
      errors_of("producer:\n  trigger: {listen: \"0.0.0.0:8080\", token_env: \"\"}\n"),
      ElementsAre(HasSubstr("producer.trigger.token_env: an unauthenticated trigger may only listen on "
                            "loopback")));
  EXPECT_THAT(errors_of("producer:\n  trigger: {listen: \"127.0.0.1:8080\", token_env: \"\"}\n"), IsEmpty());
}

// Issue 20: the feed state is configured like the archive (feed.state), checked by `config check`.
TEST(ConfigRules, FeedStateBackendAndSchemaAreChecked) {
  EXPECT_THAT(errors_of("feed:\n  state:\n    backend: postgres\n    postgres: {conninfo_env: \"\"}\n"),
              ElementsAre(HasSubstr("feed.state.postgres.conninfo_env: required when backend is postgres")));
  EXPECT_THAT(errors_of("feed:\n  state:\n    backend: sqlite\n    sqlite: {path: \"\"}\n"),
              ElementsAre(HasSubstr("feed.state.sqlite.path: required when backend is sqlite")));
  EXPECT_THAT(errors_of("feed:\n  state:\n    postgres: {schema: \"feed; DROP TABLE x\"}\n"),
              ElementsAre(HasSubstr("feed.state.postgres.schema: expected 1 to 63 of a-z and _")));
  EXPECT_THAT(errors_of("feed:\n  state: {backend: mysql}\n"), ElementsAre(HasSubstr("feed.state.backend")));
  const auto cfg = cfg::load_string(
      "feed:\n  state:\n    backend: postgres\n    postgres: {conninfo_env: FEED_PG, schema: feed_b}\n",
      kName);
  EXPECT_EQ(cfg.feed.state.backend, cfg::archive_backend::postgres);
  EXPECT_EQ(cfg.feed.state.postgres.conninfo.env, "FEED_PG");
  EXPECT_EQ(cfg.feed.state.postgres.schema, "feed_b");
  EXPECT_EQ(cfg.feed.state.sqlite.path, "var/feed-state.db");
}

// A key left at its default is reported at its section (or, outside the file, without position).
TEST(ConfigRules, DefaultedKeyIsReportedAtItsSection) {
  EXPECT_THAT(errors_of("papers:\n  - {code: abc, name: A}\nproducer:\n  split: {encoding: gb18030}\n"),
              IsEmpty());
  EXPECT_THAT(
      errors_of(
          "papers:\n  - {code: abc, name: A}\nfeed:\n  accounts: [{name: x, rules: {papers: [cjrb]}}]\n"),
      ElementsAre(
          HasSubstr("config/syndication.yaml:4:41: feed.accounts[0].rules.papers[0]: unknown paper")));
  EXPECT_THAT(errors_of("papers: []\n"),
              ElementsAre("config/syndication.yaml:1:1: papers: at least one paper is "
                          "required"));
}

TEST(ConfigRules, ValidateWorksOnTypedConfigsWithoutPositions) {
  cfg::root c;
  c.kafka.topics.articles.partitions = 0;
  c.consumers.groups.archive = c.consumers.groups.feed;
  std::vector<std::string> errors;
  for (const auto& d : cfg::validate(c)) errors.push_back(d.str());
  EXPECT_THAT(errors,
              ElementsAre("kafka.topics.articles.partitions: expected a positive integer, got 0",
                          "consumers.groups.archive: group \"syndicate-feed\" is also used by feed: each "
                          "consumer needs its own group"));
}

// ---------------------------------------------------------------------------------------------
// Secrets

TEST(ConfigSecrets, ResolvedFromTheEnvironmentAtResolveTime) {
  const cfg::secret s{"SYN_TEST_SECRET_A"};
  {
    const scoped_env env("SYN_TEST_SECRET_A", nullptr);
    EXPECT_EQ(s.resolve(), std::nullopt);
  }
  {
    const scoped_env env("SYN_TEST_SECRET_A", "v1");
    EXPECT_EQ(s.resolve(), "v1");
  }
  EXPECT_EQ(cfg::secret{}.resolve(), std::nullopt);
  EXPECT_FALSE(cfg::secret{}.configured());
}

TEST(ConfigSecrets, MaskedInToYaml) {
  const cfg::root c = cfg::load_string(
      "producer:\n  trigger: {token_env: SYN_TEST_TOKEN}\n"
      "archive:\n  postgres: {conninfo_env: SYN_TEST_UNSET_PG}\n",
      kName);
  const scoped_env token("SYN_TEST_TOKEN", "tok-123456");
  const scoped_env pg("SYN_TEST_UNSET_PG", nullptr);
  const std::string masked = cfg::to_yaml(c);
  EXPECT_THAT(masked, HasSubstr("token_env: SYN_TEST_TOKEN  # ***\n"));
  EXPECT_THAT(masked, HasSubstr("conninfo_env: SYN_TEST_UNSET_PG  # <unset: SYN_TEST_UNSET_PG>\n"));
  EXPECT_THAT(masked, Not(HasSubstr("tok-123456")));
  EXPECT_THAT(cfg::to_yaml(c, false), HasSubstr("token_env: SYN_TEST_TOKEN  # tok-123456\n"));
}

TEST(ConfigSecrets, PrintedConfigLoadsBackToTheSameConfig) {
  const cfg::root c = cfg::load_string(
      "kafka:\n  client: {compression.type: zstd}\n"
      "  client_env: {sasl.password: SYN_TEST_KAFKA_PW}\n"
      "papers: [{code: abc, name: \"A: B\", aliases: [\"x, y\", \"#z\"]}]\n"
      "producer: {trigger: {max_body_bytes: 1024}}\n",
      kName);
  const std::string once = cfg::to_yaml(c);
  EXPECT_EQ(cfg::to_yaml(cfg::load_string(once, "printed.yaml")), once);
}

// ---------------------------------------------------------------------------------------------
// kafka.client

TEST(ConfigKafkaClient, PassesThroughToLibrdkafkaProperties) {
  const scoped_env pw("SYN_TEST_KAFKA_PW", "pw-1");
  const cfg::root c = cfg::load_string(
      "kafka:\n"
      "  bootstrap_servers: b1:9092,b2:9092\n"
      "  client:\n"
      "    compression.type: zstd\n"
      "    security.protocol: sasl_plaintext\n"
      "    sasl.mechanisms: PLAIN\n"
      "    linger.ms: 20\n"
      "    enable.auto.commit: false\n"
      "  client_env:\n"
      "    sasl.password: SYN_TEST_KAFKA_PW\n",
      kName);
  EXPECT_EQ(c.kafka.client.at("linger.ms"), "20");
  const auto props = cfg::librdkafka_properties(c.kafka);
  EXPECT_EQ(props, (std::map<std::string, std::string>{{"bootstrap.servers", "b1:9092,b2:9092"},
                                                       {"compression.type", "zstd"},
                                                       {"enable.auto.commit", "false"},
                                                       {"linger.ms", "20"},
                                                       {"sasl.mechanisms", "PLAIN"},
                                                       {"sasl.password", "pw-1"},
                                                       {"security.protocol", "sasl_plaintext"}}));
}

TEST(ConfigKafkaClient, UnsetSecretPropertyIsAnError) {
  cfg::kafka_config k;
  k.client_env["sasl.password"] = cfg::secret{"SYN_TEST_UNSET_KAFKA_PW"};
  const scoped_env pw("SYN_TEST_UNSET_KAFKA_PW", nullptr);
  try {
    (void)cfg::librdkafka_properties(k);
    FAIL() << "no error";
  } catch (const cfg::config_error& e) {
    EXPECT_STREQ(e.what(),
                 "kafka.client_env.sasl.password: environment variable SYN_TEST_UNSET_KAFKA_PW is not set");
  }
}

TEST(ConfigKafkaClient, LibrdkafkaChecksValuesAndOwnedPropertiesAreRefused) {
  EXPECT_THAT(
      errors_of("kafka:\n"
                "  client:\n"
                "    linger.ms: soon\n"
                "    group.id: mine\n"
                "    isolation.level: read_uncommitted\n"
                "  client_env:\n"
                "    sasl.pasword: PW\n"),
      ElementsAre("config/syndication.yaml:3:16: kafka.client.linger.ms: invalid value \"soon\": Invalid "
                  "value for configuration property \"queue.buffering.max.ms\"",
                  "config/syndication.yaml:4:15: kafka.client.group.id: is set by syndicate: set "
                  "consumers.groups instead",
                  "config/syndication.yaml:5:22: kafka.client.isolation.level: must be read_committed "
                  "(consumers see whole issues or nothing), got \"read_uncommitted\"",
                  "config/syndication.yaml:7:19: kafka.client_env.sasl.pasword: unknown librdkafka "
                  "property"));
  EXPECT_THAT(errors_of("kafka:\n  bootstrap_servers: embedded\n"), IsEmpty());
}

}  // namespace
