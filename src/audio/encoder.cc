#include "audio/encoder.h"

#include <algorithm>

#include "audio/ffmpeg_util.h"

extern "C" {
#include <libavutil/audio_fifo.h>
#include <libavutil/channel_layout.h>
#include <libavutil/opt.h>
#include <libavutil/samplefmt.h>
}

namespace segue::audio {
namespace {

using namespace detail;

struct FormatSpec {
  const char* encoder;
  const char* muxer;
  AVSampleFormat sample_fmt;
  int sample_rate;  // 0 = keep the input rate
  bool uses_bitrate;
};

FormatSpec spec_for(Format fmt) {
  switch (fmt) {
    case Format::kMp3: return {"libmp3lame", "mp3", AV_SAMPLE_FMT_FLTP, 0, true};
    case Format::kFlac: return {"flac", "flac", AV_SAMPLE_FMT_S16, 0, false};
    case Format::kOgg: return {"libvorbis", "ogg", AV_SAMPLE_FMT_FLTP, 0, true};
    case Format::kOpus: return {"libopus", "ogg", AV_SAMPLE_FMT_FLT, 48000, true};
    case Format::kM4a: return {"aac", "ipod", AV_SAMPLE_FMT_FLTP, 0, true};
    case Format::kWav: return {"pcm_s16le", "wav", AV_SAMPLE_FMT_S16, 0, false};
  }
  return {"", "", AV_SAMPLE_FMT_NONE, 0, false};
}

// Owns the output format context and closes the file on every path.
struct OutputContext {
  AVFormatContext* ctx = nullptr;
  bool opened = false;
  ~OutputContext() {
    if (ctx) {
      if (opened) avio_closep(&ctx->pb);
      avformat_free_context(ctx);
    }
  }
};

Status write_packets(AVCodecContext* codec, AVFormatContext* fmt, AVStream* stream,
                     AVFrame* frame, AVPacket* pkt) {
  int rc = avcodec_send_frame(codec, frame);
  if (rc < 0) return Error::internal(av_error("send frame", rc));
  while (true) {
    rc = avcodec_receive_packet(codec, pkt);
    if (rc == AVERROR(EAGAIN) || rc == AVERROR_EOF) return {};
    if (rc < 0) return Error::internal(av_error("receive packet", rc));
    av_packet_rescale_ts(pkt, codec->time_base, stream->time_base);
    pkt->stream_index = stream->index;
    rc = av_interleaved_write_frame(fmt, pkt);
    if (rc < 0) return Error::internal(av_error("write packet", rc));
  }
}

}  // namespace

std::string_view extension(Format fmt) {
  switch (fmt) {
    case Format::kMp3: return "mp3";
    case Format::kFlac: return "flac";
    case Format::kOgg: return "ogg";
    case Format::kOpus: return "opus";
    case Format::kM4a: return "m4a";
    case Format::kWav: return "wav";
  }
  return "";
}

std::optional<Format> format_from_extension(std::string_view ext) {
  if (ext == "mp3") return Format::kMp3;
  if (ext == "flac") return Format::kFlac;
  if (ext == "ogg" || ext == "oga") return Format::kOgg;
  if (ext == "opus") return Format::kOpus;
  if (ext == "m4a" || ext == "mp4") return Format::kM4a;
  if (ext == "wav") return Format::kWav;
  return std::nullopt;
}

struct StreamEncoder::Impl {
  Format fmt;
  int channels = 0;
  int in_rate = 0;
  int out_rate = 0;
  OutputContext out;
  CodecContextPtr enc;
  AVStream* stream = nullptr;
  SwrPtr swr;
  std::unique_ptr<AVAudioFifo, void (*)(AVAudioFifo*)> fifo{nullptr, av_audio_fifo_free};
  FramePtr frame;
  PacketPtr pkt;
  int frame_size = 4096;
  bool fixed_frames = false;  // the encoder needs full frames (pad the last one)
  int64_t pts = 0;
  int64_t frames_in = 0;
  bool finished = false;
  bool failed = false;
  uint8_t** converted = nullptr;  // resampler output buffer (planar or packed)
  int converted_capacity = 0;

  ~Impl() {
    if (converted) {
      av_freep(&converted[0]);
      av_freep(&converted);
    }
  }

  Status ensure_converted(int frames) {
    if (frames <= converted_capacity) return {};
    if (converted) {
      av_freep(&converted[0]);
      av_freep(&converted);
    }
    const int cap = std::max(frames, 4096);
    int rc = av_samples_alloc_array_and_samples(&converted, nullptr, channels, cap, enc->sample_fmt, 0);
    if (rc < 0) {
      converted = nullptr;
      converted_capacity = 0;
      return Error::internal(av_error("sample buffer", rc));
    }
    converted_capacity = cap;
    return {};
  }

