// Boost.JSON's compiled part (Debian ships no libboost_json): this is the one translation unit of
// the whole program that includes src.hpp. Other libraries must not include it again.
#include <boost/json/src.hpp>
