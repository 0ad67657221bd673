// Playlist parsing: format detection, M3U8, XSPF and JSON, including hostile inputs.
#include <gtest/gtest.h>

#include <string>

#include "playlist/io.h"

namespace segue::playlist {
namespace {

ParsedPlaylist parse_ok(Format f, std::string_view bytes) {
  auto r = parse_playlist(f, bytes);
  EXPECT_TRUE(r.ok()) << r.error().message;
  return r.ok() ? std::move(r).value() : ParsedPlaylist{};
}

std::string parse_error(Format f, std::string_view bytes, const ParseLimits& limits = {}) {
  auto r = parse_playlist(f, bytes, limits);
  EXPECT_FALSE(r.ok());
  return r.ok() ? std::string() : r.error().message;
}

TEST(DetectFormat, ExtensionThenContentTypeThenBytes) {
  EXPECT_EQ(detect_format("Road Trip.M3U8", "", ""), Format::kM3u8);
  EXPECT_EQ(detect_format("old.m3u", "application/json", "{"), Format::kM3u8);
  EXPECT_EQ(detect_format("a.xspf", "", ""), Format::kXspf);
  EXPECT_EQ(detect_format("a.JSON", "", ""), Format::kJson);
  EXPECT_EQ(detect_format("", "application/vnd.apple.mpegurl", ""), Format::kM3u8);
  EXPECT_EQ(detect_format("", "audio/x-mpegurl; charset=utf-8", ""), Format::kM3u8);
  EXPECT_EQ(detect_format("upload", "application/xspf+xml", ""), Format::kXspf);
  EXPECT_EQ(detect_format("", "application/json; charset=utf-8", ""), Format::kJson);
  EXPECT_EQ(detect_format("", "application/octet-stream", "\xEF\xBB\xBF  \n{\"name\":1}"), Format::kJson);
  EXPECT_EQ(detect_format("", "", "[]"), Format::kJson);
  EXPECT_EQ(detect_format("", "text/plain", "<?xml version=\"1.0\"?><playlist/>"), Format::kXspf);
  EXPECT_EQ(detect_format("", "", "#EXTM3U\n"), Format::kM3u8);
  EXPECT_EQ(detect_format("", "", "/music/a.mp3\n"), std::nullopt);
  EXPECT_EQ(detect_format("", "", ""), std::nullopt);
  EXPECT_EQ(format_name(Format::kXspf), "xspf");
  EXPECT_EQ(format_extension(Format::kM3u8), ".m3u8");
}

// ------------------------------------------------------------------------------- M3U8

TEST(ParseM3u8, ExtendedWithBomCrlfNameAlbumAndComments) {
  auto p = parse_ok(Format::kM3u8,
                    "\xEF\xBB\xBF#EXTM3U\r\n"
                    "#PLAYLIST:Road Trip \xC3\xA9t\xC3\xA9\r\n"
                    "#DESCRIPTION:Long drives\r\n"
                    "# a comment\r\n"
                    "\r\n"
                    "#EXTINF:215,Nadia Or\xC3\xA9 - Caf\xC3\xA9 & Cr\xC3\xA8me, \"Live\"\r\n"
                    "#EXTALB:\xC3\x89t\xC3\xA9\r\n"
                    "Nadia Or\xC3\xA9/\xC3\x89t\xC3\xA9/02.flac\r\n"
                    "#EXTINF:-1 tvg-id=\"a,b\" group-title=\"x\",Just A Title\r\n"
                    "http://example.com/stream\r\n"
                    "#EXTINF:3.5,Artist - Title - With Dash\n"
                    "C:\\Music\\x.mp3\n"
                    "/abs/no extinf.mp3\n"
                    "segue:track:4iV5W9uYEdYUVa79Axb7Rh\n");
  EXPECT_EQ(p.name, "Road Trip \xC3\xA9t\xC3\xA9");
  EXPECT_EQ(p.description, "Long drives");
  ASSERT_EQ(p.entries.size(), 5u);
  const auto& a = p.entries[0];
  EXPECT_EQ(a.artist, "Nadia Or\xC3\xA9");
  EXPECT_EQ(a.title, "Caf\xC3\xA9 & Cr\xC3\xA8me, \"Live\"");
  EXPECT_EQ(a.album, "\xC3\x89t\xC3\xA9");
  EXPECT_EQ(a.duration_ms, 215000);
  EXPECT_EQ(a.location, "Nadia Or\xC3\xA9/\xC3\x89t\xC3\xA9/02.flac");
  EXPECT_EQ(a.line_or_index, 8u);
  EXPECT_EQ(p.entries[1].title, "Just A Title");
  EXPECT_EQ(p.entries[1].artist, "");
  EXPECT_EQ(p.entries[1].duration_ms, std::nullopt);
  EXPECT_EQ(p.entries[1].location, "http://example.com/stream");
  EXPECT_EQ(p.entries[2].artist, "Artist");
  EXPECT_EQ(p.entries[2].title, "Title - With Dash");
  EXPECT_EQ(p.entries[2].duration_ms, 3500);
  EXPECT_EQ(p.entries[2].location, "C:\\Music\\x.mp3");
  EXPECT_EQ(p.entries[3].title, "");
  EXPECT_EQ(p.entries[3].location, "/abs/no extinf.mp3");
  EXPECT_EQ(p.entries[3].line_or_index, 13u);
  EXPECT_EQ(p.entries[4].uri, "segue:track:4iV5W9uYEdYUVa79Axb7Rh");
  EXPECT_TRUE(p.warnings.empty());
}

TEST(ParseM3u8, PlainM3uAndOldMacLineBreaksAndDanglingExtinf) {
  auto p = parse_ok(Format::kM3u8, "a.mp3\rb.mp3\r\rc.mp3\n#EXTINF:10,X - Y\n");
  ASSERT_EQ(p.entries.size(), 3u);
  EXPECT_EQ(p.entries[1].location, "b.mp3");
  EXPECT_EQ(p.entries[2].line_or_index, 4u);
  ASSERT_EQ(p.warnings.size(), 1u);
  EXPECT_EQ(p.warnings[0], "line 5: #EXTINF without a location");
  EXPECT_TRUE(parse_ok(Format::kM3u8, "").entries.empty());
  EXPECT_TRUE(parse_ok(Format::kM3u8, "#EXTM3U\n").entries.empty());
}

TEST(ParseM3u8, RefusesInvalidUtf8ControlCharactersAndHugeLines) {
  EXPECT_EQ(parse_error(Format::kM3u8, "#EXTM3U\nok.mp3\nbad\xFF.mp3\n"), "line 3: not valid UTF-8");
  EXPECT_EQ(parse_error(Format::kM3u8, "a.mp3\nb\x01.mp3\n"), "line 2: control character in the line");
  EXPECT_EQ(parse_error(Format::kM3u8, std::string("a\0b", 3)), "line 1: control character in the line");
  std::string huge = "#EXTM3U\n" + std::string(100000, 'a') + "\n";
  auto r = parse_playlist(Format::kM3u8, huge);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kResourceExhausted);
  EXPECT_EQ(r.error().message, "line 2: longer than 16384 bytes");
  // Binary garbage is refused with a line number, not read as thousands of entries.
  std::string garbage;
  for (int i = 0; i < 4096; ++i) garbage += static_cast<char>((i * 7919 + 13) % 256);
  EXPECT_NE(parse_error(Format::kM3u8, garbage).find("line "), std::string::npos);
}

TEST(ParseM3u8, EntryAndSizeLimits) {
  std::string many;
  for (int i = 0; i < 11; ++i) many += "t" + std::to_string(i) + ".mp3\n";
  ParseLimits limits;
  limits.max_entries = 10;
  EXPECT_EQ(parse_error(Format::kM3u8, many, limits), "line 11: more than 10 entries");
  limits.max_bytes = 16;
  EXPECT_EQ(parse_error(Format::kM3u8, many, limits), "playlist larger than 16 bytes");
}

// ------------------------------------------------------------------------------- XSPF

TEST(ParseXspf, TracksNamespacesEntitiesAndIgnoredElements) {
  auto p = parse_ok(Format::kXspf, R"(<?xml version="1.0" encoding="UTF-8"?>
<playlist version="1" xmlns="http://xspf.org/ns/0/" xmlns:x="urn:other">
  <title>Caf&#233; &amp; Friends</title>
  <annotation>Night &lt;mix&gt;</annotation>
  <x:title>not the name</x:title>
  <extension application="urn:foo"><track><title>hidden</title></track></extension>
  <trackList>
    <track>
      <location>file:///music/Nadia%20Or%C3%A9/%C3%89t%C3%A9/02%20Caf%C3%A9.flac</location>
      <location>http://second/ignored</location>
      <identifier>segue:track:4iV5W9uYEdYUVa79Axb7Rh</identifier>
      <title><![CDATA[Café & Crème, "Live"]]></title>
      <creator>Nadia Oré</creator>
      <album>Été</album>
      <duration>215000</duration>
      <x:rating>5</x:rating>
      <extension application="urn:foo"><title>nested</title></extension>
    </track>
    <track>
      <location>Marlow%20Vance/Harbor%20Lights/01%20Tide.flac</location>
      <duration>soon</duration>
    </track>
    <track><title>Only &quot;title&quot;</title></track>
  </trackList>
</playlist>)");
  EXPECT_EQ(p.name, "Caf\xC3\xA9 & Friends");
  EXPECT_EQ(p.description, "Night <mix>");
  ASSERT_EQ(p.entries.size(), 3u);
  const auto& a = p.entries[0];
  EXPECT_EQ(a.location, "/music/Nadia Or\xC3\xA9/\xC3\x89t\xC3\xA9/02 Caf\xC3\xA9.flac");
  EXPECT_EQ(a.uri, "segue:track:4iV5W9uYEdYUVa79Axb7Rh");
  EXPECT_EQ(a.title, "Caf\xC3\xA9 & Cr\xC3\xA8me, \"Live\"");
  EXPECT_EQ(a.artist, "Nadia Or\xC3\xA9");
  EXPECT_EQ(a.album, "\xC3\x89t\xC3\xA9");
  EXPECT_EQ(a.duration_ms, 215000);
  EXPECT_EQ(a.line_or_index, 8u);
  EXPECT_EQ(p.entries[1].location, "Marlow Vance/Harbor Lights/01 Tide.flac");
  EXPECT_EQ(p.entries[1].duration_ms, std::nullopt);
  EXPECT_EQ(p.entries[2].title, "Only \"title\"");
  ASSERT_EQ(p.warnings.size(), 1u);
  EXPECT_NE(p.warnings[0].find("<duration>"), std::string::npos);
}

TEST(ParseXspf, PrefixedNamespaceAndNoNamespace) {
  auto p = parse_ok(Format::kXspf,
                    "<x:playlist xmlns:x=\"http://xspf.org/ns/0/\"><x:trackList><x:track>"
                    "<x:title>T</x:title></x:track></x:trackList></x:playlist>");
  ASSERT_EQ(p.entries.size(), 1u);
  EXPECT_EQ(p.entries[0].title, "T");
  p = parse_ok(Format::kXspf, "<playlist><trackList><track><creator>C</creator></track></trackList></playlist>");
  ASSERT_EQ(p.entries.size(), 1u);
  EXPECT_EQ(p.entries[0].artist, "C");
  EXPECT_NE(parse_error(Format::kXspf, "<playlist xmlns=\"urn:not-xspf\"/>").find("not an XSPF"), std::string::npos);
  EXPECT_NE(parse_error(Format::kXspf, "<html><body/></html>").find("not an XSPF"), std::string::npos);
}

TEST(ParseXspf, DeclaredLatin1EncodingIsReadAsUtf8) {
  auto p = parse_ok(Format::kXspf,
                    "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>"
                    "<playlist><title>Caf\xE9</title></playlist>");
  EXPECT_EQ(p.name, "Caf\xC3\xA9");
}

TEST(ParseXspf, BillionLaughsIsRefusedNotExpanded) {
  std::string xml = "<?xml version=\"1.0\"?>\n<!DOCTYPE playlist [\n<!ENTITY lol \"lol\">\n";
  for (int i = 1; i < 10; ++i)
    xml += "<!ENTITY lol" + std::to_string(i) + " \"" + [&] {
      std::string s;
      for (int k = 0; k < 10; ++k) s += "&lol" + (i == 1 ? std::string() : std::to_string(i - 1)) + ";";
      return s;
    }() + "\">\n";
  xml += "]>\n<playlist><title>&lol9;</title></playlist>";
  EXPECT_EQ(parse_error(Format::kXspf, xml), "line 2: DOCTYPE is not allowed in a playlist");
}

TEST(ParseXspf, ExternalEntitiesAreRefusedNeverFetched) {
  EXPECT_EQ(parse_error(Format::kXspf,
                        "<?xml version=\"1.0\"?><!DOCTYPE p [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>"
                        "<playlist><title>&x;</title></playlist>"),
            "line 1: DOCTYPE is not allowed in a playlist");
  EXPECT_EQ(parse_error(Format::kXspf,
                        "<!DOCTYPE playlist SYSTEM \"http://127.0.0.1:9/evil.dtd\"><playlist/>"),
            "line 1: DOCTYPE is not allowed in a playlist");
  // An entity that was never declared is an XML error, not a lookup.
  EXPECT_NE(parse_error(Format::kXspf, "<playlist><title>&x;</title></playlist>").find("undefined entity"),
            std::string::npos);
}

TEST(ParseXspf, MalformedDeepAndHuge) {
  auto msg = parse_error(Format::kXspf, "<playlist>\n<trackList>\n<track></trackList>");
  EXPECT_EQ(msg.rfind("line 3, column ", 0), 0u) << msg;
  EXPECT_NE(parse_error(Format::kXspf, "").find("line 1"), std::string::npos);
  EXPECT_NE(parse_error(Format::kXspf, "\x00\x01garbage\xFF\xFE").find("line 1"), std::string::npos);
  std::string deep = "<playlist>";
  for (int i = 0; i < 100000; ++i) deep += "<a>";
  EXPECT_NE(parse_error(Format::kXspf, deep).find("nested deeper than 64"), std::string::npos);
  std::string huge = "<playlist><title>" + std::string(20000, 'x') + "</title></playlist>";
  EXPECT_NE(parse_error(Format::kXspf, huge).find("<title> longer than"), std::string::npos);
  std::string many = "<playlist><trackList>";
  for (int i = 0; i < 11; ++i) many += "<track/>";
  many += "</trackList></playlist>";
  ParseLimits limits;
  limits.max_entries = 10;
  EXPECT_NE(parse_error(Format::kXspf, many, limits).find("more than 10 entries"), std::string::npos);
}

// ------------------------------------------------------------------------------- JSON

TEST(ParseJson, SegueShape) {
  auto p = parse_ok(Format::kJson, R"({"format":"segue.playlist","version":1,"name":"Mix \"1\"",
    "description":"d","tracks":[
      {"uri":"segue:track:4iV5W9uYEdYUVa79Axb7Rh","title":"T","artists":["A","B"],"album":"Al",
       "duration_ms":1234,"path":"/music/a.flac"},
      {"uri":"file:///music/b%20c.flac"},
      {"title":"Only","artist":"Solo","duration_ms":1500.4},
      {}
    ]})");
  EXPECT_EQ(p.name, "Mix \"1\"");
  EXPECT_EQ(p.description, "d");
  ASSERT_EQ(p.entries.size(), 4u);
  EXPECT_EQ(p.entries[0].uri, "segue:track:4iV5W9uYEdYUVa79Axb7Rh");
  EXPECT_EQ(p.entries[0].artist, "A, B");
  EXPECT_EQ(p.entries[0].album, "Al");
  EXPECT_EQ(p.entries[0].duration_ms, 1234);
  EXPECT_EQ(p.entries[0].location, "/music/a.flac");
  EXPECT_EQ(p.entries[1].location, "file:///music/b%20c.flac");
  EXPECT_EQ(p.entries[2].artist, "Solo");
  EXPECT_EQ(p.entries[2].duration_ms, 1500);
  EXPECT_EQ(p.entries[3].line_or_index, 3u);
}

