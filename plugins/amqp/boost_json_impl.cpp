// Boost.JSON's compiled part for this plugin only (hidden like every plugin symbol). The unit
// tests and fuzzers get it from the host's coyote_boost_json instead, so this file is not in
// COYOTE_AMQP_DRIVER_SOURCES.
#include <boost/json/src.hpp>
