// The single translation unit that compiles Boost.JSON (Debian ships no libboost_json).
// Kept alone in its own object file so that a second copy elsewhere in the host is never pulled
// in by the linker (every symbol it could provide is already resolved by this one).
#include <boost/json/src.hpp>
