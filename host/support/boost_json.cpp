// Boost.JSON's compiled part: the one translation unit that includes boost/json/src.hpp.
// Other libraries link coyote_boost_json and must not include src.hpp again.
#include <boost/json/src.hpp>
