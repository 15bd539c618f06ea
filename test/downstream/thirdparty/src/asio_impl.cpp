// The third-party library's own copy of Asio's and Asio.SSL's implementation (built with
// BOOST_ASIO_SEPARATE_COMPILATION, PRIVATE to the library).
#include <boost/asio/impl/src.hpp>
#include <boost/asio/ssl/impl/src.hpp>
