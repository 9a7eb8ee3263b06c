// Photos in (issue 18): images checked by content, limits, decompression bombs, corrupt files,
// embedded captions, the sidecar, matching, and the blob store filled before any record names it.
// Every image is generated here with libvips (and its IPTC/XMP written with Exiv2).
#include "syn/producer/photos.hpp"

#include <gtest/gtest.h>
#include <vips/vips.h>

#include <array>
#include <exiv2/exiv2.hpp>
#include <fstream>
#include <random>

#include "test_support.hpp"

namespace {

namespace fs = std::filesystem;
namespace photos = syn::producer::photos;
using syn::producer::split_issue;
using syn::producer::split_result;

// The fixture's one photo caption, as printed (full-width comma; the splitter folds it).
const std::string fixture_caption = "新疆天山面粉小麦食品加工产业园区内，工人正在包装面粉";

class PhotosTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(VIPS_INIT("photos_test"), 0);
    static std::atomic<int> n{0};
    dir_ = fs::temp_directory_path() /
           ("syn-photos-" + std::to_string(::getpid()) + "-" + std::to_string(n.fetch_add(1)));
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "in");
    auto s = syn::blob::open_folder(dir_ / "blobs");
    ASSERT_TRUE(s) << s.error().to_string();
    store_ = std::move(s).value();
  }
  void TearDown() override { fs::remove_all(dir_); }

  /// A `w`x`h` image of noise saved by libvips as `name` (format from `suffix`, e.g. ".jpg").
  fs::path image(const std::string& name, int w = 40, int h = 30, const std::string& suffix = "") {
    const fs::path p = dir_ / "in" / name;
    VipsImage* noise = nullptr;
    EXPECT_EQ(vips_gaussnoise(&noise, w, h, "mean", 128.0, "sigma", 40.0, nullptr), 0);
    VipsImage* u8 = nullptr;
    EXPECT_EQ(vips_cast_uchar(noise, &u8, nullptr), 0);
    const std::string target = p.string() + suffix;
    EXPECT_EQ(vips_image_write_to_file(u8, target.c_str(), nullptr), 0) << vips_error_buffer();
    g_object_unref(u8);
    g_object_unref(noise);
    if (!suffix.empty()) fs::rename(target, p);
    return p;
  }

  static void write(const fs::path& p, std::string_view bytes) {
    std::ofstream out(p, std::ios::binary);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  }

  static void embed_iptc(const fs::path& p, const std::string& caption, const std::string& credit) {
    auto img = Exiv2::ImageFactory::open(p.string());
    img->readMetadata();
    Exiv2::IptcData iptc;
    iptc["Iptc.Envelope.CharacterSet"] = "\x1B%G";  // UTF-8
    iptc["Iptc.Application2.Caption"] = caption;
    if (!credit.empty()) iptc["Iptc.Application2.Credit"] = credit;
    img->setIptcData(iptc);
    img->writeMetadata();
  }

  static void embed_xmp(const fs::path& p, const std::string& caption, const std::string& creator) {
    auto img = Exiv2::ImageFactory::open(p.string());
    img->readMetadata();
    Exiv2::XmpData xmp;
    xmp["Xmp.dc.description"] = "lang=\"x-default\" " + caption;
    Exiv2::XmpTextValue v(creator);
    xmp.add(Exiv2::XmpKey("Xmp.dc.creator"), &v);
    img->setXmpData(xmp);
    img->writeMetadata();
  }

  static split_result fixture_issue() {
    return split_issue(syn::producer::testing::fixture(), syn::producer::testing::options("fixture.txt"));
  }

  std::size_t blobs_stored() const {
    std::size_t n = 0;
    if (!fs::exists(dir_ / "blobs" / "sha256")) return 0;
    for (const auto& e : fs::recursive_directory_iterator(dir_ / "blobs" / "sha256"))
      n += e.is_regular_file() ? 1 : 0;
    return n;
  }

  fs::path dir_;
  std::unique_ptr<syn::blob::store> store_;
  syn::config::blobs_config limits_;
};

