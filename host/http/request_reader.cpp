#include "http/request_reader.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/field.hpp>

#include <algorithm>
#include <cstring>
#include <limits>

namespace coyote::host::http {

namespace bhttp = boost::beast::http;

RequestReader::RequestReader(ReaderLimits limits) : limits_(limits) { reset_parser(); }

void RequestReader::reset_parser() {
  parser_.emplace();
  parser_->header_limit(static_cast<std::uint32_t>(
      std::min<std::size_t>(limits_.header_limit, std::numeric_limits<std::uint32_t>::max())));
  parser_->body_limit(limits_.body_limit);
  // A whole body in one put() when it is buffered: fewer passes, same limits.
  parser_->eager(true);
  started_ = false;
  continue_checked_ = false;
  expect_continue_ = false;
}

void RequestReader::append(std::string_view bytes) {
  if (bytes.empty()) return;
  auto dest = buffer_.prepare(bytes.size());
  std::memcpy(dest.data(), bytes.data(), bytes.size());
  buffer_.commit(bytes.size());
}

bool RequestReader::take_expect_continue() noexcept {
  const bool v = expect_continue_;
  expect_continue_ = false;
  return v;
}

RequestReader::Result RequestReader::next() {
  if (error_status_ != 0) return Result::kError;
  while (buffer_.size() > 0) {
    boost::beast::error_code ec;
    const std::size_t used = parser_->put(buffer_.data(), ec);
    buffer_.consume(used);
    if (used > 0) started_ = true;
    if (ec == bhttp::error::need_more) break;
    if (ec) {
      if (ec == bhttp::error::header_limit) {
        error_status_ = 431;
        error_text_ =
            "request header larger than " + std::to_string(limits_.header_limit) + " bytes";
      } else if (ec == bhttp::error::body_limit) {
        error_status_ = 413;
        error_text_ = "request body larger than " + std::to_string(limits_.body_limit) + " bytes";
      } else if (ec == bhttp::error::bad_transfer_encoding) {
        error_status_ = 501;
        error_text_ = "unsupported Transfer-Encoding (only chunked is understood)";
      } else {
        error_status_ = 400;
        error_text_ = "malformed request: " + ec.message();
      }
      return Result::kError;
    }
    if (parser_->is_header_done() && !continue_checked_) {
      continue_checked_ = true;
      const auto& fields = parser_->get();
      const auto expect = fields[bhttp::field::expect];
      expect_continue_ = fields.version() >= 11 && !parser_->is_done() &&
                         boost::beast::iequals(expect, "100-continue");
    }
    if (parser_->is_done()) {
      request_.message = parser_->release();
      reset_parser();
      return Result::kRequest;
    }
    if (used == 0) break;
  }
  return Result::kNeedMore;
}

}  // namespace coyote::host::http