TEST(ParseJson, SpotifyPlaylistObjectAndPages) {
  auto p = parse_ok(Format::kJson, R"({"collaborative":false,"name":"Discover","description":"weekly",
    "tracks":{"href":"x","total":3,"next":null,"items":[
      {"added_at":"2024-01-01T00:00:00Z","is_local":false,"track":{"uri":"spotify:track:6rqhFgbbKwnb9MLmUQDhG6",
        "name":"Speak & Spell","artists":[{"name":"Ada"},{"name":"Bo"}],"album":{"name":"Alb"},"duration_ms":200000}},
      {"added_at":"2024-01-01T00:00:00Z","track":null},
      {"is_local":true,"track":{"uri":"spotify:local:Ada:Alb:Local+Song:180","name":"Local Song","artists":[{"name":"Ada"}],"album":{"name":null},"duration_ms":180000}}
    ]}})");
  EXPECT_EQ(p.name, "Discover");
  ASSERT_EQ(p.entries.size(), 3u);
  EXPECT_EQ(p.entries[0].uri, "spotify:track:6rqhFgbbKwnb9MLmUQDhG6");
  EXPECT_EQ(p.entries[0].title, "Speak & Spell");
  EXPECT_EQ(p.entries[0].artist, "Ada, Bo");
  EXPECT_EQ(p.entries[0].album, "Alb");
  EXPECT_EQ(p.entries[0].duration_ms, 200000);
  EXPECT_EQ(p.entries[1].title, "");  // kept, so the match reports it
  EXPECT_EQ(p.entries[2].title, "Local Song");
  EXPECT_EQ(p.entries[2].location, "spotify:local:Ada:Alb:Local+Song:180");
  ASSERT_EQ(p.warnings.size(), 1u);
  // The renamed "items" field, a bare page and a bare array.
  EXPECT_EQ(parse_ok(Format::kJson, R"({"name":"n","items":{"items":[{"item":{"name":"x"}}]}})").entries.size(), 1u);
  EXPECT_EQ(parse_ok(Format::kJson, R"({"items":[{"track":{"name":"x"}},{"track":{"name":"y"}}]})").entries.size(), 2u);
  EXPECT_EQ(parse_ok(Format::kJson, R"([{"title":"x"}])").entries[0].title, "x");
}

