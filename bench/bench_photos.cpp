// The added cost of photos per issue (issue 18): the fixture split and encoded as `publish` does
// before sending, without images and with N of them (640x400 JPEGs, ~7 KB, as the fixture
// bundle's), each checked (type, limits, full decode by libvips), its IPTC caption read (Exiv2),
// matched and stored in a folder blob store (fsync'd, renamed) that is emptied before each
// iteration, so every put writes. BENCHMARKS.md "Photos" gives the ratios against the baseline.
#include <benchmark/benchmark.h>
#include <unistd.h>
#include <vips/vips.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

#include "syn/core/blob_store.hpp"
#include "syn/producer/encode.hpp"
#include "syn/producer/photos.hpp"
#include "syn/producer/splitter.hpp"

namespace {

namespace fs = std::filesystem;

std::string fixture() {
  const std::string path = std::string(SYN_SOURCE_DIR) + "/tests/data/issues/changji-daily-2024-01-30-p1.txt";
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

syn::producer::split_options options() {
  syn::producer::split_options o;
  o.source_name = "fixture.txt";
  o.papers = syn::producer::default_papers();
  return o;
}

/// `n` distinct 640x400 JPEGs in `dir` (blurred noise, distinct seeds: distinct blobs).
std::vector<fs::path> make_images(const fs::path& dir, int n) {
  if (VIPS_INIT("bench_photos") != 0) throw std::runtime_error("libvips");
  std::vector<fs::path> out;
  for (int i = 0; i < n; ++i) {
    VipsImage* noise = nullptr;
    VipsImage* blurred = nullptr;
    VipsImage* u8 = nullptr;
    if (vips_gaussnoise(&noise, 640, 400, "mean", 128.0, "sigma", 60.0, "seed", i + 1, nullptr) != 0 ||
        vips_gaussblur(noise, &blurred, 12.0, nullptr) != 0 || vips_cast_uchar(blurred, &u8, nullptr) != 0) {
      throw std::runtime_error(vips_error_buffer());
    }
    const fs::path p = dir / ("photo-" + std::to_string(i) + ".jpg");
    if (vips_jpegsave(u8, p.c_str(), "Q", 80, nullptr) != 0) throw std::runtime_error(vips_error_buffer());
    g_object_unref(u8);
    g_object_unref(blurred);
    g_object_unref(noise);
    out.push_back(p);
  }
  return out;
}

void BM_PublishPrepare(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  const std::string text = fixture();
  const auto opts = options();
  const fs::path dir = fs::temp_directory_path() / ("bench-photos-" + std::to_string(::getpid()));
  fs::create_directories(dir / "in");
  const syn::producer::photos::bundle bundle{make_images(dir / "in", n), std::nullopt};
  const syn::config::blobs_config limits;
  for (auto _ : state) {
    state.PauseTiming();
    fs::remove_all(dir / "blobs");
    auto store = syn::blob::open_folder(dir / "blobs");
    if (!store) throw std::runtime_error(store.error().to_string());
    state.ResumeTiming();
    auto issue = syn::producer::split_issue(text, opts);
    if (n > 0) {
      auto r = syn::producer::photos::attach(issue, bundle, *store.value(), limits);
      if (!r) throw std::runtime_error(r.error().to_string());
    }
    auto encoded = syn::producer::encode_issue(issue);
    benchmark::DoNotOptimize(encoded);
  }
  fs::remove_all(dir);
}
BENCHMARK(BM_PublishPrepare)->Arg(0)->Arg(1)->Arg(4)->Arg(16)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
