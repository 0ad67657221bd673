#include "audio/image.h"

#include <algorithm>
#include <cstring>

#include "audio/ffmpeg_util.h"

extern "C" {
#include <libavutil/imgutils.h>
}

namespace segue::audio {
namespace {

using namespace detail;

AVCodecID sniff_codec(std::string_view b) {
  auto starts = [&](std::string_view magic) { return b.substr(0, magic.size()) == magic; };
  if (starts("\xFF\xD8\xFF")) return AV_CODEC_ID_MJPEG;
  if (starts("\x89PNG\r\n\x1A\n")) return AV_CODEC_ID_PNG;
  if (starts("GIF87a") || starts("GIF89a")) return AV_CODEC_ID_GIF;
  if (starts("BM")) return AV_CODEC_ID_BMP;
  if (b.size() >= 12 && starts("RIFF") && b.substr(8, 4) == "WEBP") return AV_CODEC_ID_WEBP;
  if (starts(std::string_view("II*\0", 4)) || starts(std::string_view("MM\0*", 4)))
    return AV_CODEC_ID_TIFF;
  return AV_CODEC_ID_NONE;
}

bool valid_frame(const AVFrame* f) {
  return f->width > 0 && f->height > 0 && f->width <= kMaxImageSide &&
         f->height <= kMaxImageSide && f->format != AV_PIX_FMT_NONE;
}

Result<FramePtr> decode_image(std::string_view bytes) {
  quiet_ffmpeg_logs();
  if (bytes.empty()) return Error::invalid("empty image");
  if (bytes.size() > kMaxImageBytes) return Error::invalid("image larger than the size limit");
  const AVCodecID id = sniff_codec(bytes);
  if (id == AV_CODEC_ID_NONE) return Error::invalid("not a known image format");
  const AVCodec* codec = avcodec_find_decoder(id);
  if (!codec) return Error::unavailable("FFmpeg lacks the image decoder");
  CodecContextPtr dec(avcodec_alloc_context3(codec));
  if (!dec) return Error::internal("cannot allocate decoder");
  dec->thread_count = 1;
  dec->max_pixels = static_cast<int64_t>(kMaxImageSide) * kMaxImageSide;
  dec->err_recognition = AV_EF_EXPLODE | AV_EF_CRCCHECK | AV_EF_BITSTREAM | AV_EF_BUFFER;
  int rc = avcodec_open2(dec.get(), codec, nullptr);
  if (rc < 0) return Error::internal(av_error("open image decoder", rc));

  PacketPtr pkt(av_packet_alloc());
  FramePtr frame(av_frame_alloc());
  if (!pkt || !frame) return Error::internal("cannot allocate packet");
  // Decoders may read past the end: copy into a zero-padded buffer.
  rc = av_new_packet(pkt.get(), static_cast<int>(bytes.size()));
  if (rc < 0) return Error::internal(av_error("packet", rc));
  std::memcpy(pkt->data, bytes.data(), bytes.size());
  rc = avcodec_send_packet(dec.get(), pkt.get());
  if (rc < 0) return Error::invalid(av_error("undecodable image", rc));
  rc = avcodec_receive_frame(dec.get(), frame.get());
  if (rc == AVERROR(EAGAIN)) {
    (void)avcodec_send_packet(dec.get(), nullptr);
    rc = avcodec_receive_frame(dec.get(), frame.get());
  }
  if (rc < 0) return Error::invalid(av_error("undecodable image", rc));
  if (frame->decode_error_flags != 0 || (frame->flags & AV_FRAME_FLAG_CORRUPT))
    return Error::invalid("image is damaged or truncated");
  if (!valid_frame(frame.get())) return Error::invalid("image dimensions out of range");
  if (!sws_isSupportedInput(static_cast<AVPixelFormat>(frame->format)))
    return Error::invalid("unsupported image pixel format");
  return frame;
}

// Scales `src` to dst_w x dst_h and encodes it as JPEG.
Result<std::string> encode_frame_jpeg(const AVFrame* src, int dst_w, int dst_h, int quality) {
  quiet_ffmpeg_logs();
  const AVCodec* codec = avcodec_find_encoder(AV_CODEC_ID_MJPEG);
  if (!codec) return Error::unavailable("FFmpeg lacks the mjpeg encoder");
  SwsPtr sws(sws_getContext(src->width, src->height, static_cast<AVPixelFormat>(src->format),
                            dst_w, dst_h, AV_PIX_FMT_YUVJ420P, SWS_AREA, nullptr, nullptr,
                            nullptr));
  if (!sws) return Error::invalid("cannot convert this image");
  FramePtr dst(av_frame_alloc());
  if (!dst) return Error::internal("cannot allocate frame");
  dst->format = AV_PIX_FMT_YUVJ420P;
  dst->width = dst_w;
  dst->height = dst_h;
  int rc = av_frame_get_buffer(dst.get(), 0);
  if (rc < 0) return Error::internal(av_error("frame buffer", rc));
  sws_scale(sws.get(), src->data, src->linesize, 0, src->height, dst->data, dst->linesize);

  CodecContextPtr enc(avcodec_alloc_context3(codec));
  if (!enc) return Error::internal("cannot allocate encoder");
  enc->width = dst_w;
  enc->height = dst_h;
  enc->pix_fmt = AV_PIX_FMT_YUVJ420P;
  enc->color_range = AVCOL_RANGE_JPEG;
  enc->time_base = AVRational{1, 25};
  enc->thread_count = 1;
  enc->flags |= AV_CODEC_FLAG_QSCALE;
  // quality 100 -> qscale 2 (best), quality 1 -> 31 (worst).
  const int q = std::clamp(quality, 1, 100);
  const int qscale = 2 + (100 - q) * 29 / 99;
  enc->global_quality = FF_QP2LAMBDA * qscale;
  rc = avcodec_open2(enc.get(), codec, nullptr);
  if (rc < 0) return Error::internal(av_error("open mjpeg encoder", rc));
  dst->quality = enc->global_quality;
  dst->pts = 0;
  rc = avcodec_send_frame(enc.get(), dst.get());
  if (rc < 0) return Error::internal(av_error("encode jpeg", rc));
  (void)avcodec_send_frame(enc.get(), nullptr);
  PacketPtr pkt(av_packet_alloc());
  if (!pkt) return Error::internal("cannot allocate packet");
  std::string out;
  while ((rc = avcodec_receive_packet(enc.get(), pkt.get())) >= 0) {
    out.append(reinterpret_cast<const char*>(pkt->data), static_cast<std::size_t>(pkt->size));
    av_packet_unref(pkt.get());
  }
  if (rc != AVERROR_EOF && rc != AVERROR(EAGAIN))
    return Error::internal(av_error("encode jpeg", rc));
  if (out.empty()) return Error::internal("jpeg encoder produced nothing");
  return out;
}

}  // namespace

Result<std::string> encode_jpeg(const std::vector<uint8_t>& rgb, int w, int h, int quality) {
  if (w <= 0 || h <= 0 || w > kMaxImageSide || h > kMaxImageSide)
    return Error::invalid("image dimensions out of range");
  if (rgb.size() < static_cast<std::size_t>(w) * static_cast<std::size_t>(h) * 3)
    return Error::invalid("pixel buffer shorter than w*h*3");
  FramePtr src(av_frame_alloc());
  if (!src) return Error::internal("cannot allocate frame");
  src->format = AV_PIX_FMT_RGB24;
  src->width = w;
  src->height = h;
  // sws_scale only reads the source; the frame borrows the caller's buffer.
  av_image_fill_arrays(src->data, src->linesize, rgb.data(), AV_PIX_FMT_RGB24, w, h, 1);
  return encode_frame_jpeg(src.get(), w, h, quality);
}

Result<std::string> resize_image_to_jpeg(std::string_view image_bytes, int max_side) {
  if (max_side <= 0 || max_side > kMaxImageSide) return Error::invalid("max_side out of range");
  SEGUE_ASSIGN_OR_RETURN(FramePtr frame, decode_image(image_bytes));
  int w = frame->width, h = frame->height;
  if (w > max_side || h > max_side) {
    if (w >= h) {
      h = std::max(1, static_cast<int>(static_cast<int64_t>(h) * max_side / w));
      w = max_side;
    } else {
      w = std::max(1, static_cast<int>(static_cast<int64_t>(w) * max_side / h));
      h = max_side;
    }
  }
  return encode_frame_jpeg(frame.get(), w, h, 85);
}

Result<ImageInfo> probe_image(std::string_view image_bytes) {
  SEGUE_ASSIGN_OR_RETURN(FramePtr frame, decode_image(image_bytes));
  return ImageInfo{frame->width, frame->height};
}

}  // namespace segue::audio
