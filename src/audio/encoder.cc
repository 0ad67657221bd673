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

Status encode_pcm_file(const std::string& path, Format fmt, const Pcm& pcm, int bitrate_kbps) {
  quiet_ffmpeg_logs();
  if (pcm.channels < 1 || pcm.channels > 2 || pcm.sample_rate < 8000 ||
      pcm.sample_rate > 192000)
    return Error::invalid("PCM must be mono or stereo at 8..192 kHz");
  if (pcm.frames() == 0) return Error::invalid("PCM has no samples");
  if (static_cast<int64_t>(pcm.samples.size()) != pcm.frames() * pcm.channels)
    return Error::invalid("PCM sample count is not a multiple of the channel count");

  const FormatSpec spec = spec_for(fmt);
  const AVCodec* codec = avcodec_find_encoder_by_name(spec.encoder);
  if (!codec) return Error::unavailable(std::string("FFmpeg lacks the encoder ") + spec.encoder);

  OutputContext out;
  int rc = avformat_alloc_output_context2(&out.ctx, nullptr, spec.muxer, path.c_str());
  if (rc < 0 || !out.ctx) return Error::internal(av_error("output context", rc));

  CodecContextPtr enc(avcodec_alloc_context3(codec));
  if (!enc) return Error::internal("cannot allocate encoder");
  const int out_rate = spec.sample_rate ? spec.sample_rate : pcm.sample_rate;
  enc->sample_fmt = spec.sample_fmt;
  enc->sample_rate = out_rate;
  av_channel_layout_default(&enc->ch_layout, pcm.channels);
  enc->time_base = AVRational{1, out_rate};
  if (spec.uses_bitrate) enc->bit_rate = static_cast<int64_t>(std::max(8, bitrate_kbps)) * 1000;
  if (fmt == Format::kFlac) enc->bits_per_raw_sample = 16;
  if (out.ctx->oformat->flags & AVFMT_GLOBALHEADER) enc->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
  enc->thread_count = 1;
  rc = avcodec_open2(enc.get(), codec, nullptr);
  if (rc < 0) return Error::internal(av_error(std::string("open encoder ") + spec.encoder, rc));

  AVStream* stream = avformat_new_stream(out.ctx, nullptr);
  if (!stream) return Error::internal("cannot create stream");
  stream->time_base = enc->time_base;
  rc = avcodec_parameters_from_context(stream->codecpar, enc.get());
  if (rc < 0) return Error::internal(av_error("codec parameters", rc));

  rc = avio_open(&out.ctx->pb, path.c_str(), AVIO_FLAG_WRITE);
  if (rc < 0) return Error::internal(av_error("open " + path, rc));
  out.opened = true;
  rc = avformat_write_header(out.ctx, nullptr);
  if (rc < 0) return Error::internal(av_error("write header", rc));

  // Convert the whole input once (format, rate), then cut it into encoder-sized frames.
  AVChannelLayout in_layout;
  av_channel_layout_default(&in_layout, pcm.channels);
  SwrContext* raw_swr = nullptr;
  rc = swr_alloc_set_opts2(&raw_swr, &enc->ch_layout, enc->sample_fmt, out_rate, &in_layout,
                           AV_SAMPLE_FMT_FLT, pcm.sample_rate, 0, nullptr);
  SwrPtr swr(raw_swr);
  if (rc < 0 || !swr || (rc = swr_init(swr.get())) < 0)
    return Error::internal(av_error("resampler", rc));
  const int64_t in_frames = pcm.frames();
  if (in_frames > INT32_MAX / 4) return Error::invalid("PCM too long");
  const int max_out = swr_get_out_samples(swr.get(), static_cast<int>(in_frames));
  AVAudioFifo* fifo_raw = av_audio_fifo_alloc(enc->sample_fmt, pcm.channels, std::max(1, max_out));
  std::unique_ptr<AVAudioFifo, void (*)(AVAudioFifo*)> fifo(fifo_raw, av_audio_fifo_free);
  if (!fifo) return Error::internal("cannot allocate sample fifo");
  {
    uint8_t** converted = nullptr;
    rc = av_samples_alloc_array_and_samples(&converted, nullptr, pcm.channels,
                                            std::max(1, max_out), enc->sample_fmt, 0);
    if (rc < 0) return Error::internal(av_error("sample buffer", rc));
    const uint8_t* in_data[1] = {reinterpret_cast<const uint8_t*>(pcm.samples.data())};
    int got = swr_convert(swr.get(), converted, max_out, in_data, static_cast<int>(in_frames));
    // Drain what the resampler holds back.
    if (got >= 0 && got < max_out) {
      uint8_t* tail[AV_NUM_DATA_POINTERS] = {};
      const int bytes = av_get_bytes_per_sample(enc->sample_fmt);
      const bool planar = av_sample_fmt_is_planar(enc->sample_fmt);
      for (int ch = 0; ch < (planar ? pcm.channels : 1); ++ch)
        tail[ch] = converted[ch] + static_cast<std::ptrdiff_t>(got) * bytes * (planar ? 1 : pcm.channels);
      int more = swr_convert(swr.get(), tail, max_out - got, nullptr, 0);
      if (more > 0) got += more;
    }
    if (got > 0) av_audio_fifo_write(fifo.get(), reinterpret_cast<void**>(converted), got);
    av_freep(&converted[0]);
    av_freep(&converted);
    if (got < 0) return Error::internal(av_error("resample", got));
  }

  const bool variable = codec->capabilities & AV_CODEC_CAP_VARIABLE_FRAME_SIZE;
  const bool small_last = codec->capabilities & AV_CODEC_CAP_SMALL_LAST_FRAME;
  const int frame_size = (enc->frame_size > 0 && !variable) ? enc->frame_size : 4096;
  FramePtr frame(av_frame_alloc());
  PacketPtr pkt(av_packet_alloc());
  if (!frame || !pkt) return Error::internal("cannot allocate frame");
  int64_t pts = 0;
  while (av_audio_fifo_size(fifo.get()) > 0) {
    const int avail = av_audio_fifo_size(fifo.get());
    const int n = std::min(avail, frame_size);
    // Fixed-size encoders need full frames: pad the last one with silence.
    const int alloc = (enc->frame_size > 0 && !variable && !small_last) ? frame_size : n;
    av_frame_unref(frame.get());
    frame->nb_samples = alloc;
    frame->format = enc->sample_fmt;
    frame->sample_rate = out_rate;
    rc = av_channel_layout_copy(&frame->ch_layout, &enc->ch_layout);
    if (rc < 0 || (rc = av_frame_get_buffer(frame.get(), 0)) < 0)
      return Error::internal(av_error("frame buffer", rc));
    if (alloc > n)
      av_samples_set_silence(frame->extended_data, 0, alloc, pcm.channels, enc->sample_fmt);
    if (av_audio_fifo_read(fifo.get(), reinterpret_cast<void**>(frame->extended_data), n) < n)
      return Error::internal("sample fifo underrun");
    frame->pts = pts;
    pts += alloc;
    SEGUE_TRY(write_packets(enc.get(), out.ctx, stream, frame.get(), pkt.get()));
  }
  SEGUE_TRY(write_packets(enc.get(), out.ctx, stream, nullptr, pkt.get()));
  rc = av_write_trailer(out.ctx);
  if (rc < 0) return Error::internal(av_error("write trailer", rc));
  return {};
}

}  // namespace segue::audio
