// Boost.JSON's compiled part, inside this plugin with hidden visibility (Debian ships no
// libboost_json, and the host's copy is not exported to plugins).
#include <boost/json/src.hpp>
