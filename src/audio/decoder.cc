#include "audio/decoder.h"

#include <algorithm>
#include <filesystem>
#include <vector>

#include "audio/ffmpeg_util.h"

extern "C" {
#include <libavutil/channel_layout.h>
#include <libavutil/samplefmt.h>
}

namespace segue::audio {
namespace {

using namespace detail;

// A file with more damaged packets than this (and more than a tenth of all packets) is refused
// rather than played as a stream of glitches.
constexpr int kMaxDamagedPackets = 64;

struct InputContext {
  AVFormatContext* ctx = nullptr;
  ~InputContext() {
    if (ctx) avformat_close_input(&ctx);
  }
};

class Decoder {
 public:
  Decoder(const DecodeOptions& options, const PcmSink& sink) : options_(options), sink_(sink) {}

  Result<StreamInfo> run(const std::string& path) {
    quiet_ffmpeg_logs();
    if (options_.channels < 0 || options_.channels > 2) return Error::invalid("channels must be 0, 1 or 2");
    if (options_.sample_rate != 0 && (options_.sample_rate < 4000 || options_.sample_rate > 192000))
      return Error::invalid("sample_rate must be 0 or 4000..192000");
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec)) return Error::not_found("No such audio file: " + path);

    int rc = avformat_open_input(&in_.ctx, path.c_str(), nullptr, nullptr);
    if (rc < 0) return Error::invalid(av_error("not an audio file", rc));
    in_.ctx->max_analyze_duration = 5 * AV_TIME_BASE;
    rc = avformat_find_stream_info(in_.ctx, nullptr);
    if (rc < 0) return Error::invalid(av_error("unreadable stream info", rc));
    const AVCodec* codec = nullptr;
    stream_ = av_find_best_stream(in_.ctx, AVMEDIA_TYPE_AUDIO, -1, -1, &codec, 0);
    if (stream_ < 0 || !codec) return Error::invalid("no decodable audio stream");
    AVStream* st = in_.ctx->streams[stream_];
    for (unsigned i = 0; i < in_.ctx->nb_streams; ++i)
      if (static_cast<int>(i) != stream_) in_.ctx->streams[i]->discard = AVDISCARD_ALL;

    dec_.reset(avcodec_alloc_context3(codec));
    if (!dec_) return Error::internal("cannot allocate decoder");
    rc = avcodec_parameters_to_context(dec_.get(), st->codecpar);
    if (rc < 0) return Error::invalid(av_error("codec parameters", rc));
    dec_->thread_count = 1;
    rc = avcodec_open2(dec_.get(), codec, nullptr);
    if (rc < 0) return Error::invalid(av_error(std::string("open decoder ") + codec->name, rc));
    if (dec_->sample_rate <= 0 || dec_->sample_rate > 768000 || dec_->ch_layout.nb_channels <= 0 ||
        dec_->ch_layout.nb_channels > 64)
      return Error::invalid("implausible sample rate or channel count");

    info_.codec = codec->name;
    info_.source_sample_rate = dec_->sample_rate;
    info_.source_channels = dec_->ch_layout.nb_channels;
    info_.sample_rate = options_.sample_rate ? options_.sample_rate : dec_->sample_rate;
    info_.channels = options_.channels ? options_.channels : std::min(2, dec_->ch_layout.nb_channels);
    if (in_.ctx->duration > 0) info_.duration_s = static_cast<double>(in_.ctx->duration) / AV_TIME_BASE;
    if (options_.max_seconds > 0)
      frame_limit_ = static_cast<int64_t>(options_.max_seconds * info_.sample_rate);

    FramePtr frame(av_frame_alloc());
    PacketPtr pkt(av_packet_alloc());
    if (!frame || !pkt) return Error::internal("cannot allocate frame");
    int packets = 0;
    while (!done_) {
      rc = av_read_frame(in_.ctx, pkt.get());
      if (rc == AVERROR_EOF) break;
      if (rc < 0) {
        // A read error mid-file ends the stream; what was decoded stands if there is any.
        if (info_.frames_decoded == 0) return Error::invalid(av_error("read", rc));
        break;
      }
      if (pkt->stream_index != stream_) {
        av_packet_unref(pkt.get());
        continue;
      }
      ++packets;
      rc = avcodec_send_packet(dec_.get(), pkt.get());
      av_packet_unref(pkt.get());
      if (rc < 0 && rc != AVERROR(EAGAIN)) {
        if (++info_.damaged_packets > kMaxDamagedPackets && info_.damaged_packets * 10 > packets)
          return Error::invalid("too many damaged packets");
        continue;
      }
      SEGUE_TRY(drain(frame.get(), packets));
    }
    if (!done_) {
      avcodec_send_packet(dec_.get(), nullptr);
      SEGUE_TRY(drain(frame.get(), packets));
    }
    SEGUE_TRY(flush_resampler());
    if (info_.frames_decoded == 0 && frame_limit_ != 0) return Error::invalid("no audio could be decoded");
    return info_;
  }

 private:
  Status drain(AVFrame* frame, int packets) {
    while (!done_) {
      int rc = avcodec_receive_frame(dec_.get(), frame);
      if (rc == AVERROR(EAGAIN) || rc == AVERROR_EOF) return {};
      if (rc < 0) {
        if (++info_.damaged_packets > kMaxDamagedPackets && info_.damaged_packets * 10 > packets)
          return Error::invalid("too many damaged packets");
        return {};
      }
      Status s = convert(frame);
      av_frame_unref(frame);
      SEGUE_TRY(std::move(s));
    }
    return {};
  }

