// Feeds arbitrary bytes through the RPC request decoder and, when a frame parses, through the
// method table's argument decoders for every codec (proto and JSON), with a do-nothing engine.
#include "jobs/jobs_service.hpp"
#include "rpc/builtin_methods.hpp"
#include "rpc/jobs_codec.hpp"
#include "rpc/request.hpp"
#include "worker/pool_control.hpp"

#include <cstddef>
#include <cstdint>
#include <span>

namespace {

namespace rpc = coyote::host::rpc;
using coyote::sdk::Status;

class NullJobs final : public coyote::host::jobs::JobsService {
 public:
  void push(coyote::sdk::Message, Done done) override { done(Status::ok()); }
  void push_batch(std::vector<coyote::sdk::Message>, Done done) override { done(Status::ok()); }
  Status pause(const std::vector<std::string>&) override { return Status::ok(); }
  Status resume(const std::vector<std::string>&) override { return Status::ok(); }
  [[nodiscard]] std::vector<std::string> list() const override { return {"test"}; }
  Status declare(const std::map<std::string, std::string>&) override { return Status::ok(); }
  coyote::sdk::Result<std::vector<std::string>> destroy(
      const std::vector<std::string>& p) override {
    return p;
  }
  coyote::sdk::Result<std::vector<coyote::sdk::State>> stat() override {
    return std::vector<coyote::sdk::State>(1);
  }
};

class NullPools final : public coyote::host::worker::PoolControl {
 public:
  [[nodiscard]] std::vector<coyote::host::worker::WorkerInfo> workers() const override {
    return {{}};
  }
  void reset(ResetDone done) override { done(coyote::sdk::Status::ok()); }
  coyote::sdk::Status add_worker() override { return coyote::sdk::Status::ok(); }
  coyote::sdk::Status remove_worker() override { return coyote::sdk::Status::ok(); }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static NullJobs jobs;
  static NullPools pools;
  static const rpc::MethodTable table = rpc::default_methods(jobs, &pools, "fuzz");

  const std::span<const std::uint8_t> bytes(data, size);
  const auto parsed = rpc::parse_request(bytes, 1u << 20);
  if (parsed) {
    table.dispatch(rpc::Call{parsed->codec, parsed->method, parsed->body},
                   [](Status, std::string) {});
  }

  // The argument decoders on the raw input, in both codecs, regardless of framing.
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  for (const rpc::Codec codec : {rpc::Codec::kProto, rpc::Codec::kJson}) {
    coyote::sdk::Message message;
    (void)rpc::decode_push_request(codec, body, message);
    std::vector<coyote::sdk::Message> messages;
    (void)rpc::decode_push_batch_request(codec, body, messages);
    std::vector<std::string> names;
    (void)rpc::decode_pipelines(codec, body, names);
    std::map<std::string, std::string> options;
    (void)rpc::decode_declare_request(codec, body, options);
    std::vector<coyote::sdk::State> states;
    (void)rpc::decode_stats(codec, body, states);
    (void)rpc::decode_empty(codec, body);
  }
  return 0;
}
