#pragma once
// Java keystores (JKS and JCEKS), parsed directly: the format is small and stores certificates in the clear.
#include <cstdint>
#include <span>

#include "scanner/decode.hpp"

namespace certfleet::scanner {

// True when the content starts with the JKS (FEEDFEED) or JCEKS (CECECECE) magic; then every certificate
// of every entry is added in file order with format jks or jceks (those of trusted-certificate entries as trust
// anchors, the chains of private-key entries not), each private-key entry is recorded as a key (state
// in_keystore, spki of its first certificate), JCEKS secret-key entries are skipped within their bounds with a
// note, and the keyed SHA-1 integrity digest is checked against each known password (a note says when no
// password matched; a mismatch with every password is not an error since the certificates are still
// readable). Truncated or corrupt files keep the certificates read before the damage and add an error.
bool decode_java_keystore(std::span<const std::uint8_t> content, FileObservationBuilder& out);

}  // namespace certfleet::scanner
