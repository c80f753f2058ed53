// The sqlite/boltdb driver on real files and a real host queue: ordering, priorities, delays,
// requeue, recovery after a crash, counts, sharing a file.
#include "sqlite/job_statements.hpp"
#include "unit/sqlite/sqlite_rig.hpp"

#include <sqlite3.h>
#include <sys/stat.h>

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <iterator>

using namespace coyote::test::sqlite;  // NOLINT(google-build-using-namespace): test-local rig
using coyote::test::push_batch_now;
using coyote::test::push_now;
using coyote::test::TempDir;

namespace {

/// One row of the jobs table, read with a plain connection after every store closed.
struct Row {
  std::int64_t state = -1;
  std::int64_t attempt = 0;
  std::int64_t due = 0;
  bool has_headers = false;
};

std::vector<std::pair<std::string, Row>> rows(const std::string& file) {
  std::vector<std::pair<std::string, Row>> out;
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open_v2(file.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  REQUIRE(sqlite3_prepare_v2(db,
                             "SELECT id, state, attempt, due, headers IS NOT NULL FROM jobs "
                             "ORDER BY seq",
                             -1, &st, nullptr) == SQLITE_OK);
  while (sqlite3_step(st) == SQLITE_ROW) {
    Row r;
    r.state = sqlite3_column_int64(st, 1);
    r.attempt = sqlite3_column_int64(st, 2);
    r.due = sqlite3_column_int64(st, 3);
    r.has_headers = sqlite3_column_int(st, 4) != 0;
    out.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)), r);
  }
  sqlite3_finalize(st);
  sqlite3_close(db);
  return out;
}

