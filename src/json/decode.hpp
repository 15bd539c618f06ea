#pragma once

// JSON -> model. Bytes in, model out; no I/O. The decoder is a boost::json::basic_parser
// handler that writes straight into the model (no DOM), so a body can be fed in chunks as it
// arrives and is never copied.

#include <apig/error.hpp>
#include <apig/model.hpp>

#include <memory>
#include <string>
#include <string_view>

namespace apig::json {

/// Told of each instance of the page as its object ends, with its index in the `instances`
/// array, while its fields are still in cache (a walk hashes its id there: read again after
/// the page's other 499 instances and its body, ~1.6 more cache misses an id, cachegrind).
/// Called in order (0, 1, ...); a second `instances` key in the body starts again at 0. Only
/// objects end: any other element fails the page. Must not throw.
struct instance_sink {
    void (*fn)(void* ctx, std::size_t index, instance const& i) = nullptr;
    void* ctx = nullptr;
};

/// Incremental decoder of one RespInstancePage body.
///
/// Feed the body with `write` (any chunking), then call `finish`. The first wrong value stops
/// decoding with `errc::bad_response` and a message naming its JSON path, e.g.
/// `instances[3].create_time: expected an integer, got a string`. Unknown fields (of any
/// shape) are skipped; unknown enum values are kept raw; null is treated as absent.
class page_decoder {
public:
    explicit page_decoder(instance_page& out, instance_sink sink = {});
    ~page_decoder();
    page_decoder(page_decoder const&) = delete;
    page_decoder& operator=(page_decoder const&) = delete;

    /// Returns false once an error is recorded (see `error()`); later writes are ignored.
    bool write(std::string_view chunk);
    /// Ends the document; false on error (also a truncated document).
    bool finish();
    /// The recorded error, or an empty error_info.
    error_info const& error() const noexcept;

private:
    struct state;
    std::unique_ptr<state> st_;
};

/// Decodes a whole body. Returns an empty error_info on success.
error_info decode_page(std::string_view body, instance_page& out);

/// Reads an API error body: `{"error_code","error_msg"}` or `{"code","message"}` (a numeric
/// `code` is kept as its decimal text). Returns false if the body is not such a JSON object;
/// `api_code` / `api_message` are then left untouched.
bool decode_error_body(std::string_view body, std::string& api_code, std::string& api_message);

}  // namespace apig::json
