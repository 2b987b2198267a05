#pragma once
// The character data of an XML element as its writer meant it, for quoting a server's words (an XMPP stream
// error's <text>): "Can&apos;t" is "Can't".
#include <string>
#include <string_view>

namespace certfleet::scanner {

// Replaces the five predefined entities (&amp; &lt; &gt; &apos; &quot;) and character references (&#NN; and
// &#xHH;) by their characters, in UTF-8. A reference that is unknown, malformed, or names no character XML allows
// (NUL, a surrogate, above U+10FFFF) is left as written. The result is never longer than `text`.
std::string decode_xml_entities(std::string_view text);

}  // namespace certfleet::scanner
