// Scenario E: the host compiles Asio's implementation itself (separate compilation), with
// BOOST_ASIO_SEPARATE_COMPILATION on its whole target, the translation units that include
// apig's headers (common/listing.cpp) included.
#include <boost/asio/impl/src.hpp>
