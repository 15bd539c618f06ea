#pragma once

// Where a walk (pager.cpp) gets its pages: an executor and a function that starts one page
// request. client::pages builds it from the client's internals (client_pages.cpp), so the walk
// knows nothing of them.

#include <apig/error.hpp>
#include <apig/model.hpp>
#include <apig/pager.hpp>

#include "http/page_refill.hpp"

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/system/error_code.hpp>

#include <functional>
#include <memory>
#include <string>

namespace apig::detail {

struct walk;

using page_signature = void(boost::system::error_code, instance_page);

struct page_source {
    /// Where the walk's state lives: `fetch` is called there, and its handlers run there.
    /// Several walks of a client may share it (the client's strand).
    boost::asio::any_io_executor executor;
    /// The project the requests are for: a walk's request is checked against it (`validate`)
    /// before the first request.
    std::string project_id;
    /// `project_id` is empty and each request finds the project itself (see `validate`).
    bool project_discoverable = false;
    /// Starts one page request (`list_request.limit` is the walk's page size). When its 200
    /// body begins, `refill` (called there, on `executor`) may give the page storage to decode
    /// into (http::page_refill). On failure `*diag` (alive until completion) says what failed;
    /// the handler's cancellation slot cancels the request.
    std::function<void(list_request req, http::page_refill refill, error_info* diag,
                       boost::asio::any_completion_handler<page_signature> handler)>
        fetch;
};

/// A walk of the pages from `req.offset` on; nothing is requested before its first next().
std::shared_ptr<walk> make_walk(page_source source, list_request req, page_options opts);

/// A generator over a walk from any page source (tests script one).
struct generator_access {
    static page_generator make(page_source source, list_request req, page_options opts) {
        return page_generator(make_walk(std::move(source), std::move(req), std::move(opts)));
    }
};

}  // namespace apig::detail
