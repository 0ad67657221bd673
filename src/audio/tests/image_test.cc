#include "audio/image.h"

#include <gtest/gtest.h>

namespace segue::audio {
namespace {

std::vector<uint8_t> gradient(int w, int h) {
  std::vector<uint8_t> rgb(static_cast<std::size_t>(w) * h * 3);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      uint8_t* p = &rgb[(static_cast<std::size_t>(y) * w + x) * 3];
      p[0] = static_cast<uint8_t>(x * 255 / w);
      p[1] = static_cast<uint8_t>(y * 255 / h);
      p[2] = 128;
    }
  return rgb;
}

TEST(ImageTest, EncodedJpegStartsWithSoiAndDecodesToSameSize) {
  auto jpeg = encode_jpeg(gradient(200, 120), 200, 120, 90);
  ASSERT_TRUE(jpeg.ok()) << jpeg.error().message;
  EXPECT_EQ(jpeg->substr(0, 3), "\xFF\xD8\xFF");
  auto info = probe_image(*jpeg);
  ASSERT_TRUE(info.ok()) << info.error().message;
  EXPECT_EQ(info->width, 200);
  EXPECT_EQ(info->height, 120);
}

TEST(ImageTest, ResizeFitsTheBoxKeepingAspectRatio) {
  auto jpeg = encode_jpeg(gradient(800, 400), 800, 400, 80);
  ASSERT_TRUE(jpeg.ok());
  auto small = resize_image_to_jpeg(*jpeg, 300);
  ASSERT_TRUE(small.ok()) << small.error().message;
  auto info = probe_image(*small);
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->width, 300);
  EXPECT_EQ(info->height, 150);
}

TEST(ImageTest, ResizeNeverUpscales) {
  auto jpeg = encode_jpeg(gradient(64, 48), 64, 48, 80);
  ASSERT_TRUE(jpeg.ok());
  auto out = resize_image_to_jpeg(*jpeg, 640);
  ASSERT_TRUE(out.ok());
  auto info = probe_image(*out);
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->width, 64);
  EXPECT_EQ(info->height, 48);
}

TEST(ImageTest, GarbageBytesAreInvalid) {
  for (std::string_view bytes : {std::string_view(""), std::string_view("hello world"),
                                 std::string_view("\xFF\xD8\xFF\xE0garbage garbage", 19),
                                 std::string_view("\x89PNG\r\n\x1A\nnot really", 18)}) {
    auto r = resize_image_to_jpeg(bytes, 300);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  }
}

TEST(ImageTest, TruncatedJpegIsInvalid) {
  auto jpeg = encode_jpeg(gradient(300, 300), 300, 300, 90);
  ASSERT_TRUE(jpeg.ok());
  for (std::size_t cut : {std::size_t{20}, jpeg->size() / 3, jpeg->size() / 2}) {
    auto r = resize_image_to_jpeg(std::string_view(*jpeg).substr(0, cut), 64);
    EXPECT_FALSE(r.ok()) << "cut at " << cut;
  }
}

TEST(ImageTest, RandomBytesAfterAJpegHeaderNeverCrash) {
  uint32_t s = 12345;
  for (int round = 0; round < 200; ++round) {
    std::string bytes = "\xFF\xD8\xFF";
    for (int i = 0; i < 64 + round * 7; ++i) {
      s = s * 1103515245 + 12345;
      bytes.push_back(static_cast<char>(s >> 16));
    }
    (void)resize_image_to_jpeg(bytes, 64);
  }
}

TEST(ImageTest, BadDimensionsAreInvalid) {
  EXPECT_FALSE(encode_jpeg({}, 0, 10, 80).ok());
  EXPECT_FALSE(encode_jpeg(std::vector<uint8_t>(10), 10, 10, 80).ok());
}

}  // namespace
}  // namespace segue::audio
