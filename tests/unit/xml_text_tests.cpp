// Entities in the XML text a server sends (an XMPP stream error's <text>), decoded for quoting.
#include <catch2/catch.hpp>

#include "scanner/xml_text.hpp"

using certfleet::scanner::decode_xml_entities;

TEST_CASE("xml text: the predefined entities and character references are decoded, in UTF-8", "[xml_text]") {
    CHECK(decode_xml_entities("Can&apos;t serve &quot;chat&quot; &amp; &lt;more&gt;") == "Can't serve \"chat\" & <more>");
    CHECK(decode_xml_entities("&#65;&#x42;&#x00043;") == "ABC");
    CHECK(decode_xml_entities("caf&#233; &#x263A; &#x1F512;") == "caf\xc3\xa9 \xe2\x98\xba \xf0\x9f\x94\x92");
    CHECK(decode_xml_entities("&#x10FFFF;") == "\xf4\x8f\xbf\xbf");
    CHECK(decode_xml_entities("") == "");
    CHECK(decode_xml_entities("plain words, no references") == "plain words, no references");
    // Multi-byte characters as sent pass through untouched.
    CHECK(decode_xml_entities("Stra\xc3\x9f" "e &amp; Weg") == "Stra\xc3\x9f" "e & Weg");
}

TEST_CASE("xml text: an unknown, malformed or out-of-range reference is left as written", "[xml_text]") {
    for (const std::string kept :
         {"&nbsp;", "&bogus;", "&amp", "& amp;", "&;", "&#;", "&#x;", "&#X41;", "&#-65;", "&#+65;", "&#65x;", "&#xZZ;",
          "&#0;", "&#xD800;", "&#xDFFF;", "&#x110000;", "&#99999999999999999999;", "&#x0000000041;", "&", "&&&",
          "a & b"}) {
        INFO(kept);
        CHECK(decode_xml_entities(kept) == kept);
    }
    // A reference after one left as written is still decoded.
    CHECK(decode_xml_entities("&bogus;&amp;&#xD800;&lt;") == "&bogus;&&#xD800;<");
    // The result is never longer than the text: each reference is longer than the UTF-8 of its character.
    const std::string many(1000, '&');
    CHECK(decode_xml_entities(many) == many);
}
