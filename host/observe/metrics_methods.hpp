// metrics.Declare / Add / Sub / Observe / Set / Unregister: RoadRunner's metrics RPC service,
// as spiral/roadrunner-metrics calls it.
#pragma once

#include "metrics/app_metrics.hpp"
#include "rpc/method_table.hpp"

namespace coyote::host::observe {

/// JSON codec (what the PHP library sends); every method answers JSON `true` or an error whose
/// text says what to fix:
///   metrics.Add/Sub/Observe/Set  {"name":"app_requests","value":1,"labels":["/home"]}
///   metrics.Declare              {"name":"depth","collector":{"namespace","subsystem","type",
///                                 "help","labels":[..],"buckets":[..],"objectives":{"0.5":0.05}}}
///   metrics.Unregister           "depth"
/// `app` must outlive the table.
void add_metrics_methods(rpc::MethodTable& table, metrics::AppMetrics& app);

}  // namespace coyote::host::observe
