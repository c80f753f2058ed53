// What a Redis error reply means for the user, and what to change.
#pragma once

#include <string>
#include <string_view>

namespace coyote::drivers::redis {

/// Where an error came from, so the explanation can name the key or setting involved.
struct ErrorContext {
  std::string_view address;   ///< redis.addr as shown in logs (password masked)
  std::string_view stream;    ///< the pipeline's stream key, when the command was about it
  std::string_view pipeline;  ///< the pipeline name, when known
};

/// "redis: <Redis's own text>: <what it means and what to do>" for the errors a user can fix
/// (WRONGTYPE, READONLY, OOM, NOAUTH, WRONGPASS, NOPERM, LOADING, unknown command = old Redis);
/// other errors are passed through with the "redis: " prefix.
std::string explain_error(std::string_view redis_error, const ErrorContext& context);

}  // namespace coyote::drivers::redis