TEST(ParseJson, MalformedWrongTypesAndDepth) {
  EXPECT_EQ(parse_error(Format::kJson, "{\"name\": }").rfind("offset 9: ", 0), 0u);
  EXPECT_EQ(parse_error(Format::kJson, "{} x").rfind("offset ", 0), 0u);
  EXPECT_EQ(parse_error(Format::kJson, "\"just a string\""), "offset 0: not a JSON object or array");
  EXPECT_EQ(parse_error(Format::kJson, "{\"name\":\"x\"}"), "no \"tracks\" in the playlist");
  EXPECT_EQ(parse_error(Format::kJson, R"({"tracks":[{"title":5}]})"), "tracks[0].title: not a string");
  EXPECT_EQ(parse_error(Format::kJson, R"({"tracks":[{"duration_ms":"5"}]})"), "tracks[0].duration_ms: not a number");
  EXPECT_EQ(parse_error(Format::kJson, R"({"tracks":[7]})"), "tracks[0]: not an object");
  EXPECT_EQ(parse_error(Format::kJson, R"({"tracks":{"total":1}})"), "tracks.items: missing or not a list");
  EXPECT_EQ(parse_error(Format::kJson, R"({"tracks":[{"artists":[1]}]})"),
            "tracks[0].artists[0]: not a string or an artist object");
  std::string deep(100000, '[');
  auto msg = parse_error(Format::kJson, deep);
  EXPECT_NE(msg.find("nested deeper than 64 levels"), std::string::npos) << msg;
  EXPECT_EQ(parse_error(Format::kJson, "{\"name\":\"\xFF\"}").rfind("offset 9: ", 0), 0u);
  std::string many = "[";
  for (int i = 0; i < 11; ++i) many += std::string(i ? "," : "") + "{}";
  many += "]";
  ParseLimits limits;
  limits.max_entries = 10;
  EXPECT_EQ(parse_error(Format::kJson, many, limits), "more than 10 entries");
  std::string long_title = "[{\"title\":\"" + std::string(20000, 'x') + "\"}]";
  EXPECT_NE(parse_error(Format::kJson, long_title).find("longer than"), std::string::npos);
}

