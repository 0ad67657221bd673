// JPEG encoding and resizing of cover art with libavcodec/libswscale.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace segue::audio {

// Largest width or height accepted when decoding untrusted images.
inline constexpr int kMaxImageSide = 10000;
// Largest encoded image accepted by resize_image_to_jpeg.
inline constexpr std::size_t kMaxImageBytes = 32u << 20;

// Encodes packed RGB24 pixels (`w*h*3` bytes, rows top to bottom) as a baseline JPEG.
// `quality` is 1..100 (clamped). Error::invalid for bad dimensions or a short buffer.
// CPU-bound; any worker thread.
Result<std::string> encode_jpeg(const std::vector<uint8_t>& rgb, int w, int h, int quality);

// Decodes an image in any format libavcodec decodes from its magic bytes (JPEG, PNG, GIF, BMP,
// WebP, TIFF) and returns a JPEG scaled to fit `max_side` x `max_side`, keeping the aspect
// ratio and never upscaling. Runs on untrusted bytes: garbage, truncated or oversized input
// (more than kMaxImageBytes, or a side above kMaxImageSide) yields Error::invalid, never a
// crash. CPU-bound; any worker thread.
Result<std::string> resize_image_to_jpeg(std::string_view image_bytes, int max_side);

struct ImageInfo {
  int width = 0;
  int height = 0;
};
// Decodes just enough of the image to report its size (same rules as resize_image_to_jpeg).
Result<ImageInfo> probe_image(std::string_view image_bytes);

}  // namespace segue::audio
