// The feed pages' photos in headless Chromium (Debian `chromium`, as e2e.feed_pages): the article
// page is served over HTTP by the feed handler with its blob store; Chromium loads every image the
// page names (naturalWidth > 0, through the srcset variants too), the page's <img> elements keep
// their alt text, and a phone-sized screenshot is kept as an artefact:
// <build>/artefacts/feed_photo_page.png.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <regex>
#include <set>

#include "photo_fixture.hpp"
#include "syn/core/http_server.hpp"
#include "syn/feed/feed_server.hpp"
#include "syn/feed/images.hpp"

using namespace feedtest;
namespace fs = std::filesystem;

namespace {

std::string read_all(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

/// Runs headless Chromium with `args` (bounded by timeout(1)); its stdout in `out`.
int chromium(const fs::path& work, const std::string& args, const fs::path& out) {
  const std::string cmd =
      "timeout 60 chromium --headless --no-sandbox --disable-gpu --disable-background-networking "
      "--disable-component-update --disable-sync --no-first-run --user-data-dir=" +
      (work / "profile").string() + " --virtual-time-budget=5000 " + args + " >" + out.string() +
      " 2>/dev/null";
  return std::system(cmd.c_str());
}

}  // namespace

TEST(FeedPhotoPagesChromium, ImagesLoadWithAltAndTheScreenshotIsKept) {
  ASSERT_EQ(std::system("command -v chromium >/dev/null"), 0)
      << "chromium is not installed (install-deps.sh)";
  photo_env env;
  {
    auto sink = env.sink();
    ASSERT_EQ(sink->write(envelopes(env.arts)).kind, syn::sink::verdict::ok);
  }
  auto state = std::make_shared<syn::feed::state_store>(env.state_path(), true);
  syn::feed::feed_server_options o;
  o.blobs = env.blobs;
  syn::http::server server({}, syn::feed::make_feed_handler(state, o));
  const std::string base = "http://127.0.0.1:" + std::to_string(server.port());
  const std::string page = base + "/articles/cjrb-20240130-01-01";

  // 1. The page as Chromium renders it: the photos' <img> with alt, width, height, lazy.
  ASSERT_EQ(chromium(env.dir, "--dump-dom " + page, env.dir / "dom.html"), 0);
  const auto dom = read_all(env.dir / "dom.html");
  const std::regex img_re(R"re(<img src="\.\./photos/([0-9a-f]{64})"[^>]*>)re");
  std::vector<std::string> imgs;
  for (auto it = std::sregex_iterator(dom.begin(), dom.end(), img_re); it != std::sregex_iterator(); ++it) {
    imgs.push_back(it->str());
  }
  ASSERT_EQ(imgs.size(), 2U) << dom;
  for (const auto& i : imgs) {
    EXPECT_NE(i.find("alt=\""), std::string::npos) << i;
    EXPECT_EQ(i.find("alt=\"\""), std::string::npos) << i;
    EXPECT_NE(i.find("loading=\"lazy\""), std::string::npos) << i;
    EXPECT_NE(i.find("width="), std::string::npos) << i;
  }
  EXPECT_EQ(dom.find("<script>x</script>"), std::string::npos);  // the caption's markup is text

  // 2. Every image URL the page names (src and srcset variants) loads in Chromium: a page of
  // <img> elements whose onload writes naturalWidth into the DOM.
  std::set<std::string> urls;
  const std::regex url_re(R"re(\.\./photos/[0-9a-f]{64}(\?w=[0-9]+)?)re");
  for (auto it = std::sregex_iterator(dom.begin(), dom.end(), url_re); it != std::sregex_iterator(); ++it) {
    urls.insert(base + it->str().substr(2));
  }
  ASSERT_EQ(urls.size(), 4U);  // the JPEG; the PNG and its 480 and 960 variants
  std::string probe = "<!DOCTYPE html><html><body><ol id=r></ol><script>\n";
  for (const auto& u : urls) {
    probe += "{const i=new Image();i.onload=()=>{const l=document.createElement('li');l.textContent='" + u +
             " '+i.naturalWidth;document.getElementById('r').append(l)};i.onerror=()=>{const "
             "l=document.createElement('li');l.textContent='" +
             u + " error';document.getElementById('r').append(l)};i.src='" + u + "';}\n";
  }
  probe += "</script></body></html>\n";
  std::ofstream(env.dir / "probe.html") << probe;
  ASSERT_EQ(
      chromium(env.dir, "--dump-dom file://" + (env.dir / "probe.html").string(), env.dir / "probe.out"), 0);
  const auto loaded = read_all(env.dir / "probe.out");
  for (const auto& u : urls) {
    const std::regex width_re(std::regex_replace(u, std::regex(R"([.?*+^$()\[\]{}|\\])"), R"(\$&)") +
                              " ([0-9]+)");
    std::smatch m;
    ASSERT_TRUE(std::regex_search(loaded, m, width_re)) << u << " did not load:\n" << loaded;
    const auto w = std::stoul(m[1]);
    EXPECT_GT(w, 0U) << u;
    if (u.ends_with("?w=480")) {
      EXPECT_EQ(w, 480U);
    }
    if (u.ends_with("?w=960")) {
      EXPECT_EQ(w, 960U);
    }
  }

  // 3. The screenshot (a phone), kept under the build dir as the test's artefact.
  const fs::path shots = fs::path(SYN_BINARY_DIR) / "artefacts";
  fs::create_directories(shots);
  const auto shot = shots / "feed_photo_page.png";
  fs::remove(shot);
  ASSERT_EQ(
      chromium(env.dir, "--window-size=390,1800 --hide-scrollbars --screenshot=" + shot.string() + " " + page,
               env.dir / "shot.out"),
      0);
  const auto png = read_all(shot);
  ASSERT_GT(png.size(), 1000U);
  EXPECT_EQ(png.substr(0, 8), "\x89PNG\r\n\x1A\n");
  // Taller than a text-only page would need: the photos take room (naturalWidth is checked above).
  auto fitted = syn::feed::images::fit(png, syn::feed::images::wechat_material_image());
  ASSERT_TRUE(fitted);
  EXPECT_EQ(fitted.value().width, 390U);
}
