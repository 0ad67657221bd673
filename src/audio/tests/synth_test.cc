#include "audio/synth.h"

#include <gtest/gtest.h>

#include <cmath>

namespace segue::audio {
namespace {

TEST(SynthTest, RendersStereoAtCdRateForTheSumOfNoteLengths) {
  Voice v;
  v.melody = {{440, 0.5}, {0, 0.25}, {660, 0.25}};
  Pcm pcm = render(v);
  EXPECT_EQ(pcm.channels, 2);
  EXPECT_EQ(pcm.sample_rate, 44100);
  EXPECT_NEAR(pcm.seconds(), 1.0, 0.001);
}

TEST(SynthTest, SamplesStayInRangeAndStartSilently) {
  Pcm pcm = render_demo_tune(7, 3.0);
  ASSERT_GT(pcm.frames(), 0);
  float peak = 0;
  for (float s : pcm.samples) peak = std::max(peak, std::fabs(s));
  EXPECT_LE(peak, 1.0f);
  EXPECT_GT(peak, 0.05f);
  EXPECT_NEAR(pcm.samples[0], 0.0f, 1e-6);
}

TEST(SynthTest, SeedsGiveDifferentButReproducibleTunes) {
  EXPECT_EQ(render_demo_tune(1, 2.0).samples, render_demo_tune(1, 2.0).samples);
  EXPECT_NE(render_demo_tune(1, 2.0).samples, render_demo_tune(2, 2.0).samples);
  EXPECT_NEAR(render_demo_tune(3, 2.0).seconds(), 2.0, 0.01);
}

}  // namespace
}  // namespace segue::audio
