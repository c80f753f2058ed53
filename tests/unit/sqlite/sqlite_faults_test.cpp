// Faults of the sqlite driver: each refuses pushes with an error reply that says what to fix
// (never a false acknowledgement), keeps the host up, and clears by itself.
#include "sqlite/store/database.hpp"
#include "unit/sqlite/sqlite_rig.hpp"

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <catch2/catch.hpp>

#include <csignal>
#include <cstdio>
#include <fstream>
#include <set>

using namespace coyote::test::sqlite;  // NOLINT(google-build-using-namespace): test-local rig
using coyote::test::push_now;
using coyote::test::TempDir;

namespace {

/// In a child: a failed expectation ends it with `code` after saying why on stderr.
#define CHILD_EXPECT(cond, code)                                               \
  do {                                                                         \
    if (!(cond)) {                                                             \
      std::fprintf(stderr, "child: expected %s (line %d)\n", #cond, __LINE__); \
      return code;                                                             \
    }                                                                          \
  } while (0)

/// A private mount namespace for this (child) process, so test mounts vanish with it.
bool private_mounts() {
  if (::unshare(CLONE_NEWNS) != 0) return false;
  return ::mount("none", "/", nullptr, MS_REC | MS_PRIVATE, nullptr) == 0;
}

constexpr int kSkipped = 77;

}  // namespace

TEST_CASE("a missing directory refuses sqlite pushes with what to fix, until it exists",
          "[sqlite][faults]") {
  TempDir dir;
  Rig rig(dir.path());
  const auto missing = dir.path() / "not-yet";
  auto driver = rig.declare("p", {{"file", (missing / "jobs.db").string()}});
  const auto refused = push_now(*driver, job("early"));
  REQUIRE_FALSE(refused);
  CHECK_THAT(refused.message(),
             Catch::Contains("directory " + missing.string() + " does not exist; create it"));
  CHECK_THAT(driver->state().error, Catch::Contains("does not exist"));
  std::filesystem::create_directory(missing);
  CHECK(eventually([&] { return push_now(*driver, job("later")).is_ok(); }));
  CHECK(eventually([&] { return driver->state().error.empty(); }));
  CHECK(rig.logger.contains("works again"));
  CHECK(eventually([&] { return driver->state().active == 1; }));  // only the acknowledged one
}

TEST_CASE("an unwritable directory refuses sqlite pushes with what to fix, until it is writable",
          "[sqlite][faults]") {
  TempDir dir;
  const int rc = in_child([&] {
    const auto ro = dir.path() / "ro";
    std::filesystem::create_directory(ro);
    const bool mounted = ::geteuid() == 0 && private_mounts() &&
                         ::mount("tmpfs", ro.c_str(), "tmpfs", MS_RDONLY, "size=1m") == 0;
    if (!mounted) {
      if (::geteuid() == 0) return kSkipped;  // root without mount rights: no way to deny it
      ::chmod(ro.c_str(), 0555);
    }
    Rig rig(dir.path());
    auto driver = rig.declare("p", {{"file", (ro / "jobs.db").string()}});
    const auto refused = push_now(*driver, job("x"));
    CHILD_EXPECT(!refused, 2);
    CHILD_EXPECT(refused.message().find("writable by uid") != std::string::npos, 3);
    if (mounted) {
      CHILD_EXPECT(::mount(nullptr, ro.c_str(), nullptr, MS_REMOUNT, "size=1m") == 0, 4);
    } else {
      ::chmod(ro.c_str(), 0755);
    }
    CHILD_EXPECT(eventually([&] { return push_now(*driver, job("y")).is_ok(); }), 5);
    CHILD_EXPECT(rig.logger.contains("works again"), 6);
    return 0;
  });
  if (rc == kSkipped) {
    WARN("skipped: cannot mount a read-only file system here");
    return;
  }
  CHECK(rc == 0);
}

TEST_CASE("a sqlite file locked by another process is refused naming it, then taken over",
          "[sqlite][faults]") {
  TempDir dir;
  const std::string file = (dir.path() / "jobs.db").string();
  int ready[2];
  int release[2];
  REQUIRE(::pipe(ready) == 0);
  REQUIRE(::pipe(release) == 0);
  const pid_t holder = ::fork();
  if (holder == 0) {
    ::close(release[1]);
    auto db = coyote::sqlite::Database::open(coyote::sqlite::OpenOptions{file});
    char c = 1;
    (void)::write(ready[1], &c, 1);
    (void)::read(release[0], &c, 1);  // holds the lock until the parent lets go
    db.reset();
    ::_exit(0);
  }
  ::close(release[0]);
  char c = 0;
  REQUIRE(::read(ready[0], &c, 1) == 1);
  Rig rig(dir.path());
  auto driver = rig.declare("p", {});
  const auto refused = push_now(*driver, job("x"));
  REQUIRE_FALSE(refused);
  CHECK_THAT(refused.message(),
             Catch::Contains(file + " is locked by process " + std::to_string(holder)));
  CHECK_THAT(refused.message(), Catch::Contains("a second Coyote"));
  CHECK(rig.logger.contains("is locked by process"));
  ::close(release[1]);
  int status = 0;
  ::waitpid(holder, &status, 0);
  CHECK(eventually([&] { return push_now(*driver, job("y")).is_ok(); }));
  CHECK(eventually([&] { return driver->state().error.empty(); }));
  ::close(ready[0]);
  ::close(ready[1]);
}

TEST_CASE("a corrupted sqlite file is refused with what to fix, until it is moved away",
          "[sqlite][faults]") {
  TempDir dir;
  const std::string file = (dir.path() / "jobs.db").string();
  {
    Rig rig(dir.path());
    auto driver = rig.declare("p", {});
    std::vector<coyote::sdk::Message> batch;
    for (int i = 0; i < 2000; ++i) batch.push_back(job("j" + std::to_string(i)));
    REQUIRE(coyote::test::push_batch_now(*driver, std::move(batch)));
  }
  {
    // Garbage over every page but the first (the header and the schema stay readable).
    std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(0, std::ios::end);
    const auto size = static_cast<std::size_t>(f.tellg());
    REQUIRE(size > 3 * 4096);
    f.seekp(4096);
    const std::string garbage(size - 4096, '\xA5');
    f.write(garbage.data(), static_cast<std::streamsize>(garbage.size()));
  }
  Rig rig(dir.path());
  auto driver = rig.declare("p", {});
  const auto refused = push_now(*driver, job("x"));
  REQUIRE_FALSE(refused);
  CHECK_THAT(refused.message(), Catch::Contains(file) && Catch::Contains("corrupted") &&
                                    Catch::Contains("restore the file from a backup, or move it "
                                                    "away with its -wal file"));
  // The operator moves it away: a new store starts, the damaged file is kept as it was.
  std::filesystem::rename(file, file + ".damaged");
  CHECK(eventually([&] { return push_now(*driver, job("y")).is_ok(); }));
  CHECK(std::filesystem::file_size(file + ".damaged") > 3 * 4096);
  CHECK(rig.logger.contains("works again"));
}

TEST_CASE("a full disk refuses sqlite pushes, keeps acknowledgements, and recovers",
          "[sqlite][faults]") {
  TempDir dir;
  const int rc = in_child([&] {
    const auto small = dir.path() / "small";
    std::filesystem::create_directory(small);
    if (::geteuid() != 0 || !private_mounts() ||
        ::mount("tmpfs", small.c_str(), "tmpfs", 0, "size=4m") != 0) {
      return kSkipped;
    }
    Rig rig(dir.path());
    auto driver = rig.declare("p", {{"file", (small / "jobs.db").string()}, {"prefetch", "5"}});
    CHILD_EXPECT(driver->run(), 2);
    for (int i = 0; i < 5; ++i) CHILD_EXPECT(push_now(*driver, job("w" + std::to_string(i))), 3);
    auto at_workers = rig.take(5);
    CHILD_EXPECT(at_workers.size() == 5, 4);
    {
      // Most of the space goes to something else; the store fills the rest.
      std::ofstream ballast(small / "ballast", std::ios::binary);
      const std::string chunk(1 << 20, 'b');
      for (int i = 0; i < 3; ++i) ballast.write(chunk.data(), chunk.size());
    }
    std::set<std::string> acknowledged;
    coyote::sdk::Status refused;
    const std::string big(16 * 1024, 'x');
    for (int i = 0; i < 1000 && refused.is_ok(); ++i) {
      const std::string id = "big" + std::to_string(i);
      refused = push_now(*driver, job(id, 0, 0, big));
      if (refused) acknowledged.insert(id);
    }
    CHILD_EXPECT(!refused, 5);
    CHILD_EXPECT(refused.message().find("is full; free space there") != std::string::npos, 6);
    CHILD_EXPECT(driver->state().error.find("full") != std::string::npos, 7);
    for (auto& j : at_workers) CHILD_EXPECT(j->ack(), 8);  // accepted, written later
    at_workers.clear();
    std::filesystem::remove(small / "ballast");
    CHILD_EXPECT(eventually([&] { return push_now(*driver, job("after")).is_ok(); }), 9);
    // Every acknowledged push is there, and the acknowledgements were written.
    std::set<std::string> delivered;
    (void)eventually([&] {
      while (auto taken = rig.queue.take()) {
        delivered.insert(taken->job->id());
        (void)taken->job->ack();
      }
      return delivered.size() >= acknowledged.size() + 1;
    });
    for (const auto& id : acknowledged) CHILD_EXPECT(delivered.count(id) == 1, 10);
    CHILD_EXPECT(delivered.count("after") == 1, 11);
    for (int i = 0; i < 5; ++i) CHILD_EXPECT(delivered.count("w" + std::to_string(i)) == 0, 12);
    return 0;
  });
  if (rc == kSkipped) {
    WARN("skipped: cannot mount a small tmpfs here (needs root)");
    return;
  }
  CHECK(rc == 0);
}

TEST_CASE("a file size limit refuses sqlite pushes instead of killing the host, and recovers",
          "[sqlite][faults]") {
  TempDir dir;
  const int rc = in_child([&] {
    (void)std::signal(SIGXFSZ, SIG_IGN);  // what the plugin's registration does
    Rig rig(dir.path());
    auto driver = rig.declare("p", {});
    CHILD_EXPECT(push_now(*driver, job("first")), 2);
    rlimit limit{};
    ::getrlimit(RLIMIT_FSIZE, &limit);
    const rlimit raised = limit;
    limit.rlim_cur = 1 << 20;
    CHILD_EXPECT(::setrlimit(RLIMIT_FSIZE, &limit) == 0, 3);
    coyote::sdk::Status refused;
    const std::string big(32 * 1024, 'x');
    for (int i = 0; i < 200 && refused.is_ok(); ++i)
      refused = push_now(*driver, job("b", 0, 0, big));
    CHILD_EXPECT(!refused, 4);
    CHILD_EXPECT(refused.message().find("file size limit") != std::string::npos, 5);
    CHILD_EXPECT(::setrlimit(RLIMIT_FSIZE, &raised) == 0, 6);
    CHILD_EXPECT(eventually([&] { return push_now(*driver, job("after")).is_ok(); }), 7);
    return 0;
  });
  CHECK(rc == 0);
}
