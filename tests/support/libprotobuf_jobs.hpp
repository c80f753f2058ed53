// LibprotobufJobs: jobs.v1 push requests decoded by libprotobuf, the reference that the direct
// wire decoder (host/rpc/job_wire_decoder) is checked against in unit tests and the fuzzer.
#pragma once

#include "rpc/jobs.pb.h"

#include <coyote/sdk/message.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace coyote::test {

inline sdk::Message from_libprotobuf(const jobs::v1::Job& job) {
  sdk::Message out;
  out.name = job.job();
  out.id = job.id();
  out.payload = job.payload();
  for (const auto& [key, value] : job.headers()) {
    out.headers.emplace(key, std::vector<std::string>(value.value().begin(), value.value().end()));
  }
  const jobs::v1::Options& o = job.options();
  out.options.priority = o.priority();
  out.options.pipeline = o.pipeline();
  out.options.delay_seconds = o.delay();
  out.options.auto_ack = o.auto_ack();
  out.options.topic = o.topic();
  out.options.metadata = o.metadata();
  out.options.offset = o.offset();
  out.options.partition = o.partition();
  return out;
}

/// False when libprotobuf refuses the bytes.
inline bool libprotobuf_push_batch(std::string_view body, std::vector<sdk::Message>& out) {
  jobs::v1::PushBatchRequest request;
  out.clear();
  if (!request.ParseFromArray(body.data(), static_cast<int>(body.size()))) return false;
  for (const auto& job : request.jobs()) out.push_back(from_libprotobuf(job));
  return true;
}

inline bool libprotobuf_push(std::string_view body, sdk::Message& out) {
  jobs::v1::PushRequest request;
  if (!request.ParseFromArray(body.data(), static_cast<int>(body.size()))) return false;
  out = from_libprotobuf(request.job());
  return true;
}

inline bool same_message(const sdk::Message& a, const sdk::Message& b) {
  const sdk::JobOptions& x = a.options;
  const sdk::JobOptions& y = b.options;
  return a.name == b.name && a.id == b.id && a.payload == b.payload && a.headers == b.headers &&
         x.priority == y.priority && x.pipeline == y.pipeline &&
         x.delay_seconds == y.delay_seconds && x.auto_ack == y.auto_ack && x.topic == y.topic &&
         x.metadata == y.metadata && x.offset == y.offset && x.partition == y.partition;
}

}  // namespace coyote::test