std::uint32_t crc32(std::string_view s) {
  std::uint32_t c = 0xFFFFFFFFU;
  for (const unsigned char b : s) {
    c ^= b;
    for (int k = 0; k < 8; ++k) c = (c >> 1U) ^ (0xEDB88320U & (0U - (c & 1U)));
  }
  return ~c;
}

std::string be32(std::uint32_t v) {
  return {static_cast<char>(v >> 24U), static_cast<char>(v >> 16U), static_cast<char>(v >> 8U),
          static_cast<char>(v)};
}

std::string chunk(std::string_view type, std::string_view data) {
  const std::string body = std::string(type) + std::string(data);
  return be32(static_cast<std::uint32_t>(data.size())) + body + be32(crc32(body));
}

/// A valid PNG header claiming 100000 x 100000 pixels (10^10, 30 GB of RGB) in 57 bytes.
std::string png_bomb() {
  std::string ihdr = be32(100000) + be32(100000);
  ihdr += std::string("\x08\x02\x00\x00\x00", 5);  // 8-bit RGB, deflate, no filter, no interlace
  return std::string("\x89PNG\r\n\x1A\n", 8) + chunk("IHDR", ihdr) +
         chunk("IDAT", std::string("\x78\x9C\x03\x00\x00\x00\x00\x01", 8)) + chunk("IEND", "");
}

TEST(PhotosSniff, ByContentOnly) {
  EXPECT_EQ(photos::sniff("\xFF\xD8\xFF\xE0"), "image/jpeg");
  EXPECT_EQ(photos::sniff(std::string("\x89PNG\r\n\x1A\n", 8)), "image/png");
  EXPECT_EQ(photos::sniff("GIF89a"), "image/gif");
  EXPECT_EQ(photos::sniff(std::string("RIFF\x10\0\0\0WEBP", 12)), "image/webp");
  EXPECT_EQ(photos::sniff("<svg xmlns="), "");
  EXPECT_EQ(photos::sniff("新疆天山"), "");
  EXPECT_EQ(photos::sniff(""), "");
}

TEST_F(PhotosTest, EveryFormatIsCheckedAndMeasured) {
  for (const auto& [name, type] :
       std::vector<std::pair<std::string, std::string>>{{"a.jpg", "image/jpeg"},
                                                        {"b.png", "image/png"},
                                                        {"c.gif", "image/gif"},
                                                        {"d.webp", "image/webp"}}) {
    const auto p = image(name, 41, 29);
    auto info = photos::check_image(p, limits_);
    ASSERT_TRUE(info) << info.error().to_string();
    EXPECT_EQ(info.value().media_type, type) << name;
    EXPECT_EQ(info.value().width, 41U) << name;
    EXPECT_EQ(info.value().height, 29U) << name;
    EXPECT_EQ(info.value().bytes, fs::file_size(p)) << name;
  }
}

TEST_F(PhotosTest, AWrongExtensionIsFineTheContentDecides) {
  const auto p = image("really-a-png.jpg", 10, 10, ".png");
  auto info = photos::check_image(p, limits_);
  ASSERT_TRUE(info) << info.error().to_string();
  EXPECT_EQ(info.value().media_type, "image/png");
}

TEST_F(PhotosTest, ATextFileNamedJpgIsRefusedNamingTheFile) {
  const auto p = dir_ / "in" / "caption.jpg";
  write(p, "新疆天山面粉小麦食品加工产业园区内\n");
  auto info = photos::check_image(p, limits_);
  ASSERT_FALSE(info);
  EXPECT_EQ(info.error().value(), photos::errc::not_an_image);
  EXPECT_NE(info.error().message().find(p.string() + ": not a JPEG, PNG, GIF or WebP"), std::string::npos)
      << info.error().message();
}

