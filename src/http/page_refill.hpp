#pragma once

// A page request's storage given late, and who is told of what is decoded into it (see
// page_refill).

#include <apig/model.hpp>

#include "json/decode.hpp"

#include <functional>

namespace apig::http {

/// Called when a 200 body begins, with the page it is decoded into: may give it storage (a
/// walk hands over the page the caller gave back last, still in cache, when the page has no
/// instance capacity), and returns who is told of each instance decoded (json::instance_sink;
/// a walk hashes the ids there), or an empty sink.
/// A storage picked when the request was sent would be decoded into a round trip later, after
/// `concurrency` other pages: one page more in circulation than a loop of calls, each reusing
/// its own (at limit 500, C = 16: past an 8 MiB last-level cache, 2.3x its misses, cachegrind).
/// Called on the call's executor (the client's strand), before any byte of the body is decoded.
using page_refill = std::function<json::instance_sink(instance_page&)>;

}  // namespace apig::http
