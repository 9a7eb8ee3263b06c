#pragma once
// A feed sink wired to the local WeChat API, with three accounts: `cjrb` (zh-Hans, pushed),
// `cjrb-hant` (zh-Hant, pushed) and `web` (feed server only).

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "article_fixtures.hpp"
#include "images.hpp"
#include "syn/core/http_client.hpp"
#include "syn/core/sink.hpp"
#include "syn/feed/feed_sink.hpp"
#include "syn/feed/state.hpp"
#include "syn/feed/wechat.hpp"
#include "wechat_test_server.hpp"

namespace feedtest {

namespace fs = std::filesystem;

struct sink_env {
  syn::testing::wechat_test_server server;
  fs::path dir;
  syn::config::feed_config cfg;

  sink_env() {
    dir = fs::temp_directory_path() / ("feed-sink-" + std::to_string(::getpid()) + "-" +
                                       std::to_string(reinterpret_cast<std::uintptr_t>(this)));
    fs::create_directories(dir);
    std::ofstream(dir / "cover.jpg", std::ios::binary) << syn::testing::make_test_jpeg(90, 50);
    ::setenv("FEEDTEST_CJRB_SECRET", "secret-cjrb", 1);
    ::setenv("FEEDTEST_HANT_SECRET", "secret-hant", 1);
    cfg.api_base_url = server.base_url();
    cfg.request_timeout = std::chrono::milliseconds(2000);
    cfg.server.public_base_url = "https://feeds.example.cn";
    cfg.accounts.clear();
    syn::config::feed_account a;
    a.name = "cjrb";
    a.app_id = "wx_cjrb";
    a.app_secret.env = "FEEDTEST_CJRB_SECRET";
    a.language = "zh-Hans";
    a.cover_image = (dir / "cover.jpg").string();
    cfg.accounts.push_back(a);
    a.name = "cjrb-hant";
    a.app_id = "wx_hant";
    a.app_secret.env = "FEEDTEST_HANT_SECRET";
    a.language = "zh-Hant";
    cfg.accounts.push_back(a);
    a.name = "web";
    a.app_id = "";
    a.app_secret.env = "";
    a.language = "zh-Hans";
    a.cover_image = "";
    cfg.accounts.push_back(a);
  }
  ~sink_env() {
    server.stop();
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  sink_env(const sink_env&) = delete;
  sink_env& operator=(const sink_env&) = delete;

  [[nodiscard]] std::string state_path() const { return (dir / "state.db").string(); }

  [[nodiscard]] std::unique_ptr<syn::feed::feed_sink> make_sink(syn::feed::feed_sink_options o = {}) const {
    o.state_path = state_path();
    o.call_retry =
        syn::config::retry_config{std::chrono::milliseconds(1), std::chrono::milliseconds(5), 2.0, 2, 0.0};
    return std::make_unique<syn::feed::feed_sink>(cfg, std::move(o));
  }

  [[nodiscard]] std::size_t drafts(const std::string& app_id) const {
    std::size_t n = 0;
    const auto st = server.state();  // not `: server.state()["drafts"]`: the temporary would die
    for (const auto& d : st["drafts"]) n += d["app_id"] == app_id ? 1 : 0;
    return n;
  }
};

/// Envelopes over `articles` (which must outlive them).
inline std::vector<syn::sink::envelope> envelopes(const std::vector<Article>& articles) {
  std::vector<syn::sink::envelope> out;
  std::int64_t off = 0;
  for (const auto& a : articles) {
    syn::sink::envelope e;
    e.topic = "news.articles.v1";
    e.offset = off++;
    e.payload = a;
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace feedtest