TEST_F(PhotosTest, ATruncatedJpegIsRefusedAsCorrupt) {
  const auto whole = image("whole.jpg", 300, 200);
  std::ifstream in(whole, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_GT(bytes.size(), 2000U);
  const auto cut = dir_ / "in" / "cut.jpg";
  write(cut, std::string_view(bytes).substr(0, bytes.size() / 2));
  auto info = photos::check_image(cut, limits_);
  ASSERT_FALSE(info);
  EXPECT_EQ(info.error().value(), photos::errc::corrupt) << info.error().message();
  EXPECT_EQ(info.error().message().rfind(cut.string() + ": image/jpeg", 0), 0U) << info.error().message();
}

TEST_F(PhotosTest, ADecompressionBombIsRefusedFromItsHeader) {
  const auto p = dir_ / "in" / "bomb.png";
  write(p, png_bomb());
  ASSERT_LT(fs::file_size(p), 100U);
  auto info = photos::check_image(p, limits_);
  ASSERT_FALSE(info);
  EXPECT_EQ(info.error().value(), photos::errc::too_large) << info.error().message();
  EXPECT_NE(info.error().message().find(
                "100000x100000 pixels, over blobs.max_image_pixels (50000000); not decoded"),
            std::string::npos)
      << info.error().message();
}

TEST_F(PhotosTest, PixelAndByteLimitsAreTheConfiguredOnes) {
  const auto p = image("a.jpg", 100, 100);
  limits_.max_image_pixels = 100 * 100;
  EXPECT_TRUE(photos::check_image(p, limits_));
  limits_.max_image_pixels = 100 * 100 - 1;
  auto px = photos::check_image(p, limits_);
  ASSERT_FALSE(px);
  EXPECT_EQ(px.error().value(), photos::errc::too_large);
  limits_ = {};
  limits_.max_image_bytes = fs::file_size(p) - 1;
  auto bytes = photos::check_image(p, limits_);
  ASSERT_FALSE(bytes);
  EXPECT_NE(bytes.error().message().find("over blobs.max_image_bytes"), std::string::npos);
}

TEST_F(PhotosTest, EmbeddedIptcAndXmpCaptionsAreRead) {
  const auto a = image("a.jpg");
  embed_iptc(a, fixture_caption, "本报记者 杨鹤");
  auto ea = photos::read_embedded(a);
  EXPECT_EQ(ea.caption, fixture_caption);
  EXPECT_EQ(ea.credit, "本报记者 杨鹤");
  const auto b = image("b.jpg");
  embed_xmp(b, "工人正在包装面粉", "杨鹤");
  auto eb = photos::read_embedded(b);
  EXPECT_EQ(eb.caption, "工人正在包装面粉");
  EXPECT_EQ(eb.credit, "杨鹤");
  const auto c = dir_ / "in" / "c.jpg";
  write(c, "not an image");
  EXPECT_TRUE(photos::read_embedded(c).caption.empty());
}

TEST_F(PhotosTest, AnEmbeddedCaptionMatchesStoresAndReferences) {
  auto issue = fixture_issue();
  const auto& before = issue.articles[3];
  ASSERT_EQ(before.photos_size(), 1);
  const std::string hash_before = before.content_sha256();
  const auto decoy = image("a-decoy.png", 20, 20, ".png");  // first by name, no caption
  const auto p = image("wheat.jpg", 64, 48);
  embed_iptc(p, fixture_caption, "本报记者 杨鹤");
  const int warnings_before = issue.manifest.warnings_size();

  auto r = photos::attach(issue, {{decoy, p}, std::nullopt}, *store_, limits_);
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_EQ(r.value().stored, 1U);
  EXPECT_EQ(r.value().unmatched, 1U);
  EXPECT_EQ(r.value().uncaptured, 0U);
  const auto& photo = issue.articles[3].photos(0);
  EXPECT_EQ(photo.source_name(), "wheat.jpg");
  EXPECT_EQ(photo.media_type(), "image/jpeg");
  EXPECT_EQ(photo.width(), 64U);
  EXPECT_EQ(photo.height(), 48U);
  EXPECT_EQ(photo.bytes(), fs::file_size(p));
  ASSERT_TRUE(syn::blob::is_sha256_hex(photo.sha256()));
  auto stored = store_->get(photo.sha256(), 1U << 20U);
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored.value().size(), fs::file_size(p));
  EXPECT_EQ(blobs_stored(), 1U);  // the decoy matched nothing and was not stored
  // The image is content: a new hash, and the manifest says the same.
  EXPECT_NE(issue.articles[3].content_sha256(), hash_before);
  EXPECT_EQ(issue.manifest.article_hashes(3), issue.articles[3].content_sha256());
  ASSERT_EQ(issue.manifest.warnings_size(), warnings_before + 1);
  EXPECT_EQ(issue.manifest.warnings(warnings_before).text(), "a-decoy.png");
  EXPECT_NE(issue.manifest.warnings(warnings_before).reason().find("photo without a caption"),
            std::string::npos);

  // Again: the same blob, the same references (content-addressed, idempotent).
  auto again = fixture_issue();
  ASSERT_TRUE(photos::attach(again, {{decoy, p}, std::nullopt}, *store_, limits_));
  EXPECT_EQ(again.articles[3].photos(0).sha256(), photo.sha256());
  EXPECT_EQ(again.articles[3].content_sha256(), issue.articles[3].content_sha256());
  EXPECT_EQ(blobs_stored(), 1U);
}