std::string read_all(const std::string& file) {
  std::ifstream in(file, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

TEST_CASE("sqlite pipeline delivers by priority and FIFO within a priority", "[sqlite]") {
  TempDir dir;
  Rig rig(dir.path());
  auto driver = rig.declare("p", {{"prefetch", "1"}});
  for (const auto& [id, priority] : std::vector<std::pair<std::string, int>>{
           {"a5", 5}, {"b1", 1}, {"c5", 5}, {"d1", 1}, {"e3", 3}, {"f1", 1}}) {
    REQUIRE(push_now(*driver, job(id, priority)));
  }
  REQUIRE(driver->run());
  // prefetch 1: the store alone decides the order, one job at a time.
  std::vector<std::string> order;
  for (int i = 0; i < 6; ++i) {
    auto got = rig.take(1);
    REQUIRE(got.size() == 1);
    order.push_back(got[0]->id());
    REQUIRE(got[0]->ack());
  }
  CHECK(order == std::vector<std::string>{"b1", "d1", "f1", "e3", "a5", "c5"});
  CHECK(eventually([&] { return driver->state().reserved == 0; }));
}

TEST_CASE("sqlite prefetch caps the jobs handed to the host", "[sqlite]") {
  TempDir dir;
  Rig rig(dir.path());
  auto driver = rig.declare("p", {{"prefetch", "3"}});
  for (int i = 0; i < 5; ++i) REQUIRE(push_now(*driver, job("j" + std::to_string(i))));
  REQUIRE(driver->run());
  auto first = rig.take(3);
  REQUIRE(ids(first) == std::vector<std::string>{"j0", "j1", "j2"});
  CHECK(eventually([&] {
    auto s = driver->state();
    return s.reserved == 3 && s.active == 2;
  }));
  std::this_thread::sleep_for(std::chrono::milliseconds{50});
  CHECK(rig.queue.size() == 0);  // nothing beyond the cap
  REQUIRE(first[0]->ack());
  auto next = rig.take(1);
  REQUIRE(ids(next) == std::vector<std::string>{"j3"});
}

TEST_CASE("an acknowledged sqlite push survives the process dying right after", "[sqlite]") {
  TempDir dir;
  const std::string file = (dir.path() / "jobs.db").string();
  const int rc = in_child([&] {
    Rig rig(dir.path());
    auto driver = rig.declare("p", {});
    if (!push_now(*driver, job("single"))) return 2;
    std::vector<coyote::sdk::Message> batch;
    for (int i = 0; i < 100; ++i) batch.push_back(job("b" + std::to_string(i)));
    if (!push_batch_now(*driver, std::move(batch))) return 3;
    crash();  // no destructor, no final flush, no checkpoint
  });
  REQUIRE(rc == 0);
  const auto stored = rows(file);
  REQUIRE(stored.size() == 101);
  CHECK(stored.front().first == "single");
  CHECK(stored.back().first == "b99");
}

TEST_CASE("sqlite jobs reserved when the host died are delivered again as a new attempt",
          "[sqlite]") {
  TempDir dir;
  const int rc = in_child([&] {
    Rig rig(dir.path());
    auto driver = rig.declare("p", {});
    if (!driver->run()) return 2;
    for (int i = 0; i < 3; ++i) {
      if (!push_now(*driver, job("r" + std::to_string(i)))) return 3;
    }
    auto held = rig.take(3);
    if (held.size() != 3) return 4;
    // r0 finished; r1 was already a second attempt when the host died.
    (void)held[0]->ack();
    (void)held[1]->requeue({{std::string(coyote::sdk::kAttemptHeader), {"2"}}},
                           std::chrono::seconds{0});
    auto again = rig.take(1);
    if (again.size() != 1 || again[0]->id() != "r1") return 5;
    if (!eventually([&] { return driver->state().reserved == 2; })) return 6;
    crash();  // killed with r1 and r2 at workers
  });
  REQUIRE(rc == 0);
  Rig rig(dir.path());
  auto driver = rig.declare("p", {});
  CHECK(eventually([&] { return driver->state().active == 2; }));
  CHECK(driver->state().reserved == 0);
  REQUIRE(driver->run());
  auto back = rig.take(2);
  REQUIRE(ids(back) == std::vector<std::string>{"r2", "r1"});  // r1 was requeued to the back
  CHECK(back[0]->headers().at(std::string(coyote::sdk::kAttemptHeader)) ==
        std::vector<std::string>{"2"});
  CHECK(back[1]->headers().at(std::string(coyote::sdk::kAttemptHeader)) ==
        std::vector<std::string>{"3"});
  CHECK(rig.logger.contains("2 job(s) were handed to workers when the host stopped"));
}

TEST_CASE("a delayed sqlite job is delivered at its due time, not before", "[sqlite]") {
  TempDir dir;
  Rig rig(dir.path());
  auto driver = rig.declare("p", {});
  REQUIRE(driver->run());
  const auto pushed = std::chrono::steady_clock::now();
  // Two jobs due in the same second must not collide (RoadRunner's boltdb keys them by it).
  REQUIRE(push_now(*driver, job("late-a", 0, 1)));
  REQUIRE(push_now(*driver, job("late-b", 0, 1)));
  REQUIRE(push_now(*driver, job("now")));
  auto now = rig.take(1);
  CHECK(ids(now) == std::vector<std::string>{"now"});
  CHECK(eventually([&] { return driver->state().delayed == 2; }));
  auto late = rig.take(2);
  CHECK(std::chrono::steady_clock::now() - pushed >= std::chrono::milliseconds{990});
  CHECK(ids(late) == std::vector<std::string>{"late-a", "late-b"});
  CHECK(eventually([&] { return driver->state().delayed == 0; }));
}

TEST_CASE("delayed sqlite jobs survive a crash and run at their due time", "[sqlite]") {
  TempDir dir;
  const auto due = std::chrono::steady_clock::now() + std::chrono::seconds{2};
  const int rc = in_child([&] {
    Rig rig(dir.path());
    auto driver = rig.declare("p", {});
    for (int i = 0; i < 50; ++i) {
      if (!push_now(*driver, job("d" + std::to_string(i), 0, 2))) return 2;
    }
    crash();
  });
  REQUIRE(rc == 0);
  Rig rig(dir.path());
  auto driver = rig.declare("p", {});
  REQUIRE(driver->run());
  CHECK(eventually([&] { return driver->state().delayed == 50; }));
  CHECK(rig.queue.size() == 0);
  auto all = rig.take(50);
  CHECK(std::chrono::steady_clock::now() >= due - std::chrono::milliseconds{10});
  CHECK(all.size() == 50);
}

TEST_CASE("sqlite requeue rewrites headers, attempt and due time and moves the job last",
          "[sqlite]") {
  TempDir dir;
  const std::string file = (dir.path() / "jobs.db").string();
  {
    Rig rig(dir.path());
    auto driver = rig.declare("p", {{"prefetch", "1"}});
    REQUIRE(push_now(*driver, job("a")));
    REQUIRE(push_now(*driver, job("b")));
    REQUIRE(driver->run());
    auto a = rig.take(1);
    REQUIRE(ids(a) == std::vector<std::string>{"a"});
    REQUIRE(a[0]->requeue({{"h", {"v"}}, {std::string(coyote::sdk::kAttemptHeader), {"2"}}},
                          std::chrono::seconds{0}));
    a.clear();
    auto b = rig.take(1);
    REQUIRE(ids(b) == std::vector<std::string>{"b"});
    REQUIRE(b[0]->ack());
    auto again = rig.take(1);
    REQUIRE(ids(again) == std::vector<std::string>{"a"});
    CHECK(again[0]->headers().at("h") == std::vector<std::string>{"v"});
    CHECK(again[0]->headers().at(std::string(coyote::sdk::kAttemptHeader)) ==
          std::vector<std::string>{"2"});
    REQUIRE(again[0]->requeue({{"h", {"w"}}}, std::chrono::seconds{60}));
    CHECK(eventually([&] { return driver->state().delayed == 1; }));
  }
  const auto stored = rows(file);
  REQUIRE(stored.size() == 1);
  CHECK(stored[0].first == "a");
  CHECK(stored[0].second.state == coyote::drivers::sqlite::kDelayed);
  CHECK(stored[0].second.attempt == 2);
  CHECK(stored[0].second.has_headers);
  CHECK(stored[0].second.due > 0);
}

TEST_CASE("sqlite nack with requeue keeps the job's place and a plain nack deletes it",
          "[sqlite]") {
  TempDir dir;
  Rig rig(dir.path());
  auto driver = rig.declare("p", {{"prefetch", "1"}});
  for (const char* id : {"a", "b", "c"}) REQUIRE(push_now(*driver, job(id)));
  REQUIRE(driver->run());
  auto a = rig.take(1);
  REQUIRE(a[0]->nack_with_options(true, std::chrono::seconds{0}));
  a.clear();
  auto a_again = rig.take(1);
  REQUIRE(ids(a_again) == std::vector<std::string>{"a"});
  REQUIRE(a_again[0]->nack());
  auto b = rig.take(1);
  REQUIRE(ids(b) == std::vector<std::string>{"b"});
  // Destroyed without an acknowledgement (the host removed it): back at its place.
  b.clear();
  auto b_again = rig.take(1);
  REQUIRE(ids(b_again) == std::vector<std::string>{"b"});
  REQUIRE(b_again[0]->ack());
  CHECK(ids(rig.take(1)) == std::vector<std::string>{"c"});
  CHECK(eventually([&] {
    auto s = driver->state();
    return s.active == 0 && s.reserved == 1;
  }));
}

TEST_CASE("a paused sqlite pipeline keeps accepting pushes and delivers them on resume",
          "[sqlite]") {
  TempDir dir;
  Rig rig(dir.path());
  auto driver = rig.declare("p", {});
  CHECK(driver->pause().message() == "no active listeners, nothing to pause");
  REQUIRE(driver->run());
  REQUIRE(driver->pause());
  CHECK_FALSE(driver->state().ready);
  REQUIRE(push_now(*driver, job("while-paused")));
  std::this_thread::sleep_for(std::chrono::milliseconds{50});
  CHECK(rig.queue.size() == 0);
  CHECK(driver->state().active == 1);
  REQUIRE(driver->resume());
  CHECK(driver->resume().message() == "sqlite listener is already in the active state");
  CHECK(ids(rig.take(1)) == std::vector<std::string>{"while-paused"});
}

TEST_CASE("sqlite counts for jobs.Stat are read from the store after a restart", "[sqlite]") {
  TempDir dir;
  {
    Rig rig(dir.path());
    auto driver = rig.declare("p", {{"prefetch", "1"}});
    for (int i = 0; i < 3; ++i) REQUIRE(push_now(*driver, job("r" + std::to_string(i))));
    REQUIRE(push_now(*driver, job("later", 0, 600)));
    REQUIRE(driver->run());
    auto held = rig.take(1);
    CHECK(eventually([&] {
      auto s = driver->state();
      return s.active == 2 && s.delayed == 1 && s.reserved == 1;
    }));
    // A graceful stop: the job at the "worker" is destroyed unacknowledged.
  }
  Rig rig(dir.path());
  auto driver = rig.declare("p", {});
  CHECK(eventually([&] {
    auto s = driver->state();
    return s.active == 3 && s.delayed == 1 && s.reserved == 0;
  }));
  CHECK_FALSE(rig.logger.contains("handed to workers"));  // nothing to recover: it was put back
}

TEST_CASE("sqlite pipelines on one file share one writer thread", "[sqlite]") {
  TempDir dir;
  Rig rig(dir.path());
  const auto before = thread_count();
  auto a = rig.declare("a", {});
  auto b = rig.declare("b", {});
  auto c = rig.boltdb.from_pipeline(
      coyote::sdk::Pipeline("c", "boltdb", 10, {{"file", rig.file()}}), rig.queue);
  CHECK(thread_count() == before + 1);
  auto other = rig.declare("d", {{"file", rig.file("other.db")}});
  CHECK(thread_count() == before + 2);
  REQUIRE(a->run());
  REQUIRE(c->run());
  REQUIRE(push_now(*a, job("to-a")));
  REQUIRE(push_now(*b, job("to-b")));
  REQUIRE(push_now(*c, job("to-c")));
  auto got = rig.take(2);
  std::sort(got.begin(), got.end(), [](auto& x, auto& y) { return x->id() < y->id(); });
  REQUIRE(ids(got) == std::vector<std::string>{"to-a", "to-c"});
  CHECK(got[0]->pipeline() == "a");
  CHECK(got[1]->context().find("\"driver\":\"boltdb\"") != std::string::npos);
  CHECK(eventually([&] { return b->state().active == 1; }));
  CHECK_THROWS_WITH(rig.declare("a", {}), Catch::Contains("pipeline a already uses"));
}

TEST_CASE("a destroyed sqlite pipeline keeps its jobs for the next declaration of its name",
          "[sqlite]") {
  TempDir dir;
  Rig rig(dir.path());
  auto driver = rig.declare("p", {});
  REQUIRE(driver->run());
  REQUIRE(push_now(*driver, job("at-worker")));
  auto at_worker = rig.take(1);
  REQUIRE(driver->pause());
  REQUIRE(push_now(*driver, job("waiting")));
  REQUIRE(driver->stop());  // jobs.Destroy
  CHECK_FALSE(push_now(*driver, job("refused")));
  // The host may keep the destroyed pipeline's driver alive past a new declaration.
  auto retired = std::move(driver);
  // The job still at a worker is acknowledged into the file all the same.
  REQUIRE(at_worker[0]->ack());
  at_worker.clear();
  auto again = rig.declare("p", {});
  CHECK(eventually([&] {
    auto s = again->state();
    return s.active == 1 && s.reserved == 0;
  }));
  REQUIRE(again->run());
  auto waiting = rig.take(1);
  CHECK(ids(waiting) == std::vector<std::string>{"waiting"});
  retired.reset();  // the old driver going away leaves the new pipeline running
  REQUIRE(waiting[0]->ack());
  REQUIRE(push_now(*again, job("still-running")));
  CHECK(ids(rig.take(1)) == std::vector<std::string>{"still-running"});
}

TEST_CASE("boltdb takes RoadRunner's keys from .rr.yaml and PHP's strings from Declare",
          "[sqlite]") {
  TempDir dir;
  Rig rig(dir.path());
  const mode_t old_umask = ::umask(022);
  SECTION("Declare as BoltdbCreateInfo sends it") {
    auto driver = rig.boltdb.from_pipeline(coyote::sdk::Pipeline("bolt", "boltdb", 10,
                                                                 {{"name", "bolt"},
                                                                  {"driver", "boltdb"},
                                                                  {"priority", "10"},
                                                                  {"prefetch", "10000"},
                                                                  {"file", rig.file("rr.db")},
                                                                  {"permissions", "493"}}),
                                           rig.queue);
    REQUIRE(driver->run());
    REQUIRE(push_now(*driver, job("php")));
    auto got = rig.take(1);
    REQUIRE(got.size() == 1);
    CHECK(got[0]->context() ==
          R"({"id":"php","job":"t","driver":"boltdb","headers":{},"queue":"push",)"
          R"("pipeline":"bolt"})");
    CHECK(driver->state().queue == "push");
    CHECK(driver->state().driver == "boltdb");
    struct stat st {};
    REQUIRE(::stat(rig.file("rr.db").c_str(), &st) == 0);
    CHECK((st.st_mode & 07777) == 0755);
  }
  SECTION(".rr.yaml with an octal mode and RoadRunner's defaults") {
    rig.config.set("jobs.pipelines.bolt.config.file", rig.file("yaml.db"));
    rig.config.set("jobs.pipelines.bolt.config.permissions", std::string("0640"));
    rig.config.set("jobs.pipelines.bolt.config.prefetch", std::int64_t{2});
    auto driver = rig.boltdb.from_config("jobs.pipelines.bolt.config", rig.queue,
                                         coyote::sdk::Pipeline("bolt", "boltdb", 10));
    REQUIRE(driver->run());
    for (int i = 0; i < 3; ++i) REQUIRE(push_now(*driver, job("y" + std::to_string(i))));
    CHECK(rig.take(2).size() == 2);
    CHECK(eventually([&] { return driver->state().reserved == 2; }));
    struct stat st {};
    REQUIRE(::stat(rig.file("yaml.db").c_str(), &st) == 0);
    CHECK((st.st_mode & 07777) == 0640);
  }
  ::umask(old_umask);
}

TEST_CASE("an existing bbolt or other non-SQLite file is refused by name and never touched",
          "[sqlite]") {
  TempDir dir;
  Rig rig(dir.path());
  std::string bbolt(4096, '\0');
  const unsigned char magic[] = {0xED, 0xDA, 0x0C, 0xED};
  std::memcpy(bbolt.data() + 16, magic, sizeof magic);
  {
    std::ofstream(rig.file("rr.db"), std::ios::binary) << bbolt;
    std::ofstream(rig.file("notes.txt"), std::ios::binary) << "hello, not a database";
  }
  CHECK_THROWS_WITH(
      rig.boltdb.from_pipeline(
          coyote::sdk::Pipeline("b", "boltdb", 10, {{"file", rig.file("rr.db")}}), rig.queue),
      Catch::Contains(rig.file("rr.db") + " is a bbolt (BoltDB) file") &&
          Catch::Contains("never overwrites"));
  rig.config.set("jobs.pipelines.n.config.file", rig.file("notes.txt"));
  try {
    (void)rig.sqlite.from_config("jobs.pipelines.n.config", rig.queue,
                                 coyote::sdk::Pipeline("n", "sqlite", 10));
    FAIL("a text file was accepted");
  } catch (const coyote::sdk::ConfigError& e) {
    CHECK(e.key() == "jobs.pipelines.n.config.file");
    CHECK_THAT(e.problem(), Catch::Contains("is not a SQLite database"));
  }
  CHECK(read_all(rig.file("rr.db")) == bbolt);
  CHECK(read_all(rig.file("notes.txt")) == "hello, not a database");
  CHECK_FALSE(std::filesystem::exists(rig.file("rr.db") + "-wal"));
}

TEST_CASE("a SQLite database of another application is refused and left unchanged", "[sqlite]") {
  TempDir dir;
  Rig rig(dir.path());
  const std::string file = rig.file("app.db");
  {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(file.c_str(), &db) == SQLITE_OK);
    REQUIRE(sqlite3_exec(db, "CREATE TABLE users(name TEXT)", nullptr, nullptr, nullptr) ==
            SQLITE_OK);
    sqlite3_close(db);
  }
  const std::string before = read_all(file);
  auto driver = rig.declare("p", {{"file", file}});
  const auto status = push_now(*driver, job("x"));
  REQUIRE_FALSE(status);
  CHECK_THAT(status.message(), Catch::Contains("a SQLite database of another application "
                                               "(tables: users)"));
  CHECK_THAT(driver->state().error, Catch::Contains("another application"));
  driver.reset();
  CHECK(read_all(file) == before);
}

TEST_CASE("sqlite options that make no sense are refused with what to write", "[sqlite]") {
  TempDir dir;
  Rig rig(dir.path());
  CHECK_THROWS_WITH(rig.declare("p", {{"prefetch", "lots"}}),
                    Catch::Contains("prefetch: must be a positive number"));
  CHECK_THROWS_WITH(rig.declare("p", {{"durability", "fast"}}),
                    Catch::Contains("must be \"disk\"") && Catch::Contains("\"process\""));
  CHECK_THROWS_WITH(rig.declare("p", {{"permissions", "rw-r--r--"}}),
                    Catch::Contains("not a file mode: write it in octal"));
  rig.config.set("jobs.pipelines.q.config.prefetch", std::int64_t{0});
  CHECK_THROWS_AS(rig.sqlite.from_config("jobs.pipelines.q.config", rig.queue,
                                         coyote::sdk::Pipeline("q", "sqlite", 10)),
                  coyote::sdk::ConfigError);
}

TEST_CASE("a file shared by two durabilities keeps the stronger one", "[sqlite]") {
  TempDir dir;
  Rig rig(dir.path());
  auto fast = rig.declare("fast", {{"durability", "process"}});
  auto safe = rig.declare("safe", {{"durability", "disk"}});
  CHECK(rig.logger.contains("durability raised to \"disk\""));
  auto late = rig.declare("late", {{"durability", "process"}});
  CHECK(rig.logger.contains("stays at \"disk\" for pipeline safe"));
  REQUIRE(push_now(*fast, job("ok")));
}
