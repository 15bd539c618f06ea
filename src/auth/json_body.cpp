// JSON bodies from servers, parsed with a depth limit and refused when a key repeats.
#include "json_body.hpp"

#include "error_detail.hpp"

#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/parse.hpp>

#include <cstdint>
#include <unordered_set>
#include <vector>

namespace apig::auth {
namespace {

using boost::json::string_view;
using boost::system::error_code;

boost::json::parse_options body_options() noexcept {
    boost::json::parse_options o;
    o.max_depth = max_body_depth;
    return o;
}

// A basic_parser handler that builds nothing: it follows the path to the current key and
// stops at the first key an object repeats.
class duplicate_finder {
public:
    static constexpr std::size_t max_array_size = static_cast<std::size_t>(-1);
    static constexpr std::size_t max_object_size = static_cast<std::size_t>(-1);
    static constexpr std::size_t max_string_size = static_cast<std::size_t>(-1);
    static constexpr std::size_t max_key_size = static_cast<std::size_t>(-1);
    /// The longest path in a message (then "...").
    static constexpr std::size_t max_path = 256;

    bool on_document_begin(error_code&) { return true; }
    bool on_document_end(error_code&) { return true; }
    bool on_array_begin(error_code&) { return open(false); }
    bool on_array_end(std::size_t, error_code&) { return close(); }
    bool on_object_begin(error_code&) { return open(true); }
    bool on_object_end(std::size_t, error_code&) { return close(); }
    bool on_string_part(string_view, std::size_t, error_code&) { return true; }
    bool on_string(string_view, std::size_t, error_code&) { return done(); }
    bool on_key_part(string_view s, std::size_t, error_code&) {
        key_.append(s.data(), s.size());
        return true;
    }
    bool on_key(string_view s, std::size_t, error_code& ec) {
        key_.append(s.data(), s.size());
        frame& top = frames_.back();
        if (!top.keys.insert(key_).second) {
            std::string const where = path();
            // Made printable and cut once, as a whole: 16 levels of long keys stay one short line.
            duplicate_ = printable(where + (where.empty() ? "" : ".") + key_, max_path);
            // Any code stops the parser; `duplicate()` tells the caller why.
            ec = boost::json::error::syntax;
            return false;
        }
        top.key = std::move(key_);
        key_.clear();
        return true;
    }
    bool on_number_part(string_view, error_code&) { return true; }
    bool on_int64(std::int64_t, string_view, error_code&) { return done(); }
    bool on_uint64(std::uint64_t, string_view, error_code&) { return done(); }
    bool on_double(double, string_view, error_code&) { return done(); }
    bool on_bool(bool, error_code&) { return done(); }
    bool on_null(error_code&) { return done(); }
    bool on_comment_part(string_view, error_code&) { return true; }
    bool on_comment(string_view, error_code&) { return true; }

    /// The path of the repeated key; empty if none was found.
    std::string const& duplicate() const noexcept { return duplicate_; }

private:
    struct frame {
        bool object = false;
        std::size_t index = 0;                // arrays: the current element
        std::string key{};                    // objects: the current key
        std::unordered_set<std::string> keys{};  // objects: the keys seen
    };

    bool open(bool object) {
        frames_.push_back(frame{object, 0, {}, {}});
        return true;
    }
    bool close() {
        frames_.pop_back();
        return done();
    }
    bool done() {
        if (!frames_.empty() && !frames_.back().object) ++frames_.back().index;
        return true;
    }
    // The path to the object being read: `credential`, `projects[2]`.
    std::string path() const {
        std::string out;
        for (std::size_t i = 0; i + 1 < frames_.size(); ++i) {
            frame const& f = frames_[i];
            if (f.object) {
                if (!out.empty()) out += '.';
                out += f.key;
            } else {
                out += '[' + std::to_string(f.index) + ']';
            }
        }
        return out;
    }

    std::vector<frame> frames_{};
    std::string key_{};
    std::string duplicate_{};
};

}  // namespace

std::variant<boost::json::value, std::string> parse_body(std::string_view body) {
    {
        boost::json::basic_parser<duplicate_finder> p(body_options());
        error_code ec;
        std::size_t const n = p.write_some(false, body.data(), body.size(), ec);
        if (!p.handler().duplicate().empty()) return "the response has " + p.handler().duplicate() + " twice";
        if (ec == boost::json::error::too_deep)
            return "the response is nested more than " + std::to_string(max_body_depth) + " levels deep";
        if (ec) return "the response is not JSON (" + ec.message() + ")";
        if (body.substr(n).find_first_not_of(" \t\r\n") != std::string_view::npos)
            return std::string("the response is not JSON (data after the document)");
    }
    error_code ec;
    boost::json::value v = boost::json::parse(boost::json::string_view(body.data(), body.size()), ec, {},
                                              body_options());
    if (ec) return "the response is not JSON (" + ec.message() + ")";
    return v;
}

std::string_view kind_name(boost::json::value const& value) noexcept {
    switch (value.kind()) {
    case boost::json::kind::object: return "an object";
    case boost::json::kind::array: return "an array";
    case boost::json::kind::string: return "a string";
    case boost::json::kind::int64:
    case boost::json::kind::uint64:
    case boost::json::kind::double_: return "a number";
    case boost::json::kind::bool_: return "a boolean";
    case boost::json::kind::null: return "null";
    }
    return "a value";
}

}  // namespace apig::auth