  // Encodes full frames from the fifo; with `drain`, also the remainder (padded if needed).
  Status encode_fifo(bool drain) {
    while (av_audio_fifo_size(fifo.get()) >= (drain ? 1 : frame_size)) {
      const int n = std::min(av_audio_fifo_size(fifo.get()), frame_size);
      const int alloc = fixed_frames ? frame_size : n;
      av_frame_unref(frame.get());
      frame->nb_samples = alloc;
      frame->format = enc->sample_fmt;
      frame->sample_rate = out_rate;
      int rc = av_channel_layout_copy(&frame->ch_layout, &enc->ch_layout);
      if (rc < 0 || (rc = av_frame_get_buffer(frame.get(), 0)) < 0)
        return Error::internal(av_error("frame buffer", rc));
      if (alloc > n) av_samples_set_silence(frame->extended_data, 0, alloc, channels, enc->sample_fmt);
      if (av_audio_fifo_read(fifo.get(), reinterpret_cast<void**>(frame->extended_data), n) < n)
        return Error::internal("sample fifo underrun");
      frame->pts = pts;
      pts += alloc;
      SEGUE_TRY(write_packets(enc.get(), out.ctx, stream, frame.get(), pkt.get()));
    }
    return {};
  }

  // Resamples `frames` input frames (nullptr input drains the resampler) into the fifo.
  Status convert(const float* interleaved, int frames) {
    const int max_out = swr_get_out_samples(swr.get(), frames);
    if (max_out < 0) return Error::internal("resampler size");
    if (max_out == 0) return {};
    SEGUE_TRY(ensure_converted(max_out));
    const uint8_t* in_data[1] = {reinterpret_cast<const uint8_t*>(interleaved)};
    int got = swr_convert(swr.get(), converted, max_out, interleaved ? in_data : nullptr, frames);
    if (got < 0) return Error::internal(av_error("resample", got));
    if (got > 0 && av_audio_fifo_write(fifo.get(), reinterpret_cast<void**>(converted), got) < got)
      return Error::internal("sample fifo write");
    return {};
  }
};

StreamEncoder::StreamEncoder(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
StreamEncoder::~StreamEncoder() = default;

int64_t StreamEncoder::frames_in() const { return impl_->frames_in; }

Result<std::unique_ptr<StreamEncoder>> StreamEncoder::open(const std::string& path, Format fmt, int sample_rate,
                                                           int channels, int bitrate_kbps, int output_rate) {
  quiet_ffmpeg_logs();
  if (channels < 1 || channels > 2 || sample_rate < 8000 || sample_rate > 192000)
    return Error::invalid("PCM must be mono or stereo at 8..192 kHz");
  if (output_rate != 0 && (output_rate < 8000 || output_rate > 192000))
    return Error::invalid("output rate must be 8..192 kHz");
  const FormatSpec spec = spec_for(fmt);
  const AVCodec* codec = avcodec_find_encoder_by_name(spec.encoder);
  if (!codec) return Error::unavailable(std::string("FFmpeg lacks the encoder ") + spec.encoder);

  auto im = std::make_unique<Impl>();
  Impl& m = *im;
  m.fmt = fmt;
  m.channels = channels;
  m.in_rate = sample_rate;
  int rc = avformat_alloc_output_context2(&m.out.ctx, nullptr, spec.muxer, path.c_str());
  if (rc < 0 || !m.out.ctx) return Error::internal(av_error("output context", rc));

  m.enc.reset(avcodec_alloc_context3(codec));
  if (!m.enc) return Error::internal("cannot allocate encoder");
  m.out_rate = spec.sample_rate ? spec.sample_rate : output_rate ? output_rate : sample_rate;
  m.enc->sample_fmt = spec.sample_fmt;
  m.enc->sample_rate = m.out_rate;
  av_channel_layout_default(&m.enc->ch_layout, channels);
  m.enc->time_base = AVRational{1, m.out_rate};
  if (spec.uses_bitrate) m.enc->bit_rate = static_cast<int64_t>(std::max(8, bitrate_kbps)) * 1000;
  if (fmt == Format::kFlac) m.enc->bits_per_raw_sample = 16;
  if (m.out.ctx->oformat->flags & AVFMT_GLOBALHEADER) m.enc->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
  m.enc->thread_count = 1;
  AVDictionary* codec_opts = nullptr;
  // Opus: constrained VBR keeps the average at the bitrate asked for (unconstrained VBR spends
  // up to half as much again on tonal music).
  if (fmt == Format::kOpus) av_dict_set(&codec_opts, "vbr", "constrained", 0);
  rc = avcodec_open2(m.enc.get(), codec, &codec_opts);
  av_dict_free(&codec_opts);
  if (rc < 0) return Error::internal(av_error(std::string("open encoder ") + spec.encoder, rc));

  m.stream = avformat_new_stream(m.out.ctx, nullptr);
  if (!m.stream) return Error::internal("cannot create stream");
  m.stream->time_base = m.enc->time_base;
  rc = avcodec_parameters_from_context(m.stream->codecpar, m.enc.get());
  if (rc < 0) return Error::internal(av_error("codec parameters", rc));

  rc = avio_open(&m.out.ctx->pb, path.c_str(), AVIO_FLAG_WRITE);
  if (rc < 0) return Error::internal(av_error("open " + path, rc));
  m.out.opened = true;
  AVDictionary* mux_opts = nullptr;
  // MP4: the index (moov) goes before the samples, so players can start and seek over HTTP
  // ranges without fetching the end of the file first.
  if (fmt == Format::kM4a) av_dict_set(&mux_opts, "movflags", "+faststart", 0);
  rc = avformat_write_header(m.out.ctx, &mux_opts);
  av_dict_free(&mux_opts);
  if (rc < 0) return Error::internal(av_error("write header", rc));

  AVChannelLayout in_layout;
  av_channel_layout_default(&in_layout, channels);
  SwrContext* raw_swr = nullptr;
  rc = swr_alloc_set_opts2(&raw_swr, &m.enc->ch_layout, m.enc->sample_fmt, m.out_rate, &in_layout,
                           AV_SAMPLE_FMT_FLT, sample_rate, 0, nullptr);
  m.swr.reset(raw_swr);
  if (rc < 0 || !m.swr || (rc = swr_init(m.swr.get())) < 0) return Error::internal(av_error("resampler", rc));

  const bool variable = codec->capabilities & AV_CODEC_CAP_VARIABLE_FRAME_SIZE;
  const bool small_last = codec->capabilities & AV_CODEC_CAP_SMALL_LAST_FRAME;
  m.frame_size = (m.enc->frame_size > 0 && !variable) ? m.enc->frame_size : 4096;
  m.fixed_frames = m.enc->frame_size > 0 && !variable && !small_last;
  m.fifo.reset(av_audio_fifo_alloc(m.enc->sample_fmt, channels, m.frame_size * 4));
  m.frame.reset(av_frame_alloc());
  m.pkt.reset(av_packet_alloc());
  if (!m.fifo || !m.frame || !m.pkt) return Error::internal("cannot allocate encoder buffers");
  return std::unique_ptr<StreamEncoder>(new StreamEncoder(std::move(im)));
}

Status StreamEncoder::write(const float* interleaved, std::size_t frames) {
  Impl& m = *impl_;
  if (m.finished || m.failed) return Error::internal("encoder already finished or failed");
  // Large chunks are fed in slices so the resampler's buffer stays small.
  constexpr std::size_t kSlice = 16384;
  while (frames > 0) {
    const std::size_t n = std::min(frames, kSlice);
    Status s = m.convert(interleaved, static_cast<int>(n));
    if (s.ok()) s = m.encode_fifo(false);
    if (!s.ok()) {
      m.failed = true;
      return s;
    }
    m.frames_in += static_cast<int64_t>(n);
    interleaved += n * static_cast<std::size_t>(m.channels);
    frames -= n;
  }
  return {};
}

Status StreamEncoder::finish() {
  Impl& m = *impl_;
  if (m.finished || m.failed) return Error::internal("encoder already finished or failed");
  m.finished = true;
  if (m.frames_in == 0) return Error::invalid("PCM has no samples");
  SEGUE_TRY(m.convert(nullptr, 0));
  SEGUE_TRY(m.encode_fifo(true));
  SEGUE_TRY(write_packets(m.enc.get(), m.out.ctx, m.stream, nullptr, m.pkt.get()));
  int rc = av_write_trailer(m.out.ctx);
  if (rc < 0) return Error::internal(av_error("write trailer", rc));
  return {};
}

Status encode_pcm_file(const std::string& path, Format fmt, const Pcm& pcm, int bitrate_kbps) {
  if (pcm.channels < 1 || pcm.channels > 2 || pcm.sample_rate < 8000 || pcm.sample_rate > 192000)
    return Error::invalid("PCM must be mono or stereo at 8..192 kHz");
  if (pcm.frames() == 0) return Error::invalid("PCM has no samples");
  if (static_cast<int64_t>(pcm.samples.size()) != pcm.frames() * pcm.channels)
    return Error::invalid("PCM sample count is not a multiple of the channel count");
  SEGUE_ASSIGN_OR_RETURN(auto enc, StreamEncoder::open(path, fmt, pcm.sample_rate, pcm.channels, bitrate_kbps));
  SEGUE_TRY(enc->write(pcm.samples.data(), static_cast<std::size_t>(pcm.frames())));
  return enc->finish();
}

}  // namespace segue::audio
