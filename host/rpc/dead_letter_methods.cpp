#include "rpc/dead_letter_methods.hpp"

#include <boost/json.hpp>

#include <memory>
#include <optional>
#include <string>
#include <utility>

namespace coyote::host::rpc {
namespace {

namespace json = boost::json;

sdk::Status parse_request(const Call& call, json::object& out) {
  if (call.codec != Codec::kJson) {
    return sdk::Status::error(std::string(call.method) +
                              ": coyote.* methods take the JSON codec only");
  }
  if (call.body.empty()) return sdk::Status::ok();
  boost::system::error_code ec;
  json::value v = json::parse(json::string_view(call.body.data(), call.body.size()), ec);
  if (ec)
    return sdk::Status::error(std::string(call.method) + ": request is not JSON: " + ec.message());
  if (v.is_null() || (v.is_string() && v.get_string().empty())) return sdk::Status::ok();
  if (v.is_string()) {
    out["store"] = v.get_string();
    return sdk::Status::ok();
  }
  if (!v.is_object()) {
    return sdk::Status::error(std::string(call.method) +
                              R"(: request must be an object like {"store":"dlq"})");
  }
  out = std::move(v.get_object());
  return sdk::Status::ok();
}

/// The store a request names, or the only one there is, or the only one holding dead jobs.
sdk::Status pick_store(const jobs::DeadLetters& dead, const json::object& request,
                       std::string& store) {
  const auto stores = dead.dead_stores();
  if (const auto* s = request.if_contains("store");
      s != nullptr && s->is_string() && !s->get_string().empty()) {
    store = std::string(s->get_string());
    for (const auto& name : stores) {
      if (name == store) return sdk::Status::ok();
    }
  } else if (stores.size() == 1) {
    store = stores.front();
    return sdk::Status::ok();
  } else {
    // Every host has the default store besides the named ones: when only one of them holds
    // dead jobs, that is the one meant.
    std::vector<std::string> holding;
    for (const auto& name : stores) {
      if (!dead.dead_list(name).empty()) holding.push_back(name);
    }
    if (holding.size() == 1) {
      store = holding.front();
      return sdk::Status::ok();
    }
  }
  std::string known;
  for (const auto& name : stores) known += (known.empty() ? "" : ", ") + name;
  if (store.empty()) {
    return sdk::Status::error(
        stores.empty() ? std::string("no dead-letter store: set dead_letter on a pipeline")
                       : "name a dead-letter store with \"store\"; stores: " + known);
  }
  return sdk::Status::error("no dead-letter store \"" + store +
                            "\"; stores: " + (known.empty() ? std::string("none") : known));
}

json::object describe(const std::string& store, const jobs::DeadJob& job) {
  json::object headers;
  for (const auto& [key, values] : job.message.headers) {
    json::array list;
    for (const auto& v : values) list.emplace_back(v);
    headers[key] = std::move(list);
  }
  return json::object{
      {"store", store},
      {"id", job.message.id},
      {"job", job.message.name},
      {"origin", job.origin},
      {"attempts", job.attempts},
      {"error", job.last_error},
      {"dead_at",
       std::chrono::duration_cast<std::chrono::seconds>(job.dead_at.time_since_epoch()).count()},
      {"headers", std::move(headers)},
      {"payload", job.message.payload},
  };
}

using Operation = void (jobs::DeadLetters::*)(std::string_view, std::string_view,
                                              jobs::DeadLetters::Done);

void run_each(jobs::DeadLetters& dead, Operation op, const Call& call, const Reply& reply) {
  json::object request;
  if (auto s = parse_request(call, request); !s) return reply(std::move(s), {});
  std::string store;
  const auto picked = pick_store(dead, request, store);
  std::vector<std::string> ids;
  const auto* all = request.if_contains("all");
  const bool every = all != nullptr && all->is_bool() && all->get_bool();
  if (every) {
    if (!picked) return reply(picked, {});
    for (const auto& job : dead.dead_list(store)) ids.push_back(job.message.id);
  } else if (const auto* list = request.if_contains("ids"); list != nullptr && list->is_array()) {
    for (const auto& id : list->get_array()) {
      if (!id.is_string()) {
        return reply(sdk::Status::error(std::string(call.method) + ": \"ids\" must be strings"),
                     {});
      }
      ids.emplace_back(id.get_string());
    }
  } else {
    if (!picked) return reply(picked, {});
    return reply(
        sdk::Status::error(std::string(call.method) + R"(: give "ids":[...] or "all":true)"), {});
  }
  // Each id's store: the one picked, else (no store named, several stores) the one holding it.
  std::vector<std::string> store_of(ids.size(), store);
  std::vector<std::optional<std::string>> errors(ids.size());
  if (!picked) {
    const auto* named = request.if_contains("store");
    if ((named != nullptr && named->is_string() && !named->get_string().empty()) ||
        dead.dead_stores().empty()) {
      return reply(picked, {});
    }
    std::string known;
    for (const auto& name : dead.dead_stores()) {
      known += (known.empty() ? "" : ", ") + name;
      for (const auto& job : dead.dead_list(name)) {
        for (std::size_t i = 0; i < ids.size(); ++i) {
          if (store_of[i].empty() && job.message.id == ids[i]) store_of[i] = name;
        }
      }
    }
    for (std::size_t i = 0; i < ids.size(); ++i) {
      if (store_of[i].empty()) {
        errors[i] = "no dead job \"" + ids[i] + "\" in any dead-letter store (" + known + ")";
      }
    }
  }
  // Every operation is started at once; replies arrive on the loop (now or after a driver's
  // confirmation) and are reported in request order.
  struct Gather {
    std::vector<std::string> ids;
    std::vector<std::optional<std::string>> errors;
    std::size_t pending = 0;
    Reply reply;
  };
  auto gather = std::make_shared<Gather>();
  gather->errors = std::move(errors);
  gather->reply = reply;
  gather->ids = std::move(ids);
  const auto answer = [gather] {
    json::array done;
    json::array failed;
    for (std::size_t k = 0; k < gather->ids.size(); ++k) {
      if (gather->errors[k]) {
        failed.emplace_back(json::object{{"id", gather->ids[k]}, {"error", *gather->errors[k]}});
      } else {
        done.emplace_back(gather->ids[k]);
      }
    }
    gather->reply(sdk::Status::ok(), json::serialize(json::object{{"done", std::move(done)},
                                                                  {"failed", std::move(failed)}}));
  };
  for (std::size_t i = 0; i < gather->ids.size(); ++i) {
    if (!gather->errors[i]) ++gather->pending;
  }
  if (gather->pending == 0) return answer();
  for (std::size_t i = 0; i < gather->ids.size(); ++i) {
    if (gather->errors[i]) continue;
    (dead.*op)(store_of[i], gather->ids[i], [gather, i, answer](const sdk::Status& status) {
      if (!status) gather->errors[i] = status.message();
      if (--gather->pending == 0) answer();
    });
  }
}

}  // namespace

void add_dead_letter_methods(MethodTable& table, jobs::DeadLetters& dead) {
  table.add("coyote.DeadList", [&dead](const Call& call, const Reply& reply) {
    json::object request;
    if (auto s = parse_request(call, request); !s) return reply(std::move(s), {});
    std::vector<std::string> stores;
    const auto* named = request.if_contains("store");
    if (named != nullptr && named->is_string() && !named->get_string().empty()) {
      std::string store;
      if (auto s = pick_store(dead, request, store); !s) return reply(std::move(s), {});
      stores.push_back(store);
    } else {
      stores = dead.dead_stores();
    }
    json::array jobs;
    for (const auto& store : stores) {
      for (const auto& job : dead.dead_list(store)) jobs.emplace_back(describe(store, job));
    }
    reply(sdk::Status::ok(), json::serialize(json::object{{"jobs", std::move(jobs)}}));
  });
  table.add("coyote.DeadReplay", [&dead](const Call& call, const Reply& reply) {
    run_each(dead, &jobs::DeadLetters::dead_replay, call, reply);
  });
  table.add("coyote.DeadDelete", [&dead](const Call& call, const Reply& reply) {
    run_each(dead, &jobs::DeadLetters::dead_delete, call, reply);
  });
}

}  // namespace coyote::host::rpc
