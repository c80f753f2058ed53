// The sqlite plugin's entry point: the driver names `sqlite` and `boltdb`, sharing one
// registry of files so both kinds of pipeline can share a file and its writer.
#include "sqlite/sqlite_driver.hpp"

#include <coyote/sdk/abi.hpp>

#include <csignal>
#include <memory>

namespace {

void register_drivers(coyote::sdk::Registrar& registrar) {
  // A file size limit (ulimit -f) must fail a write with EFBIG, which the store reports and
  // recovers from, rather than kill the host with SIGXFSZ. Only the default is changed: a
  // host that handles the signal itself keeps its handler.
  struct sigaction current {};
  if (::sigaction(SIGXFSZ, nullptr, &current) == 0 && current.sa_handler == SIG_DFL) {
    (void)std::signal(SIGXFSZ, SIG_IGN);
  }
  namespace sqlite = coyote::drivers::sqlite;
  auto registry = std::make_shared<sqlite::FileRegistry>();
  registrar.add_driver(std::make_unique<sqlite::SqliteConstructor>(
      sqlite::kSqliteFlavor, registry, registrar.config(), registrar.logger()));
  registrar.add_driver(std::make_unique<sqlite::SqliteConstructor>(
      sqlite::kBoltdbFlavor, registry, registrar.config(), registrar.logger()));
}

}  // namespace

COYOTE_PLUGIN("sqlite", register_drivers)