TEST_F(PhotosTest, WithoutCaptionsTheOrderOfAppearanceDecides) {
  auto issue = fixture_issue();
  const auto first = image("01.jpg");
  const auto second = image("02.jpg");
  auto r = photos::attach(issue, {{second, first}, std::nullopt}, *store_, limits_);
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_EQ(issue.articles[3].photos(0).source_name(), "02.jpg");  // given order, not name order
  EXPECT_EQ(r.value().unmatched, 1U);
  EXPECT_EQ(blobs_stored(), 1U);
}

TEST_F(PhotosTest, ACaptionWithoutAnImageIsAWarning) {
  auto issue = fixture_issue();
  const int before = issue.manifest.warnings_size();
  auto r = photos::attach(issue, {}, *store_, limits_);
  ASSERT_TRUE(r);
  EXPECT_EQ(r.value().uncaptured, 1U);
  ASSERT_EQ(issue.manifest.warnings_size(), before + 1);
  EXPECT_NE(issue.manifest.warnings(before).reason().find("caption without an image"), std::string::npos);
  EXPECT_NE(issue.manifest.warnings(before).reason().find("cjrb-20240130-01-04"), std::string::npos);
  EXPECT_TRUE(issue.articles[3].photos(0).sha256().empty());
}

TEST_F(PhotosTest, TheSidecarMatchesByCaptionOrByArticleAndNumber) {
  const auto a = image("a.jpg");
  const auto b = image("b.jpg");
  const auto side = dir_ / "in" / "photos.yaml";
  write(side, "- file: b.jpg\n  caption: " + fixture_caption + "\n");
  auto issue = fixture_issue();
  ASSERT_TRUE(photos::attach(issue, {{a, b}, side}, *store_, limits_));
  EXPECT_EQ(issue.articles[3].photos(0).source_name(), "b.jpg");

  write(side, "- file: b.jpg\n  article: cjrb-20240130-01-04\n  photo: 1\n");
  auto by_number = fixture_issue();
  ASSERT_TRUE(photos::attach(by_number, {{a, b}, side}, *store_, limits_));
  EXPECT_EQ(by_number.articles[3].photos(0).source_name(), "b.jpg");
}

