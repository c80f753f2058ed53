#include "sqlite/sqlite_job.hpp"

#include <coyote/sdk/json_text.hpp>

namespace coyote::drivers::sqlite {

SqliteJob::~SqliteJob() {
  if (!settled_) core_->put_back(seq_, generation_, std::chrono::seconds{0});
}

void SqliteJob::write_context(std::string& out) const {
  if (driver_ != "boltdb") {
    sdk::Job::write_context(out);
    return;
  }
  namespace json = sdk::json_text;
  using namespace std::string_view_literals;
  json::append(out, R"({"id":)"sv, json::quoted(message_.id), R"(,"job":)"sv,
               json::quoted(message_.name), R"(,"driver":"boltdb","headers":)"sv,
               json::headers_object(message_.headers), R"(,"queue":"push","pipeline":)"sv,
               json::quoted(message_.options.pipeline), "}"sv);
}

sdk::Status SqliteJob::ack() {
  settled_ = true;
  core_->remove(seq_, generation_);
  return sdk::Status::ok();
}

sdk::Status SqliteJob::nack() { return ack(); }

sdk::Status SqliteJob::nack_with_options(bool requeue, std::chrono::seconds delay) {
  if (!requeue) return ack();
  settled_ = true;
  core_->put_back(seq_, generation_, delay);
  return sdk::Status::ok();
}

sdk::Status SqliteJob::requeue(const sdk::Headers& headers, std::chrono::seconds delay) {
  settled_ = true;
  sdk::merge_headers(message_.headers, headers);
  core_->requeue(seq_, generation_, message_.headers, delay);
  return sdk::Status::ok();
}

}  // namespace coyote::drivers::sqlite
