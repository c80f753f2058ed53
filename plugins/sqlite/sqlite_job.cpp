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
  out += R"({"id":)";
  sdk::json_text::append_string(out, message_.id);
  out += R"(,"job":)";
  sdk::json_text::append_string(out, message_.name);
  out += R"(,"driver":"boltdb","headers":)";
  sdk::json_text::append_headers(out, message_.headers);
  out += R"(,"queue":"push","pipeline":)";
  sdk::json_text::append_string(out, message_.options.pipeline);
  out.push_back('}');
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
