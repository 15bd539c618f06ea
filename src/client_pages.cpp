// client::pages: the walk's page source, built from the client's internals (the walk itself,
// in pager.cpp, knows only the source).
#include <apig/client.hpp>

#include "client_impl.hpp"
#include "page_source.hpp"

namespace apig {

page_generator client::pages(list_request req, page_options opts) {
    // The source holds the internals alive while the walk has requests in flight, as a call does.
    detail::page_source source{
        .executor = impl_->strand,
        .project_id = impl_->opts.project_id,
        .project_discoverable = impl_->project_discoverable,
        .fetch = [c = impl_](list_request r, http::page_refill refill, error_info* diag,
                             boost::asio::any_completion_handler<detail::page_signature> h) {
            c->start(std::move(r), instance_page{}, diag, std::move(h), std::move(refill));
        }};
    return page_generator(detail::make_walk(std::move(source), std::move(req), std::move(opts)));
}

}  // namespace apig