TEST_F(PhotosTest, ABadSidecarIsOneErrorWithFileLineAndField) {
  const auto a = image("a.jpg");
  const auto side = dir_ / "in" / "photos.yaml";
  const auto expect_error = [&](const std::string& yaml, const std::string& message) {
    write(side, yaml);
    auto issue = fixture_issue();
    auto r = photos::attach(issue, {{a}, side}, *store_, limits_);
    ASSERT_FALSE(r) << yaml;
    EXPECT_EQ(r.error().value(), photos::errc::bad_sidecar);
    EXPECT_EQ(r.error().message(), side.string() + ":" + message) << yaml;
  };
  expect_error("- file: a.jpg\n  colour: red\n",
               "2: [0].colour: unknown field (file, caption, article, photo)");
  expect_error("- file: z.jpg\n  caption: x\n", "1: file: `z.jpg` is not an image of the bundle");
  expect_error("- file: a.jpg\n  article: cjrb-20240130-01-04\n  photo: 2\n",
               "1: photo: article cjrb-20240130-01-04 has no photo 2");
  expect_error("- file: a.jpg\n  caption: 没有这个图片说明\n",
               "1: caption: no photo caption of the text reads \"没有这个图片说明\"");
  expect_error("- file: a.jpg\n  caption: [x\n",
               "3: end of sequence flow not found");  // yaml-cpp: at the end
  expect_error("file: a.jpg\n", "1: expected a list of photos");
  EXPECT_EQ(blobs_stored(), 0U);
}

TEST_F(PhotosTest, OneBadImagePublishesNothingAndStoresNothing) {
  const auto good = image("a.jpg");
  const auto bad = dir_ / "in" / "b.jpg";
  write(bad, "plain text\n");
  auto issue = fixture_issue();
  const std::string serialised = issue.articles[3].SerializeAsString();
  const int warnings = issue.manifest.warnings_size();
  auto r = photos::attach(issue, {{good, bad}, std::nullopt}, *store_, limits_);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().to_string(),
            "photos: " + bad.string() + ": not a JPEG, PNG, GIF or WebP image (by its content)");
  EXPECT_EQ(blobs_stored(), 0U);
  EXPECT_EQ(issue.articles[3].SerializeAsString(), serialised);
  EXPECT_EQ(issue.manifest.warnings_size(), warnings);
}

TEST_F(PhotosTest, IssueLimitsCountEveryImage) {
  const auto a = image("a.jpg");
  const auto b = image("b.jpg");
  auto issue = fixture_issue();
  limits_.max_images_per_issue = 1;
  auto many = photos::attach(issue, {{a, b}, std::nullopt}, *store_, limits_);
  ASSERT_FALSE(many);
  EXPECT_EQ(many.error().message(), "2 images, over blobs.max_images_per_issue (1)");
  limits_ = {};
  limits_.max_issue_bytes = fs::file_size(a) + fs::file_size(b) - 1;
  auto heavy = photos::attach(issue, {{a, b}, std::nullopt}, *store_, limits_);
  ASSERT_FALSE(heavy);
  EXPECT_EQ(heavy.error().message().rfind(b.string() + ": the issue's images reach", 0), 0U);
  EXPECT_EQ(blobs_stored(), 0U);
}

TEST_F(PhotosTest, ABundleFolderHoldsOneTextItsImagesAndItsSidecar) {
  const auto d = dir_ / "bundle";
  fs::create_directories(d);
  write(d / "page.txt", syn::producer::testing::fixture());
  write(d / "photos.yaml", "[]\n");
  write(d / ".ready", "");
  write(d / "b.jpg", "x");
  write(d / "a.png", "x");
  write(d / "issue.json", "{}");  // archive export's record of the issue: not an image
  auto f = photos::read_folder(d);
  ASSERT_TRUE(f) << f.error().to_string();
  EXPECT_EQ(f.value().text, d / "page.txt");
  ASSERT_TRUE(f.value().photos.sidecar);
  EXPECT_EQ(f.value().photos.images, (std::vector<fs::path>{d / "a.png", d / "b.jpg"}));

  write(d / "second.txt", "x");
  auto two = photos::read_folder(d);
  ASSERT_FALSE(two);
  EXPECT_NE(two.error().message().find("two issue texts (page.txt, second.txt)"), std::string::npos);
  fs::remove(d / "second.txt");
  fs::create_symlink("/etc/passwd", d / "c.jpg");
  auto link = photos::read_folder(d);
  ASSERT_FALSE(link);
  EXPECT_EQ(link.error().message(), (d / "c.jpg").string() + ": a symbolic link, refused");
}

}  // namespace
