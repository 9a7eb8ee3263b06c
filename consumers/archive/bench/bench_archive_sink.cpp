// How fast the archive sink stores articles in SQLite: batches of N realistic Chinese articles
// (five paragraphs, ~1.2 KB of UTF-8 text), one transaction per batch, WAL, synchronous=FULL.
//
//   BM_SinkNewArticles/N   every article is new: revision insert, search text queued, commit;
//                          the sink's background indexer drains the queue into the FTS5 trigram
//                          index meanwhile, on the other core ("queued_at_end": what it had not
//                          indexed yet when timing stopped)
//   BM_SinkNewArticlesIndexedInline/N   as above, but every batch is also indexed before the
//                          next (flush_index): the whole cost of an article, on one core
//   BM_SinkReplay/N        the same batch again (a replay after a restart): lookups only
//   BM_SinkNewArticlesPostgres/N   as BM_SinkNewArticles, into PostgreSQL at $SYN_BENCH_PG_CONNINFO
//                          (skipped when unset)
//
// The database lives under $SYN_BENCH_DIR (default: the system temp dir); put it on the disk the
// archive will use, since the commit's fsync is part of the cost. Compare items_per_second with
// `kcat -C` on the same topic (target: at least 0.5x).
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "syn/archive/sink.hpp"
#include "syn/core/sha256.hpp"

