// libFuzzer target: the sqlite driver's stored-headers decoder, which reads bytes from a file
// that may be damaged. Whatever decodes must re-encode to a blob that decodes to the same map.
#include "sqlite/headers_codec.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view blob(reinterpret_cast<const char*>(data), size);
  coyote::sdk::Headers headers;
  if (!coyote::drivers::sqlite::decode_headers(blob, headers)) return 0;
  coyote::sdk::Headers again;
  if (!coyote::drivers::sqlite::decode_headers(coyote::drivers::sqlite::encode_headers(headers),
                                               again) ||
      again != headers) {
    std::abort();
  }
  return 0;
}
