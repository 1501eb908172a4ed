// Base64 (RFC 4648, standard alphabet, padded) as Kubernetes reads and writes the bytes of Secret
// data and ConfigMap binaryData in JSON: Go's base64.StdEncoding, which skips CR and LF and
// reports the offset of the first byte it cannot accept ("illegal base64 data at input byte 3").
// Pure functions: any thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace canaryd {

std::string Base64Encode(std::string_view bytes);

// The decoded bytes, or nullopt with *error_offset set to the offset Go reports.
std::optional<std::string> Base64Decode(std::string_view text, size_t* error_offset);

// Go's message for a bad offset: "illegal base64 data at input byte N".
std::string Base64ErrorMessage(size_t offset);

}  // namespace canaryd