// ------------------------------------------------------------------------------- helpers

TEST(FoldForMatch, CaseAccentsPunctuationTheAndFeaturing) {
  EXPECT_EQ(fold_for_match("Café & Crème, \"Live\"", false), "cafe and creme live");
  EXPECT_EQ(fold_for_match("CAFE AND CREME (LIVE)", false), "cafe and creme live");
  EXPECT_EQ(fold_for_match("Nadia Oré", true), "nadia ore");
  EXPECT_EQ(fold_for_match("Nadia Ore\xCC\x81", true), "nadia ore");  // decomposed accent
  EXPECT_EQ(fold_for_match("The Copper Lanterns", true), "copper lanterns");
  EXPECT_EQ(fold_for_match("Copper Lanterns, The", true), "copper lanterns");
  EXPECT_EQ(fold_for_match("The The", true), "the");
  EXPECT_EQ(fold_for_match("Ember (feat. Nadia Oré)", false), "ember");
  EXPECT_EQ(fold_for_match("Ember [ft. X] (Remix)", false), "ember remix");
  EXPECT_EQ(fold_for_match("Copper Lanterns feat. Nadia", true), "copper lanterns");
  EXPECT_EQ(fold_for_match("Don’t Stop", false), "dont stop");
  EXPECT_EQ(fold_for_match("Œuvre – Straße", false), "oeuvre strasse");
  EXPECT_EQ(fold_for_match("Łódź", false), "lodz");
  EXPECT_EQ(fold_for_match("Кино", true), "Кино");  // other scripts are kept
  EXPECT_EQ(fold_for_match("", true), "");
}

