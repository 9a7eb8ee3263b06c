// `archive export --format bundle` (issue 18): the issue's text, its images from the blob store
// and photos.yaml, round-tripped byte for byte.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <sstream>

#include "fixtures.hpp"
#include "render.hpp"
#include "syn/archive/store.hpp"
#include "syn/core/blob_store.hpp"

namespace syn::archive::test {
namespace {

namespace fs = std::filesystem;

std::string read_all(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

/// Bytes that start like a JPEG, with `n` random bytes after (the archive does not decode them).
std::string image_bytes(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::string s("\xFF\xD8\xFF\xE0", 4);
  for (std::size_t i = 0; i < n; ++i) s.push_back(static_cast<char>(rng() & 0xFFU));
  return s;
}

void add_photo(Article& a, const blob::ref& r, const std::string& name, const std::string& caption,
               std::uint32_t after) {
  auto* p = a.add_photos();
  p->set_sha256(r.sha256);
  p->set_bytes(r.bytes);
  p->set_media_type("image/jpeg");
  p->set_width(800);
  p->set_height(600);
  p->set_source_name(name);
  p->set_caption(caption);
  p->set_credit("本报记者 杨鹤");
  p->set_after_block(after);
}

class ArchiveBundle : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = open_sqlite(dir_.file("archive.db"));
    ASSERT_TRUE(s) << s.error().to_string();
    store_ = std::move(s).value();
    auto b = blob::open_folder(dir_.file("blobs"));
    ASSERT_TRUE(b);
    blobs_ = std::move(b).value();
    one_ = blobs_->put(image_bytes(300000, 1)).value();
    two_ = blobs_->put(image_bytes(120000, 2)).value();
    a1_ = article("cjrb", "2024-02-01", 1, 1, "天山面粉：做好小麦精深加工转化", {"第一段。", "第二段。"});
    a2_ = article("cjrb", "2024-02-01", 1, 2, "新能源装备制造产业集群加速聚集", {"正文。"});
    add_photo(a1_, one_, "p1-flour.jpg", "工人正在包装面粉", 1);
    a1_.add_photos()->set_caption("只有图说");
    add_photo(a2_, two_, "p1-energy.jpg", "生产车间\"一角\"：箔材", 0);
    add_photo(a2_, one_, "p1-flour.jpg", "同一张照片", 1);  // the same image again: written once
    raw_ = "昌吉日报 2024年2月1日\r\n天山面粉：做好小麦精深加工转化\r\n";
    m_ = manifest({&a1_, &a2_}, raw_);
    ASSERT_TRUE(store_->write(records({&a1_, &a2_}, &m_)));
  }

  temp_dir dir_;
  std::unique_ptr<store> store_;
  std::unique_ptr<blob::store> blobs_;
  blob::ref one_, two_;
  Article a1_, a2_;
  std::string raw_;
  IssueManifest m_;
};

}  // namespace

TEST_F(ArchiveBundle, ExportRoundTripsTheTextAndTheImagesByteForByte) {
  ASSERT_TRUE(store_->put_raw(m_.source_sha256(), raw_, m_.source_name()));
  const fs::path out = dir_.file("bundle");
  std::ostringstream report;
  auto r = cmd::export_bundle(*store_, *blobs_, "cjrb-20240201", out.string(), report);
  ASSERT_TRUE(r) << r.error().to_string();
  // One text, two images (the shared one once), photos.yaml, issue.json: nothing else.
  std::set<std::string> files;
  for (const auto& e : fs::directory_iterator(out)) files.insert(e.path().filename().string());
  EXPECT_EQ(files, (std::set<std::string>{"changji-daily-2024-01-30-p1.txt", "p1-flour.jpg", "p1-energy.jpg",
                                          "photos.yaml", "issue.json"}));
  EXPECT_EQ(read_all(out / "changji-daily-2024-01-30-p1.txt"), raw_);
  EXPECT_EQ(sha256_hex(read_all(out / "p1-flour.jpg")), one_.sha256);
  EXPECT_EQ(sha256_hex(read_all(out / "p1-energy.jpg")), two_.sha256);
  const auto side = YAML::LoadFile((out / "photos.yaml").string());
  ASSERT_TRUE(side.IsSequence());
  ASSERT_EQ(side.size(), 3U);  // every photo with an image, in article order (raw count)
  EXPECT_EQ(side[0]["file"].as<std::string>(), "p1-flour.jpg");
  EXPECT_EQ(side[0]["caption"].as<std::string>(), "工人正在包装面粉");
  EXPECT_EQ(side[1]["file"].as<std::string>(), "p1-energy.jpg");
  EXPECT_EQ(side[1]["caption"].as<std::string>(), "生产车间\"一角\"：箔材");
  EXPECT_EQ(side[2]["file"].as<std::string>(), "p1-flour.jpg");
  const auto j = nlohmann::json::parse(read_all(out / "issue.json"));
  ASSERT_EQ(j["articles"].size(), 2U);
  EXPECT_EQ(j["articles"][0]["article"]["photos"].size(), 2U);
  EXPECT_EQ(j["articles"][0]["article"]["photos"][0]["sha256"], one_.sha256);
  EXPECT_NE(report.str().find("image p1-flour.jpg  300004 bytes"), std::string::npos) << report.str();

  // Not into a folder that holds something.
  std::ostringstream again;
  auto twice = cmd::export_bundle(*store_, *blobs_, "cjrb-20240201", out.string(), again);
  ASSERT_FALSE(twice);
  EXPECT_EQ(twice.error(), errc::bad_argument);
}

TEST_F(ArchiveBundle, AMissingImageOrSourceIsOneClearError) {
  std::ostringstream report;
  auto no_raw = cmd::export_bundle(*store_, *blobs_, "cjrb-20240201", dir_.file("b1"), report);
  ASSERT_FALSE(no_raw);
  EXPECT_EQ(no_raw.error(), errc::not_found);
  EXPECT_NE(no_raw.error().message().find("is not archived"), std::string::npos);

  ASSERT_TRUE(store_->put_raw(m_.source_sha256(), raw_, m_.source_name()));
  auto empty = blob::open_folder(dir_.file("other-blobs"));  // a store without the images
  ASSERT_TRUE(empty);
  auto no_image = cmd::export_bundle(*store_, *empty.value(), "cjrb-20240201", dir_.file("b2"), report);
  ASSERT_FALSE(no_image);
  EXPECT_EQ(no_image.error(), errc::not_found);
  EXPECT_NE(no_image.error().message().find("article cjrb-20240201-01-01 photo 1"), std::string::npos)
      << no_image.error().message();
}

TEST_F(ArchiveBundle, GetListsThePhotosOfTheRevision) {
  std::ostringstream out;
  ASSERT_TRUE(cmd::get(*store_, "cjrb-20240201-01-01", std::nullopt, cmd::format::text, out));
  const auto s = out.str();
  EXPECT_NE(s.find("photo 1: " + one_.sha256 +
                   "  image/jpeg  300004 bytes  800x600  p1-flour.jpg  after block 1  "
                   "caption: 工人正在包装面粉  credit: 本报记者 杨鹤\n"),
            std::string::npos)
      << s;
  EXPECT_NE(s.find("photo 2: (caption only)  after block 0  caption: 只有图说\n"), std::string::npos);
}

}  // namespace syn::archive::test
