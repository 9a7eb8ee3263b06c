// The console's Issues page over a full index (issue 23 item 4): 10,000 issues of 6 articles, each
// article with 5 receipts (archive stored, feed drafted and submitted, translation job created and
// translated): 300,000 receipts in memory. Times console::handle("GET /") (the newest 50 issues
// with their per-sink counts, rendered) and one Issue page, against the same over 100 issues side
// by side, and reports the process's resident memory once the index is full.
#include <benchmark/benchmark.h>

#include <fstream>
#include <memory>
#include <string>

#include "syn/console/console.hpp"
#include "syn/core/receipts.hpp"

namespace {

using syn::receipts::receipt;

long rss_kib() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return 0;
}

std::unique_ptr<syn::console::console> filled(int issues) {
  syn::config::root cfg;
  cfg.console.listen = "127.0.0.1:0";
  cfg.console.max_issues = 10000;
  auto c = std::make_unique<syn::console::console>(cfg, syn::console::console_options{"", false});
  for (int i = 0; i < issues; ++i) {
    const std::string issue = "cjrb-" + std::to_string(20000000 + i);
    syndication::v1::IssueManifest m;
    m.set_issue_id(issue);
    m.set_issue_date("2024-01-30");
    m.mutable_paper()->set_name("昌吉日报");
    for (int a = 1; a <= 6; ++a) {
      const std::string id = issue + "-01-0" + std::to_string(a);
      const std::string sha(64, static_cast<char>('a' + a));
      m.add_article_ids(id);
      m.add_article_hashes(sha);
      auto s = syn::receipts::make(receipt::ARCHIVE, receipt::STORED, id, issue, sha, "g");
      s.set_revision(1);
      c->memory().add_receipt(s);
      for (const auto state : {receipt::DRAFTED, receipt::SUBMITTED}) {
        auto f = syn::receipts::make(receipt::FEED, state, id, issue, sha, "g");
        f.set_account("front");
        f.set_media_id("media-" + id);
        syn::receipts::seal(f);
        c->memory().add_receipt(f);
      }
      for (const auto state : {receipt::JOB_CREATED, receipt::TRANSLATED}) {
        auto t = syn::receipts::make(receipt::TRANSLATION, state, id, issue, sha, "g");
        t.set_target_language("zh-Hant");
        syn::receipts::seal(t);
        c->memory().add_receipt(t);
      }
    }
    c->memory().add_manifest(m, i % 3, i);
  }
  return c;
}

syn::http::request get(const std::string& path) {
  syn::http::request r;
  r.method = "GET";
  r.path = path;
  r.target = path;
  return r;
}

void BM_IssuesPage(benchmark::State& state) {
  const long before = rss_kib();
  const auto c = filled(static_cast<int>(state.range(0)));
  state.counters["index_rss_MiB"] = static_cast<double>(rss_kib() - before) / 1024.0;
  std::size_t bytes = 0;
  for (auto _ : state) {
    auto r = c->handle(get("/"));
    bytes = r.body.size();
    benchmark::DoNotOptimize(r);
  }
  state.counters["page_KiB"] = static_cast<double>(bytes) / 1024.0;
}
BENCHMARK(BM_IssuesPage)->Arg(100)->Arg(10000)->Unit(benchmark::kMillisecond)->Iterations(50);

void BM_IssuePage(benchmark::State& state) {
  const auto c = filled(static_cast<int>(state.range(0)));
  const std::string path = "/issues/cjrb-" + std::to_string(20000000 + state.range(0) / 2);
  for (auto _ : state) benchmark::DoNotOptimize(c->handle(get(path)));
}
BENCHMARK(BM_IssuePage)->Arg(100)->Arg(10000)->Unit(benchmark::kMillisecond)->Iterations(50);

}  // namespace

BENCHMARK_MAIN();
