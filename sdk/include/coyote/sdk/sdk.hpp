// Everything a driver author needs, in one include.
#pragma once

#include <coyote/sdk/abi.hpp>
#include <coyote/sdk/completion.hpp>
#include <coyote/sdk/config.hpp>
#include <coyote/sdk/driver.hpp>
#include <coyote/sdk/headers.hpp>
#include <coyote/sdk/job.hpp>
#include <coyote/sdk/logger.hpp>
#include <coyote/sdk/message.hpp>
#include <coyote/sdk/pipeline.hpp>
#include <coyote/sdk/queue.hpp>
#include <coyote/sdk/registrar.hpp>
#include <coyote/sdk/result.hpp>
#include <coyote/sdk/state.hpp>
#include <coyote/sdk/status.hpp>
