#include "catalog/tag_writer.h"

#include <taglib/attachedpictureframe.h>
#include <taglib/fileref.h>
#include <taglib/flacfile.h>
#include <taglib/flacpicture.h>
#include <taglib/id3v2tag.h>
#include <taglib/mp4coverart.h>
#include <taglib/mp4file.h>
#include <taglib/mpegfile.h>
#include <taglib/opusfile.h>
#include <taglib/tpropertymap.h>
#include <taglib/vorbisfile.h>
#include <taglib/wavfile.h>
#include <taglib/xiphcomment.h>

#include "catalog/taglib_util.h"

namespace segue::catalog {
namespace {

TagLib::ByteVector bytes_of(const std::string& s) {
  return TagLib::ByteVector(s.data(), static_cast<unsigned int>(s.size()));
}

void add_id3_picture(TagLib::ID3v2::Tag* tag, const std::string& jpeg) {
  auto* frame = new TagLib::ID3v2::AttachedPictureFrame;  // owned by the tag
  frame->setMimeType("image/jpeg");
  frame->setType(TagLib::ID3v2::AttachedPictureFrame::FrontCover);
  frame->setPicture(bytes_of(jpeg));
  tag->addFrame(frame);
}

TagLib::FLAC::Picture* flac_picture(const std::string& jpeg) {
  auto* pic = new TagLib::FLAC::Picture;  // owned by the file or comment it is added to
  pic->setMimeType("image/jpeg");
  pic->setType(TagLib::FLAC::Picture::FrontCover);
  pic->setData(bytes_of(jpeg));
  return pic;
}

Status embed_cover(TagLib::File* f, const std::string& jpeg) {
  if (auto* mpeg = dynamic_cast<TagLib::MPEG::File*>(f)) {
    add_id3_picture(mpeg->ID3v2Tag(true), jpeg);
  } else if (auto* flac = dynamic_cast<TagLib::FLAC::File*>(f)) {
    flac->addPicture(flac_picture(jpeg));
  } else if (auto* ogg = dynamic_cast<TagLib::Ogg::Vorbis::File*>(f)) {
    ogg->tag()->addPicture(flac_picture(jpeg));
  } else if (auto* opus = dynamic_cast<TagLib::Ogg::Opus::File*>(f)) {
    opus->tag()->addPicture(flac_picture(jpeg));
  } else if (auto* mp4 = dynamic_cast<TagLib::MP4::File*>(f)) {
    TagLib::MP4::CoverArtList list;
    list.append(TagLib::MP4::CoverArt(TagLib::MP4::CoverArt::JPEG, bytes_of(jpeg)));
    mp4->tag()->setItem("covr", list);
  } else if (auto* wav = dynamic_cast<TagLib::RIFF::WAV::File*>(f)) {
    add_id3_picture(wav->ID3v2Tag(), jpeg);
  } else {
    return Error::invalid("cannot embed pictures in this format");
  }
  return {};
}

}  // namespace

Status write_tags(const std::string& path, const TagWrite& tags) {
  try {
    TagLib::FileRef ref(path.c_str(), false);
    if (ref.isNull() || !ref.file() || !ref.file()->isValid())
      return Error::invalid("TagLib cannot open " + path);
    TagLib::PropertyMap pm;
    for (const auto& [key, vals] : tags.properties) {
      TagLib::StringList list;
      for (const auto& v : vals) list.append(TagLib::String(v, TagLib::String::UTF8));
      pm.insert(TagLib::String(key, TagLib::String::UTF8), list);
    }
    TagLib::PropertyMap rejected = ref.file()->setProperties(pm);
    // TagLib 1.13 maps no ReplayGain keys for MP4: store what it refuses as iTunes freeform
    // atoms, the convention of other taggers, which tag_reader understands.
    if (auto* mp4 = dynamic_cast<TagLib::MP4::File*>(ref.file()); mp4 && !rejected.isEmpty()) {
      for (const auto& [key, vals] : rejected)
        mp4->tag()->setItem("----:com.apple.iTunes:" + key, TagLib::MP4::Item(vals));
      rejected.clear();
    }
    if (!rejected.isEmpty())
      return Error::invalid("TagLib refused properties: " +
                            detail::to_utf8(rejected.toString()));
    if (!tags.cover_jpeg.empty()) SEGUE_TRY(embed_cover(ref.file(), tags.cover_jpeg));
    if (!ref.file()->save()) return Error::internal("TagLib could not save " + path);
    return {};
  } catch (const std::exception& e) {
    return Error::internal(std::string("tag writer failed: ") + e.what());
  }
}

}  // namespace segue::catalog
