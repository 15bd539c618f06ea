#pragma once

// A Beast body that decodes a 200 response while it arrives: each received buffer goes
// straight from Beast's read buffer into the JSON page decoder, so a page body is never
// copied. Any other status keeps its body as text (bounded), for the API error fields.

#include "http/page_refill.hpp"
#include "json/decode.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/fields.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/status.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace apig::http {

struct page_body {
    /// Error bodies are kept up to this size; the rest is read and dropped.
    static constexpr std::size_t max_error_text = 64 * 1024;

    struct value_type {
        instance_page* page = nullptr;      ///< where a 200 body is decoded to
        page_refill const* refill = nullptr;  ///< at a 200 body: storage, and the decoder's sink (may be null)
        std::unique_ptr<json::page_decoder> decoder;
        bool decoded = false;               ///< the whole 200 body was decoded
        error_info decode_error;            ///< why decoding failed (errc::bad_response)
        std::string error_text;             ///< the body of a non-200 response
    };

    class reader {
    public:
        // Beast constructs the reader with the parser, before the header has arrived: the
        // status is read in init(), which runs once the header is complete.
        // (Beast requires the constructor to take any header; only responses are read.)
        template <bool IsRequest, class Fields>
        reader(boost::beast::http::header<IsRequest, Fields>& h, value_type& v) : v_(v), header_(&h) {
            if constexpr (!IsRequest)
                status_ = [](void const* p) {
                    return static_cast<boost::beast::http::header<false, Fields> const*>(p)->result_int();
                };
        }

        void init(boost::optional<std::uint64_t> const&, boost::system::error_code& ec) {
            ec = {};
            decode_ = status_ && status_(header_) == 200;
            if (!decode_) return;
            json::instance_sink sink;
            if (v_.refill && *v_.refill) sink = (*v_.refill)(*v_.page);
            v_.decoder = std::make_unique<json::page_decoder>(*v_.page, sink);
        }

        template <class ConstBufferSequence>
        std::size_t put(ConstBufferSequence const& buffers, boost::system::error_code& ec) {
            ec = {};
            std::size_t n = 0;
            for (auto it = boost::asio::buffer_sequence_begin(buffers);
                 it != boost::asio::buffer_sequence_end(buffers); ++it) {
                boost::asio::const_buffer b = *it;
                std::string_view chunk(static_cast<char const*>(b.data()), b.size());
                if (decode_) {
                    if (!v_.decoder->write(chunk)) {
                        v_.decode_error = v_.decoder->error();
                        ec = errc::bad_response;
                        return n;
                    }
                } else if (v_.error_text.size() < max_error_text) {
                    v_.error_text.append(chunk.substr(0, max_error_text - v_.error_text.size()));
                }
                n += chunk.size();
            }
            return n;
        }

        void finish(boost::system::error_code& ec) {
            ec = {};
            if (!decode_) return;
            if (!v_.decoder->finish()) {
                v_.decode_error = v_.decoder->error();
                ec = errc::bad_response;
                return;
            }
            v_.decoded = true;
        }

    private:
        value_type& v_;
        void const* header_;
        unsigned (*status_)(void const*) = nullptr;
        bool decode_ = false;
    };
};

}  // namespace apig::http
