// The host's own Asio code, which knows nothing of apig: a steady_timer that ticks and a TCP
// echo on 127.0.0.1 (port 0) that the host round-trips some bytes through.
#pragma once

#include "downstream.hpp"

#include <chrono>
#include <cstddef>

namespace host {

/// A steady_timer that fires `ticks` times, `period` apart. Reports "<n> ticks".
downstream::host_task ticking_timer(int ticks, std::chrono::milliseconds period);

/// An echo server on 127.0.0.1:0 (completion handlers) and a client (a coroutine) that
/// sends `bytes` bytes through it and reads them back. Reports "echo <n> bytes", with a note
/// if the end of the stream did not compare equal to boost::asio::error::eof.
downstream::host_task tcp_echo(std::size_t bytes);

}  // namespace host
