#include "config/env_expand.hpp"

#include <cstdlib>
#include <stdexcept>
#include <string>

namespace coyote::host::config {
namespace {

std::string expand(std::string_view text, const EnvLookup& lookup, int depth) {
  if (depth > kMaxEnvNesting) {
    throw std::invalid_argument("${...} defaults are nested more than " +
                                std::to_string(kMaxEnvNesting) + " levels deep; flatten the value");
  }
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    if (text[i] != '$' || i + 1 >= text.size() || text[i + 1] != '{') {
      out.push_back(text[i++]);
      continue;
    }
    // Find the matching '}' so that a default may itself contain ${...}.
    std::size_t braces = 1;
    std::size_t j = i + 2;
    for (; j < text.size() && braces > 0; ++j) {
      if (text[j] == '{') ++braces;
      if (text[j] == '}') --braces;
    }
    if (braces != 0) {  // unterminated: keep the rest verbatim
      out.append(text.substr(i));
      break;
    }
    const std::string_view body = text.substr(i + 2, j - 1 - (i + 2));
    const std::size_t sep = body.find(":-");
    const std::string_view name = sep == std::string_view::npos ? body : body.substr(0, sep);
    const std::optional<std::string> value = lookup(name);
    if (sep != std::string_view::npos && (!value || value->empty())) {
      out += expand(body.substr(sep + 2), lookup, depth + 1);
    } else if (value) {
      out += *value;
    }
    i = j;
  }
  return out;
}

}  // namespace

EnvLookup process_environment() {
  return [](std::string_view name) -> std::optional<std::string> {
    // The host never sets variables, so reading them from its threads is safe.
    const char* value = std::getenv(std::string(name).c_str());  // NOLINT(concurrency-mt-unsafe)
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
}

std::string expand_env(std::string_view text, const EnvLookup& lookup) {
  return expand(text, lookup, 0);
}

}  // namespace coyote::host::config