  // (Re)creates the resampler when a frame's format differs from the last one: streams may
  // change layout or rate mid-file.
  Status ensure_resampler(const AVFrame* f) {
    if (swr_ && f->format == in_fmt_ && f->sample_rate == in_rate_ &&
        av_channel_layout_compare(&f->ch_layout, &in_layout_) == 0)
      return {};
    if (swr_) SEGUE_TRY(flush_resampler());
    if (f->sample_rate <= 0 || f->sample_rate > 768000 || f->ch_layout.nb_channels <= 0 ||
        f->ch_layout.nb_channels > 64)
      return Error::invalid("implausible frame format");
    av_channel_layout_uninit(&in_layout_);
    AVChannelLayout in_layout{};  // zeroed: av_channel_layout_copy() uninits its destination first
    if (f->ch_layout.order == AV_CHANNEL_ORDER_UNSPEC) {
      av_channel_layout_default(&in_layout, f->ch_layout.nb_channels);
    } else if (av_channel_layout_copy(&in_layout, &f->ch_layout) < 0) {
      return Error::internal("channel layout");
    }
    AVChannelLayout out_layout{};
    av_channel_layout_default(&out_layout, info_.channels);
    SwrContext* raw = nullptr;
    int rc = swr_alloc_set_opts2(&raw, &out_layout, AV_SAMPLE_FMT_FLT, info_.sample_rate, &in_layout,
                                 static_cast<AVSampleFormat>(f->format), f->sample_rate, 0, nullptr);
    swr_.reset(raw);
    av_channel_layout_uninit(&in_layout);
    if (rc < 0 || !swr_ || (rc = swr_init(swr_.get())) < 0) return Error::invalid(av_error("resampler", rc));
    in_fmt_ = f->format;
    in_rate_ = f->sample_rate;
    av_channel_layout_copy(&in_layout_, &f->ch_layout);
    return {};
  }

  Status convert(const AVFrame* f) {
    if (f->nb_samples <= 0) return {};
    SEGUE_TRY(ensure_resampler(f));
    const int max_out = swr_get_out_samples(swr_.get(), f->nb_samples);
    if (max_out < 0) return Error::internal("resampler size");
    buffer_.resize(static_cast<std::size_t>(max_out) * info_.channels);
    uint8_t* out[1] = {reinterpret_cast<uint8_t*>(buffer_.data())};
    int got = swr_convert(swr_.get(), out, max_out, const_cast<const uint8_t**>(f->extended_data), f->nb_samples);
    if (got < 0) return Error::invalid(av_error("resample", got));
    return emit(static_cast<std::size_t>(got));
  }

  Status flush_resampler() {
    if (!swr_ || done_) return {};
    while (true) {
      const int max_out = std::max(1024, swr_get_out_samples(swr_.get(), 0));
      buffer_.resize(static_cast<std::size_t>(max_out) * info_.channels);
      uint8_t* out[1] = {reinterpret_cast<uint8_t*>(buffer_.data())};
      int got = swr_convert(swr_.get(), out, max_out, nullptr, 0);
      if (got <= 0) return {};
      SEGUE_TRY(emit(static_cast<std::size_t>(got)));
      if (done_) return {};
    }
  }

  Status emit(std::size_t frames) {
    if (frame_limit_ > 0) {
      const auto room = static_cast<std::size_t>(frame_limit_ - info_.frames_decoded);
      if (frames >= room) {
        frames = room;
        done_ = true;
      }
    }
    if (frames == 0) return {};
    info_.frames_decoded += static_cast<int64_t>(frames);
    return sink_(buffer_.data(), frames, info_);
  }

  const DecodeOptions& options_;
  const PcmSink& sink_;
  InputContext in_;
  CodecContextPtr dec_;
  SwrPtr swr_;
  int stream_ = -1;
  int in_fmt_ = -1;
  int in_rate_ = 0;
  AVChannelLayout in_layout_{};
  StreamInfo info_;
  int64_t frame_limit_ = 0;  // 0 = unlimited
  bool done_ = false;
  std::vector<float> buffer_;

 public:
  ~Decoder() { av_channel_layout_uninit(&in_layout_); }
};

}  // namespace

Result<StreamInfo> decode_file(const std::string& path, const DecodeOptions& options, const PcmSink& sink) {
  Decoder d(options, sink);
  return d.run(path);
}

Result<Pcm> decode_file(const std::string& path, const DecodeOptions& options) {
  constexpr double kDefaultLimitSeconds = 20 * 60;
  Pcm pcm;
  DecodeOptions opts = options;
  const bool refuse_long = opts.max_seconds <= 0;
  if (refuse_long) opts.max_seconds = kDefaultLimitSeconds + 1;
  auto info = decode_file(path, opts, [&](const float* s, std::size_t frames, const StreamInfo& i) -> Status {
    pcm.sample_rate = i.sample_rate;
    pcm.channels = i.channels;
    pcm.samples.insert(pcm.samples.end(), s, s + frames * static_cast<std::size_t>(i.channels));
    return {};
  });
  if (!info.ok()) return info.error();
  pcm.sample_rate = info->sample_rate;
  pcm.channels = info->channels;
  if (refuse_long && pcm.seconds() > kDefaultLimitSeconds)
    return Error::invalid("audio longer than 20 minutes: decode it as a stream");
  return pcm;
}

}  // namespace segue::audio
