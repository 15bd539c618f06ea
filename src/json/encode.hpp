#pragma once

// Model -> JSON. No I/O: compact JSON appended to a string, as the API writes it (the
// encoder of the CLI's output and of the round-trip tests; the decoder is decode.hpp).

#include <apig/model.hpp>

#include <string>

namespace apig::json {

/// Appends an instance as compact JSON with the API's field names and types; absent fields
/// are omitted, unknown enum values written as received.
void append_instance(std::string& out, instance const& inst);
/// Appends a page: `{"total":..,"size":..,"instances":[...]}` (absent total/size omitted).
void append_page(std::string& out, instance_page const& page);

}  // namespace apig::json
