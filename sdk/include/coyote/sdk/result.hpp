// Result<T>: a value or the Status that explains why there is none.
#pragma once

#include <coyote/sdk/status.hpp>

#include <cassert>
#include <optional>
#include <string>
#include <utility>

namespace coyote::sdk {

/// The non-throwing return type for operations that produce a value or fail with a message
/// (std::expected arrives with C++23; this is the part of it the project needs). A Result made
/// from a Status must be made from an error: an ok Status carries no value to return.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}      // NOLINT(google-explicit-constructor)
  Result(Status error) : error_(std::move(error)) {  // NOLINT(google-explicit-constructor)
    assert(!error_.is_ok() && "a Result without a value needs an error Status");
  }
  static Result failure(std::string message) { return Result(Status::error(std::move(message))); }

  [[nodiscard]] bool is_ok() const noexcept { return value_.has_value(); }
  explicit operator bool() const noexcept { return value_.has_value(); }

  [[nodiscard]] T& value() & { return *value_; }
  [[nodiscard]] const T& value() const& { return *value_; }
  [[nodiscard]] T&& value() && { return std::move(*value_); }
  T& operator*() & { return *value_; }
  const T& operator*() const& { return *value_; }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }

  /// Ok when there is a value, else the error.
  [[nodiscard]] const Status& status() const noexcept { return error_; }
  [[nodiscard]] const std::string& error() const noexcept { return error_.message(); }

 private:
  std::optional<T> value_;
  Status error_;
};

}  // namespace coyote::sdk
