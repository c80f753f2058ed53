// coyote.DeadList / coyote.DeadReplay / coyote.DeadDelete: the dead-letter stores over RPC.
#pragma once

#include "jobs/dead_letters.hpp"
#include "rpc/method_table.hpp"

namespace coyote::host::rpc {

/// JSON codec only (these are Coyote methods; no protobuf schema exists for them).
///
///   coyote.DeadList   {"store":"dlq"}                  → {"jobs":[{"store","id","job","origin",
///                     {} or "" : every store                 "attempts","error","dead_at",
///                                                            "headers","payload"}]}
///   coyote.DeadReplay {"store":"dlq","ids":["a","b"]}  → {"done":["a"],"failed":[{"id","error"}]}
///                     {"store":"dlq","all":true}
///   coyote.DeadDelete same request and reply shape as DeadReplay.
///
/// "store" may be left out when exactly one dead-letter store exists. `dead_at` is Unix seconds.
/// `dead` must outlive the table (the engine's DeadLetterOffice does).
void add_dead_letter_methods(MethodTable& table, jobs::DeadLetters& dead);

}  // namespace coyote::host::rpc
