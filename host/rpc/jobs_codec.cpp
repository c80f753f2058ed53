#include "rpc/jobs_codec.hpp"

#include "rpc/base64.hpp"
#include "rpc/go_json.hpp"
#include "rpc/job_wire_decoder.hpp"
#include "rpc/jobs.pb.h"

#include <boost/json.hpp>

namespace coyote::host::rpc {
namespace json = boost::json;
namespace {

sdk::Status unsupported(Codec codec) {
  return sdk::Status::error("the " + std::string(codec_name(codec)) +
                            " codec is not supported for jobs.* calls; use proto (flag 0x80) or "
                            "JSON (flag 0x08)");
}

template <typename Proto>
sdk::Status parse_proto(std::string_view body, Proto& out) {
  if (!out.ParseFromArray(body.data(), static_cast<int>(body.size()))) {
    return sdk::Status::error("proto: cannot parse invalid wire-format data for " +
                              out.GetTypeName());
  }
  return sdk::Status::ok();
}

template <typename Proto>
std::string serialize(const Proto& message) {
  std::string out;
  message.SerializeToString(&out);
  return out;
}

// --- proto <-> SDK -------------------------------------------------------------------------

void to_proto(const sdk::Message& message, jobs::v1::Job& job) {
  job.set_job(message.name);
  job.set_id(message.id);
  job.set_payload(message.payload);
  for (const auto& [key, values] : message.headers) {
    auto& hv = (*job.mutable_headers())[key];
    for (const auto& v : values) hv.add_value(v);
  }
  const sdk::JobOptions& o = message.options;
  // Go's client always sends Options; an all-zero Options still encodes as an empty field 5.
  jobs::v1::Options* options = job.mutable_options();
  options->set_priority(o.priority);
  options->set_pipeline(o.pipeline);
  options->set_delay(o.delay_seconds);
  options->set_auto_ack(o.auto_ack);
  options->set_topic(o.topic);
  options->set_metadata(o.metadata);
  options->set_offset(o.offset);
  options->set_partition(o.partition);
}

// --- JSON <-> SDK (Go encoding/json on the generated structs, spec 4.6) ------------------------

sdk::Status from_json_job(const json::value* v, sdk::Message& out, const std::string& where) {
  const json::object* job = nullptr;
  if (auto s = go_json::get_object(v, job, where); !s) return s;
  if (job == nullptr) return sdk::Status::ok();
  if (auto s = go_json::get(go_json::field(*job, "job"), out.name, where + ".job"); !s) return s;
  if (auto s = go_json::get(go_json::field(*job, "id"), out.id, where + ".id"); !s) return s;

  std::string payload64;
  if (auto s = go_json::get(go_json::field(*job, "payload"), payload64, where + ".payload"); !s) {
    return s;
  }
  if (auto s = base64_decode(payload64, out.payload); !s) return s;

  const json::object* headers = nullptr;
  if (auto s = go_json::get_object(go_json::field(*job, "headers"), headers, where + ".headers");
      !s) {
    return s;
  }
  if (headers != nullptr) {
    for (const auto& member : *headers) {
      const std::string hwhere = where + ".headers";
      const json::object* hv = nullptr;
      if (auto s = go_json::get_object(&member.value(), hv, hwhere); !s) return s;
      std::vector<std::string> values;
      if (hv != nullptr) {
        const json::array* arr = nullptr;
        if (auto s = go_json::get_array(go_json::field(*hv, "value"), arr, "HeaderValue.value");
            !s) {
          return s;
        }
        if (arr != nullptr) {
          for (const auto& item : *arr) {
            std::string text;
            if (auto s = go_json::get(&item, text, "HeaderValue.value"); !s) return s;
            values.push_back(std::move(text));
          }
        }
      }
      out.headers.insert_or_assign(std::string(member.key()), std::move(values));
    }
  }

  const json::object* options = nullptr;
  const std::string owhere = where + ".options";
  if (auto s = go_json::get_object(go_json::field(*job, "options"), options, owhere); !s) return s;
  if (options == nullptr) return sdk::Status::ok();
  sdk::JobOptions& o = out.options;
  const auto f = [&](std::string_view name) { return go_json::field(*options, name); };
  if (auto s = go_json::get(f("priority"), o.priority, owhere + ".priority"); !s) return s;
  if (auto s = go_json::get(f("pipeline"), o.pipeline, owhere + ".pipeline"); !s) return s;
  if (auto s = go_json::get(f("delay"), o.delay_seconds, owhere + ".delay"); !s) return s;
  if (auto s = go_json::get(f("auto_ack"), o.auto_ack, owhere + ".auto_ack"); !s) return s;
  if (auto s = go_json::get(f("topic"), o.topic, owhere + ".topic"); !s) return s;
  if (auto s = go_json::get(f("metadata"), o.metadata, owhere + ".metadata"); !s) return s;
  if (auto s = go_json::get(f("offset"), o.offset, owhere + ".offset"); !s) return s;
  return go_json::get(f("partition"), o.partition, owhere + ".partition");
}

json::object to_json_job(const sdk::Message& m) {
  json::object job;
  if (!m.name.empty()) job["job"] = m.name;
  if (!m.id.empty()) job["id"] = m.id;
  if (!m.payload.empty()) job["payload"] = base64_encode(m.payload);
  if (!m.headers.empty()) {
    json::object headers;
    for (const auto& [key, values] : m.headers) {
      json::object hv;
      if (!values.empty()) {
        json::array arr;
        for (const auto& v : values) arr.emplace_back(v);
        hv["value"] = std::move(arr);
      }
      headers[key] = std::move(hv);
    }
    job["headers"] = std::move(headers);
  }
  json::object o;
  const sdk::JobOptions& opt = m.options;
  if (opt.priority != 0) o["priority"] = opt.priority;
  if (!opt.pipeline.empty()) o["pipeline"] = opt.pipeline;
  if (opt.delay_seconds != 0) o["delay"] = opt.delay_seconds;
  if (opt.auto_ack) o["auto_ack"] = true;
  if (!opt.topic.empty()) o["topic"] = opt.topic;
  if (!opt.metadata.empty()) o["metadata"] = opt.metadata;
  if (opt.offset != 0) o["offset"] = opt.offset;
  if (opt.partition != 0) o["partition"] = opt.partition;
  job["options"] = std::move(o);
  return job;
}

sdk::Status json_root_object(std::string_view body, json::value& root, const json::object*& object,
                             std::string_view type) {
  if (auto s = go_json::parse(body, root); !s) return s;
  if (root.is_null()) {
    object = nullptr;
    return sdk::Status::ok();
  }
  if (!root.is_object()) {
    return sdk::Status::error("json: cannot unmarshal " +
                              std::string(root.is_array() ? "array" : "value") +
                              " into Go value of type " + std::string(type));
  }
  object = &root.get_object();
  return sdk::Status::ok();
}

}  // namespace

sdk::Status decode_push_request(Codec codec, std::string_view body, sdk::Message& out) {
  out = sdk::Message{};
  // The hot methods skip libprotobuf: no intermediate Job/Options/map per job (issue 20).
  if (codec == Codec::kProto) return decode_push_wire(body, out);
  if (codec != Codec::kJson) return unsupported(codec);
  json::value root;
  const json::object* object = nullptr;
  if (auto s = json_root_object(body, root, object, "jobsv1.PushRequest"); !s) return s;
  if (object == nullptr) return sdk::Status::ok();
  return from_json_job(go_json::field(*object, "job"), out, "PushRequest.job");
}

sdk::Status decode_push_batch_request(Codec codec, std::string_view body,
                                      std::vector<sdk::Message>& out) {
  out.clear();
  if (codec == Codec::kProto) return decode_push_batch_wire(body, out);
  if (codec != Codec::kJson) return unsupported(codec);
  json::value root;
  const json::object* object = nullptr;
  if (auto s = json_root_object(body, root, object, "jobsv1.PushBatchRequest"); !s) return s;
  if (object == nullptr) return sdk::Status::ok();
  const json::array* jobs = nullptr;
  if (auto s = go_json::get_array(go_json::field(*object, "jobs"), jobs, "PushBatchRequest.jobs");
      !s) {
    return s;
  }
  if (jobs == nullptr) return sdk::Status::ok();
  out.resize(jobs->size());
  for (std::size_t i = 0; i < jobs->size(); ++i) {
    if (auto s = from_json_job(&(*jobs)[i], out[i], "PushBatchRequest.jobs"); !s) return s;
  }
  return sdk::Status::ok();
}

sdk::Status decode_pipelines(Codec codec, std::string_view body, std::vector<std::string>& out) {
  out.clear();
  if (codec == Codec::kProto) {
    jobs::v1::Pipelines request;
    if (auto s = parse_proto(body, request); !s) return s;
    out.assign(request.pipelines().begin(), request.pipelines().end());
    return sdk::Status::ok();
  }
  if (codec != Codec::kJson) return unsupported(codec);
  json::value root;
  const json::object* object = nullptr;
  if (auto s = json_root_object(body, root, object, "jobsv1.Pipelines"); !s) return s;
  if (object == nullptr) return sdk::Status::ok();
  const json::array* names = nullptr;
  if (auto s =
          go_json::get_array(go_json::field(*object, "pipelines"), names, "Pipelines.pipelines");
      !s) {
    return s;
  }
  if (names == nullptr) return sdk::Status::ok();
  for (const auto& item : *names) {
    std::string name;
    if (auto s = go_json::get(&item, name, "Pipelines.pipelines"); !s) return s;
    out.push_back(std::move(name));
  }
  return sdk::Status::ok();
}

sdk::Status decode_declare_request(Codec codec, std::string_view body,
                                   std::map<std::string, std::string>& out) {
  out.clear();
  if (codec == Codec::kProto) {
    jobs::v1::DeclareRequest request;
    if (auto s = parse_proto(body, request); !s) return s;
    out.insert(request.pipeline().begin(), request.pipeline().end());
    return sdk::Status::ok();
  }
  if (codec != Codec::kJson) return unsupported(codec);
  json::value root;
  const json::object* object = nullptr;
  if (auto s = json_root_object(body, root, object, "jobsv1.DeclareRequest"); !s) return s;
  if (object == nullptr) return sdk::Status::ok();
  const json::object* pipeline = nullptr;
  if (auto s = go_json::get_object(go_json::field(*object, "pipeline"), pipeline,
                                   "DeclareRequest.pipeline");
      !s) {
    return s;
  }
  if (pipeline == nullptr) return sdk::Status::ok();
  for (const auto& member : *pipeline) {
    std::string value;
    // Values must be strings (spec 4.6): Go refuses {"priority":10} for map[string]string.
    if (auto s = go_json::get(&member.value(), value, "DeclareRequest.pipeline"); !s) return s;
    out.insert_or_assign(std::string(member.key()), std::move(value));
  }
  return sdk::Status::ok();
}

sdk::Status decode_empty(Codec codec, std::string_view body) {
  if (codec == Codec::kProto) {
    jobs::v1::Empty request;
    return parse_proto(body, request);
  }
  if (codec != Codec::kJson) return unsupported(codec);
  json::value root;
  const json::object* object = nullptr;
  return json_root_object(body, root, object, "jobsv1.Empty");
}

sdk::Status decode_stats(Codec codec, std::string_view body, std::vector<sdk::State>& out) {
  out.clear();
  if (codec == Codec::kProto) {
    jobs::v1::Stats reply;
    if (auto s = parse_proto(body, reply); !s) return s;
    for (const auto& st : reply.stats()) {
      sdk::State state;
      state.pipeline = st.pipeline();
      state.driver = st.driver();
      state.queue = st.queue();
      state.active = st.active();
      state.delayed = st.delayed();
      state.reserved = st.reserved();
      state.ready = st.ready();
      state.priority = st.priority();
      out.push_back(std::move(state));
    }
    return sdk::Status::ok();
  }
  if (codec != Codec::kJson) return unsupported(codec);
  json::value root;
  const json::object* object = nullptr;
  if (auto s = json_root_object(body, root, object, "jobsv1.Stats"); !s) return s;
  if (object == nullptr) return sdk::Status::ok();
  const json::array* stats = nullptr;
  if (auto s = go_json::get_array(go_json::field(*object, "stats"), stats, "Stats.stats"); !s)
    return s;
  if (stats == nullptr) return sdk::Status::ok();
  for (const auto& item : *stats) {
    const json::object* st = nullptr;
    if (auto s = go_json::get_object(&item, st, "Stats.stats"); !s) return s;
    sdk::State state;
    if (st != nullptr) {
      const auto f = [&](std::string_view name) { return go_json::field(*st, name); };
      sdk::Status s = go_json::get(f("pipeline"), state.pipeline, "Stat.pipeline");
      if (s) s = go_json::get(f("driver"), state.driver, "Stat.driver");
      if (s) s = go_json::get(f("queue"), state.queue, "Stat.queue");
      if (s) s = go_json::get(f("active"), state.active, "Stat.active");
      if (s) s = go_json::get(f("delayed"), state.delayed, "Stat.delayed");
      if (s) s = go_json::get(f("reserved"), state.reserved, "Stat.reserved");
      if (s) s = go_json::get(f("ready"), state.ready, "Stat.ready");
      if (s) s = go_json::get(f("priority"), state.priority, "Stat.priority");
      if (!s) return s;
    }
    out.push_back(std::move(state));
  }
  return sdk::Status::ok();
}

std::string encode_push_request(Codec codec, const sdk::Message& message) {
  if (codec == Codec::kJson) {
    json::object root;
    root["job"] = to_json_job(message);
    return json::serialize(root);
  }
  jobs::v1::PushRequest request;
  to_proto(message, *request.mutable_job());
  return serialize(request);
}

std::string encode_push_batch_request(Codec codec, const std::vector<sdk::Message>& messages) {
  if (codec == Codec::kJson) {
    json::array jobs;
    for (const auto& m : messages) jobs.emplace_back(to_json_job(m));
    json::object root;
    if (!jobs.empty()) root["jobs"] = std::move(jobs);
    return json::serialize(root);
  }
  jobs::v1::PushBatchRequest request;
  for (const auto& m : messages) to_proto(m, *request.add_jobs());
  return serialize(request);
}

std::string encode_pipelines(Codec codec, const std::vector<std::string>& pipelines) {
  if (codec == Codec::kJson) {
    json::object root;
    if (!pipelines.empty()) {
      json::array names;
      for (const auto& p : pipelines) names.emplace_back(p);
      root["pipelines"] = std::move(names);
    }
    return json::serialize(root);
  }
  jobs::v1::Pipelines reply;
  for (const auto& p : pipelines) reply.add_pipelines(p);
  return serialize(reply);
}

std::string encode_declare_request(Codec codec, const std::map<std::string, std::string>& options) {
  if (codec == Codec::kJson) {
    json::object root;
    if (!options.empty()) {
      json::object pipeline;
      for (const auto& [k, v] : options) pipeline[k] = v;
      root["pipeline"] = std::move(pipeline);
    }
    return json::serialize(root);
  }
  jobs::v1::DeclareRequest request;
  request.mutable_pipeline()->insert(options.begin(), options.end());
  return serialize(request);
}

std::string encode_empty(Codec codec) { return codec == Codec::kJson ? "{}" : std::string(); }

std::string encode_stats(Codec codec, const std::vector<sdk::State>& states) {
  if (codec == Codec::kJson) {
    json::object root;
    if (!states.empty()) {
      json::array stats;
      for (const auto& st : states) {
        json::object o;
        if (!st.pipeline.empty()) o["pipeline"] = st.pipeline;
        if (!st.driver.empty()) o["driver"] = st.driver;
        if (!st.queue.empty()) o["queue"] = st.queue;
        if (st.active != 0) o["active"] = st.active;
        if (st.delayed != 0) o["delayed"] = st.delayed;
        if (st.reserved != 0) o["reserved"] = st.reserved;
        if (st.ready) o["ready"] = true;
        if (st.priority != 0) o["priority"] = st.priority;
        stats.emplace_back(std::move(o));
      }
      root["stats"] = std::move(stats);
    }
    return json::serialize(root);
  }
  jobs::v1::Stats reply;
  for (const auto& st : states) {
    jobs::v1::Stat* s = reply.add_stats();
    s->set_pipeline(st.pipeline);
    s->set_driver(st.driver);
    s->set_queue(st.queue);
    s->set_active(st.active);
    s->set_delayed(st.delayed);
    s->set_reserved(st.reserved);
    s->set_ready(st.ready);
    s->set_priority(st.priority);
  }
  return serialize(reply);
}

}  // namespace coyote::host::rpc
