// feed_sink_throughput: articles/s the feed sink pushes to the local WeChat API.
//
//   feed_sink_throughput [--articles 8000] [--per-issue 8] [--batch 100] [--server-threads 2]
//                        [--parallel 4] [--no-publish] [--durable] [--paragraphs 6] [--api URL]
//                        [--photos 0]
//
// Starts the test server in-process, writes batches of envelopes (as the runner would, one
// thread) and reports articles/s for the first pass (everything pushed) and for a replay of the
// same batches (everything skipped by the state db). Each issue of `per-issue` articles becomes
// one draft (draft/add + freepublish/submit). With `--photos N` each article carries N photos,
// distinct real 800x600 JPEGs in a folder blob store: each is uploaded (media/uploadimg) and the
// first becomes the article's cover (material/add_material) on the first pass, none on the replay.
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>

#include "article_fixtures.hpp"
#include "images.hpp"
#include "syn/core/blob_store.hpp"
#include "syn/core/sink.hpp"
#include "syn/feed/feed_sink.hpp"
#include "wechat_test_server.hpp"

namespace fs = std::filesystem;
using clock_type = std::chrono::steady_clock;

int main(int argc, char** argv) {
  int articles = 8000, per_issue = 8, batch = 100, server_threads = 2, paragraphs = 6, parallel = 4,
      photos = 0;
  bool publish = true, durable = false;
  std::string api;  // an external test server; empty: in-process
  for (int i = 1; i < argc; ++i) {
    auto next = [&] { return i + 1 < argc ? std::atoi(argv[++i]) : 0; };
    if (!std::strcmp(argv[i], "--articles"))
      articles = next();
    else if (!std::strcmp(argv[i], "--per-issue"))
      per_issue = next();
    else if (!std::strcmp(argv[i], "--batch"))
      batch = next();
    else if (!std::strcmp(argv[i], "--server-threads"))
      server_threads = next();
    else if (!std::strcmp(argv[i], "--paragraphs"))
      paragraphs = next();
    else if (!std::strcmp(argv[i], "--parallel"))
      parallel = next();
    else if (!std::strcmp(argv[i], "--photos"))
      photos = next();
    else if (!std::strcmp(argv[i], "--api") && i + 1 < argc)
      api = argv[++i];
    else if (!std::strcmp(argv[i], "--no-publish"))
      publish = false;
    else if (!std::strcmp(argv[i], "--durable"))
      durable = true;
    else {
      std::cerr << "unknown option " << argv[i] << "\n";
      return 2;
    }
  }
  spdlog::set_level(spdlog::level::warn);
  const fs::path dir = fs::temp_directory_path() / ("feed-throughput-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / "cover.jpg", std::ios::binary) << syn::testing::make_test_jpeg(90, 50);
  ::setenv("FEED_BENCH_SECRET", "s", 1);

  syn::testing::wechat_test_server_options so;
  so.threads = static_cast<unsigned>(server_threads);
  std::optional<syn::testing::wechat_test_server> server;
  if (api.empty()) server.emplace(so);

  syn::config::feed_config cfg;
  cfg.api_base_url = api.empty() ? server->base_url() : api;
  cfg.server.public_base_url = "https://feeds.example.cn";
  cfg.accounts.clear();
  syn::config::feed_account acc;
  acc.name = "bench";
  acc.app_id = "wx_bench";
  acc.app_secret.env = "FEED_BENCH_SECRET";
  acc.cover_image = (dir / "cover.jpg").string();
  cfg.accounts.push_back(acc);
  syn::feed::feed_sink_options opt;
  opt.state_path = (dir / "state.db").string();
  opt.publish = publish;
  opt.durable = durable;
  opt.parallel_groups = parallel;
  opt.batch_size =
      static_cast<std::size_t>(batch);  // as `consume feed`: issues split by a batch wait for the rest
  std::shared_ptr<syn::blob::store> blobs = syn::blob::open_folder(dir / "blobs").value();
  opt.blobs = blobs;
  syn::feed::feed_sink sink(cfg, opt);

  // Articles of realistic size: `paragraphs` paragraphs of ~180 characters.
  std::vector<syndication::v1::Article> all;
  all.reserve(static_cast<std::size_t>(articles));
  for (int n = 0; n < articles; ++n) {
    const int issue = n / per_issue;
    auto a = feedtest::make_article(static_cast<unsigned>(n % per_issue + 1), 1, "p" + std::to_string(issue));
    for (int p = 0; p < paragraphs; ++p) {
      auto* b = a.add_blocks();
      b->set_kind(syndication::v1::Block::PARAGRAPH);
      std::string t;
      for (int k = 0; k < 6; ++k)
        t += "昌吉州坚持向新而生、创新驱动，牵牢新质生产力的“牛鼻子”，提升产业质效。";
      b->set_text(t);
    }
    for (int k = 0; k < photos; ++k) {  // distinct images: 800 + a few pixels wide
      const auto jpeg =
          syn::testing::make_test_jpeg(800 + static_cast<std::uint32_t>((n * photos + k) % 4096), 600);
      const auto ref = blobs->put(jpeg).value();
      auto* ph = a.add_photos();
      ph->set_sha256(ref.sha256);
      ph->set_bytes(ref.bytes);
      ph->set_media_type("image/jpeg");
      ph->set_after_block(static_cast<std::uint32_t>(k + 1));
      ph->set_caption("图片说明" + std::to_string(k + 1));
    }
    all.push_back(std::move(a));
  }
  std::vector<std::vector<syn::sink::envelope>> batches;
  for (std::size_t i = 0; i < all.size(); i += static_cast<std::size_t>(batch)) {
    std::vector<syn::sink::envelope> b;
    for (std::size_t k = i; k < std::min(all.size(), i + static_cast<std::size_t>(batch)); ++k) {
      syn::sink::envelope e;
      e.offset = static_cast<std::int64_t>(k);
      e.payload = all[k];
      b.push_back(std::move(e));
    }
    batches.push_back(std::move(b));
  }

  auto run = [&](const char* label) {
    const auto t0 = clock_type::now();
    // The last issue of each full batch waits for the next batch; the very last one for the grace
    // window, which a consumer would wait: pushed here at the end of the run instead.
    struct flush_at_end {
      syn::feed::feed_sink& s;
      ~flush_at_end() { s.flush_held(true); }
    };
    {
      const flush_at_end last_issue{sink};
      for (const auto& b : batches) {
        const auto v = sink.write(b);
        if (v.kind != syn::sink::verdict::ok || !v.rejected.empty()) {
          std::cerr << "batch failed: " << v.reason << (v.rejected.empty() ? "" : v.rejected.front().second)
                    << "\n";
          std::exit(1);
        }
      }
    }
    const double s = std::chrono::duration<double>(clock_type::now() - t0).count();
    std::cout << label << ": " << all.size() << " articles in " << s
              << " s = " << static_cast<long>(all.size() / s) << " articles/s\n";
  };
  run("push  ");
  run("replay");
  std::cout << "drafts " << sink.stats().drafts_added << ", submitted " << sink.stats().drafts_submitted
            << "\n";
  if (server) server->stop();
  fs::remove_all(dir);
  return 0;
}