TEST(LocationToPath, UrisSlashesAndDots) {
  EXPECT_EQ(location_to_path("/a/./b//c/../d.mp3"), "/a/b/d.mp3");
  EXPECT_EQ(location_to_path("./a/b.mp3"), "a/b.mp3");
  EXPECT_EQ(location_to_path("..\\x\\y.mp3"), "../x/y.mp3");
  EXPECT_EQ(location_to_path("file:///a%20b/c%23.mp3"), "/a b/c#.mp3");
  EXPECT_EQ(location_to_path("file://localhost/a.mp3"), "/a.mp3");
  EXPECT_EQ(location_to_path("FILE:/a.mp3"), "/a.mp3");
  EXPECT_EQ(location_to_path("file:///C:/Music/a.mp3"), "C:/Music/a.mp3");
  EXPECT_EQ(location_to_path("C:\\Music\\a.mp3"), "C:/Music/a.mp3");
  EXPECT_EQ(location_to_path("file://nas/share/a.mp3"), std::nullopt);
  EXPECT_EQ(location_to_path("file:///a%00b"), std::nullopt);
  EXPECT_EQ(location_to_path("file:///a%zz"), std::nullopt);
  EXPECT_EQ(location_to_path("http://example.com/a.mp3"), std::nullopt);
  EXPECT_EQ(location_to_path("spotify:track:x"), std::nullopt);
}

}  // namespace
}  // namespace segue::playlist