namespace {

using syndication::v1::Article;

std::filesystem::path bench_dir() {
  const char* d = std::getenv("SYN_BENCH_DIR");
  std::filesystem::path base =
      (d != nullptr && *d != '\0') ? std::filesystem::path(d) : std::filesystem::temp_directory_path();
  std::random_device rd;
  return base / ("syn-bench-archive-" + std::to_string(rd()));
}

const std::vector<std::string>& paragraphs() {
  static const std::vector<std::string> p{
      "智能化工厂，机械手臂运转如飞；物流园区，集装箱满载货物奔赴各地；产业园区，新能源、装备制造等产业集群加"
      "速聚集。",
      "迈入新年，昌吉回族自治州聚焦高质量发展，一幅日新月异的璀璨图景在庭州大地次第展开。",
      "自治区党委十届十次全会提出，以高质量发展新成效扎实推进中国式现代化新疆实践。",
      "在位于玛纳斯县工业园区的新疆源一科创有限公司自动化生产车间，按照电脑智能化生产指令，一条条薄如纸页的亮"
      "银色箔材缓缓传送。",
      "2023年，昌吉州本级财政科技项目经费投入达1.3亿元，同比增长354%，带动全社会研发投入15.46亿元。",
  };
  return p;
}

Article make_article(std::int64_t n) {
  Article a;
  const std::string day = std::to_string(20240101 + n / 10000 % 28);
  a.set_id("bench-" + day + "-" + std::to_string(n));
  a.set_issue_id("bench-" + day);
  a.set_sequence(static_cast<unsigned>(n % 100 + 1));
  a.set_page(1);
  a.set_headline("昌吉州实施典范行动打造高质量发展先行区（" + std::to_string(n) + "）");
  a.set_paper("bench");
  a.set_issue_date("2024-01-" + std::string(n / 10000 % 28 + 1 < 10 ? "0" : "") +
                   std::to_string(n / 10000 % 28 + 1));
  a.set_language("zh-Hans");
  auto* c = a.add_contributors();
  c->set_name("刘茜");
  c->set_role(syndication::v1::Contributor::REPORTER);
  for (const auto& p : paragraphs()) {
    auto* b = a.add_blocks();
    b->set_kind(syndication::v1::Block::PARAGRAPH);
    b->set_text(p + "（" + std::to_string(n) + "）");
  }
  a.set_content_sha256(syn::sha256_hex(a.SerializeAsString()));
  return a;
}

std::vector<syn::sink::envelope> make_batch(std::int64_t first, std::int64_t n) {
  std::vector<syn::sink::envelope> batch(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) batch[static_cast<std::size_t>(i)].payload = make_article(first + i);
  return batch;
}

void sink_new_articles(benchmark::State& state, bool index_inline) {
  const auto dir = bench_dir();
  std::filesystem::create_directories(dir);
  {
    syn::archive::archive_sink sink([&] { return syn::archive::open_sqlite((dir / "archive.db").string()); });
    if (!sink.connect()) {
      state.SkipWithError("cannot open the archive");
      return;
    }
    const std::int64_t n = state.range(0);
    std::int64_t next = 0;
    for (auto _ : state) {
      state.PauseTiming();
      auto batch = make_batch(next, n);
      next += n;
      state.ResumeTiming();
      const auto v = sink.write(batch);
      if (v.kind != syn::sink::verdict::ok) {
        state.SkipWithError(v.reason.c_str());
        break;
      }
      if (index_inline) {
        if (auto f = sink.flush_index(); !f) {
          state.SkipWithError(f.error().to_string().c_str());
          break;
        }
      }
    }
    state.SetItemsProcessed(state.iterations() * n);
    auto queued = syn::archive::open_sqlite((dir / "archive.db").string());
    if (queued) {
      // What the indexer had not caught up with (the destructor indexes it, untimed).
      std::int64_t left = 0;
      while (true) {
        auto m = queued.value()->index_pending(1000000);
        if (!m || m.value() == 0) break;
        left += m.value();
      }
      state.counters["queued_at_end"] = static_cast<double>(left);
    }
  }
  std::filesystem::remove_all(dir);
}

void BM_SinkNewArticles(benchmark::State& state) { sink_new_articles(state, false); }
BENCHMARK(BM_SinkNewArticles)->Arg(100)->Arg(1)->Arg(1000)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_SinkNewArticlesIndexedInline(benchmark::State& state) { sink_new_articles(state, true); }
BENCHMARK(BM_SinkNewArticlesIndexedInline)->Arg(100)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_SinkReplay(benchmark::State& state) {
  const auto dir = bench_dir();
  std::filesystem::create_directories(dir);
  {
    syn::archive::archive_sink sink([&] { return syn::archive::open_sqlite((dir / "archive.db").string()); });
    const auto batch = make_batch(0, state.range(0));
    if (sink.write(batch).kind != syn::sink::verdict::ok) {
      state.SkipWithError("first write failed");
      return;
    }
    for (auto _ : state) {
      const auto v = sink.write(batch);
      if (v.kind != syn::sink::verdict::ok) {
        state.SkipWithError(v.reason.c_str());
        break;
      }
    }
    state.SetItemsProcessed(state.iterations() * state.range(0));
  }
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_SinkReplay)->Arg(100)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_SinkNewArticlesPostgres(benchmark::State& state) {
  const char* conninfo = std::getenv("SYN_BENCH_PG_CONNINFO");
  if (conninfo == nullptr || *conninfo == '\0') {
    state.SkipWithError("SYN_BENCH_PG_CONNINFO is not set");
    return;
  }
  const std::string ci = conninfo;
  syn::archive::archive_sink sink([&] { return syn::archive::open_postgres(ci); });
  if (auto c = sink.connect(); !c) {
    state.SkipWithError(c.error().to_string().c_str());
    return;
  }
  const std::int64_t n = state.range(0);
  // Ids unlikely to exist from an earlier run against the same database.
  std::int64_t next = static_cast<std::int64_t>(std::random_device{}()) * 1000000;
  for (auto _ : state) {
    state.PauseTiming();
    auto batch = make_batch(next, n);
    next += n;
    state.ResumeTiming();
    const auto v = sink.write(batch);
    if (v.kind != syn::sink::verdict::ok) {
      state.SkipWithError(v.reason.c_str());
      break;
    }
  }
  state.SetItemsProcessed(state.iterations() * n);
}
BENCHMARK(BM_SinkNewArticlesPostgres)->Arg(100)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
