#include "playback/byte_range.h"

#include <gtest/gtest.h>

namespace segue::playback {

TEST(ByteRange, AbsentOrForeignHeaderMeansWholeFile) {
  EXPECT_EQ(decide_range("", 100).kind, RangeDecision::kWhole);
  EXPECT_EQ(decide_range("items=0-5", 100).kind, RangeDecision::kWhole);
  EXPECT_EQ(decide_range("bytes=5-2", 100).kind, RangeDecision::kWhole);     // invalid
  EXPECT_EQ(decide_range("bytes=0-1,5-6", 100).kind, RangeDecision::kWhole);  // multipart
  EXPECT_EQ(decide_range("bytes=a-b", 100).kind, RangeDecision::kWhole);
}

TEST(ByteRange, ClosedRangeIsClampedToTheFile) {
  auto d = decide_range("bytes=10-19", 100);
  ASSERT_EQ(d.kind, RangeDecision::kPartial);
  EXPECT_EQ(d.range.first, 10u);
  EXPECT_EQ(d.range.last, 19u);
  EXPECT_EQ(d.range.length(), 10u);
  d = decide_range("bytes=90-1000", 100);
  EXPECT_EQ(d.range.last, 99u);
}

TEST(ByteRange, OpenAndSuffixRanges) {
  auto d = decide_range("bytes=95-", 100);
  ASSERT_EQ(d.kind, RangeDecision::kPartial);
  EXPECT_EQ(d.range.first, 95u);
  EXPECT_EQ(d.range.last, 99u);
  d = decide_range("bytes=-30", 100);
  EXPECT_EQ(d.range.first, 70u);
  EXPECT_EQ(d.range.last, 99u);
  d = decide_range("bytes=-300", 100);
  EXPECT_EQ(d.range.first, 0u);
}

TEST(ByteRange, UnsatisfiableRanges) {
  EXPECT_EQ(decide_range("bytes=100-", 100).kind, RangeDecision::kUnsatisfiable);
  EXPECT_EQ(decide_range("bytes=-0", 100).kind, RangeDecision::kUnsatisfiable);
  EXPECT_EQ(decide_range("bytes=0-", 0).kind, RangeDecision::kUnsatisfiable);
}

TEST(ByteRange, HugeNumbersDoNotOverflow) {
  EXPECT_EQ(decide_range("bytes=99999999999999999999-", 100).kind, RangeDecision::kWhole);
  EXPECT_EQ(decide_range("bytes=0-18446744073709551615", 100).kind, RangeDecision::kWhole);
  auto d = decide_range("bytes=0-9999999999999999999", 100);
  EXPECT_EQ(d.range.last, 99u);
}

}  // namespace segue::playback
