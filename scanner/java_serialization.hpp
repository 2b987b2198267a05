#pragma once
// Finds where a Java serialization stream ends, for the JCEKS secret-key entries, which have no length prefix.
// Internal to scanner/.
#include "scanner/java_stream_reader.hpp"

namespace certfleet::scanner::java {

// Reads past the stream header and exactly one object, as one ObjectInputStream.readObject() call consumes them.
// Throws Damage when the stream is cut short, malformed, or nested past the bounds kept against hostile input.
void skip_serialization_stream(Reader& in);

}  // namespace certfleet::scanner::java
