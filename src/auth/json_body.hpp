#pragma once

// A small JSON body from a server (a metadata service, the pod identity agent, IAM), parsed
// with limits: shared by the temporary-key and IAM parsers. Internal header.

#include <boost/json/value.hpp>

#include <cstddef>
#include <string>
#include <string_view>
#include <variant>

namespace apig::auth {

/// The deepest nesting of arrays and objects accepted in such a body.
inline constexpr std::size_t max_body_depth = 16;

/// Parses `body` as one JSON document (nothing but whitespace after it), nested at most
/// `max_body_depth` levels, with no key given twice in one object (the answer would be
/// ambiguous). Numbers of any size are accepted (too large ones as doubles). The error is a
/// phrase that quotes no value: "the response is not JSON (<the parser's reason>)", "the
/// response is nested more than 16 levels deep", "the response has credential.secret twice"
/// (the path of the key, made printable and cut at 256 bytes).
std::variant<boost::json::value, std::string> parse_body(std::string_view body);

/// `value`'s JSON type as a phrase for messages: "an object", "a number", "null", ...
std::string_view kind_name(boost::json::value const& value) noexcept;

}  // namespace apig::auth
