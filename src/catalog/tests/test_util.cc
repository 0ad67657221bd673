#include "catalog/tests/test_util.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include "audio/image.h"
#include "audio/synth.h"

namespace segue::catalog::testing {

TempDir::TempDir() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string name = info ? std::string(info->test_suite_name()) + "." + info->name() : "suite";
  for (char& c : name)
    if (c == '/') c = '_';
  path_ = std::filesystem::temp_directory_path() /
          ("segue-catalog-" + std::to_string(::getpid()) + "-" + name);
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
  std::filesystem::create_directories(path_, ec);
}

TempDir::~TempDir() {
  std::error_code ec;
  // Restore permissions the tests removed so that cleanup succeeds.
  for (auto it = std::filesystem::recursive_directory_iterator(path_, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec))
    std::filesystem::permissions(it->path(), std::filesystem::perms::owner_all,
                                 std::filesystem::perm_options::add, ec);
  std::filesystem::remove_all(path_, ec);
}

void make_tagged_file(const std::filesystem::path& path, audio::Format fmt, const TagWrite& tags,
                      double seconds) {
  std::error_code ec;
  std::filesystem::create_directories(path.parent_path(), ec);
  const auto seed = static_cast<uint32_t>(std::hash<std::string>{}(path.string()));
  Status s = audio::encode_pcm_file(path.string(), fmt, audio::render_demo_tune(seed, seconds), 128);
  ASSERT_TRUE(s.ok()) << s.error().message;
  s = write_tags(path.string(), tags);
  ASSERT_TRUE(s.ok()) << path << ": " << s.error().message;
}

std::string small_jpeg(unsigned char r, unsigned char g, unsigned char b) {
  std::vector<uint8_t> rgb;
  for (int i = 0; i < 32 * 32; ++i) rgb.insert(rgb.end(), {r, g, b});
  auto jpeg = audio::encode_jpeg(rgb, 32, 32, 90);
  EXPECT_TRUE(jpeg.ok());
  return jpeg.ok() ? *jpeg : std::string();
}

}  // namespace segue::catalog::testing
