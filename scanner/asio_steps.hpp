#pragma once
// Shared by the scanner's coroutines. Internal to scanner/.
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace certfleet::scanner {

// `co_await step(..., nothrow)` gives back a tuple whose first element is the error: a failed step is an outcome
// the probe records, not an exception.
inline constexpr auto nothrow = boost::asio::as_tuple(boost::asio::use_awaitable);

}  // namespace certfleet::scanner
