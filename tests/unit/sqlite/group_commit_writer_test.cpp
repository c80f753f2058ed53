// The group-commit writer alone (no SDK): batching, failure handling, kept operations.
#include "sqlite/store/group_commit_writer.hpp"
#include "support/temp_dir.hpp"
#include "unit/sqlite/sqlite_rig.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <condition_variable>
#include <mutex>

using coyote::sqlite::Database;
using coyote::sqlite::FaultKind;
using coyote::sqlite::GroupCommitWriter;
using coyote::sqlite::Operation;
using coyote::sqlite::StoreError;
using coyote::sqlite::StoreFailure;
using coyote::test::TempDir;
using coyote::test::sqlite::eventually;

namespace {

/// Hooks that make a table, count transactions, and can hold one transaction open.
class Hooks final : public coyote::sqlite::WriterHooks {
 public:
  void opened(Database& db) override {
    db.exec(
        "CREATE TABLE IF NOT EXISTS coyote_meta(key TEXT PRIMARY KEY, value) WITHOUT ROWID;"
        "CREATE TABLE IF NOT EXISTS t(v INTEGER)");
    insert = db.prepare("INSERT INTO t VALUES(?1)");
    count = db.prepare("SELECT count(*) FROM t");
  }
  void closing() noexcept override {
    insert = {};
    count = {};
  }
  void before_commit(Database& /*db*/) override {
    std::unique_lock lock(mutex);
    // A transaction the writer runs for itself (nothing inserted yet) is not one a test holds,
    // when it asked so: which transaction comes first is the writer thread's timing.
    if (!count_empty && rows() == 0) return;
    ++transactions;
    cv.notify_all();
    cv.wait(lock, [&] { return !hold; });
  }
  void after_commit() override {}
  void after_rollback(const StoreError& /*error*/) noexcept override { ++rollbacks; }
  std::optional<std::chrono::system_clock::time_point> next_wakeup() override {
    return std::nullopt;
  }

  std::int64_t rows() {
    count.step();
    const auto n = count.column_int(0);
    count.reset();
    return n;
  }

  coyote::sqlite::Statement insert;
  coyote::sqlite::Statement count;
  std::mutex mutex;
  std::condition_variable cv;
  bool hold = false;
  bool count_empty = true;
  int transactions = 0;
  std::atomic<int> rollbacks{0};
};

/// Inserts a row; optionally fails the transaction; records how it ended.
class Insert final : public Operation {
 public:
  Insert(Hooks& hooks, std::int64_t value, std::atomic<int>& done, bool fail = false,
         bool keep = false)
      : hooks_(hooks), value_(value), done_(done), fail_(fail), keep_(keep) {}
  void apply(Database& /*db*/) override {
    if (fail_ && !failed_once_) {
      throw StoreFailure(StoreError{FaultKind::kOther, 0, 0, "scripted failure"});
    }
    hooks_.insert.bind(1, value_).run();
  }
  void committed() override { ++done_; }
  bool failed(const StoreError& /*error*/) override {
    failed_once_ = true;
    return keep_;
  }

 private:
  Hooks& hooks_;
  std::int64_t value_;
  std::atomic<int>& done_;
  bool fail_;
  bool keep_;
  bool failed_once_ = false;
};

}  // namespace

TEST_CASE("the writer commits everything queued during a commit in the next one", "[sqlite]") {
  TempDir dir;
  Hooks hooks;
  GroupCommitWriter writer({{(dir.path() / "w.db").string()}}, hooks);
  writer.start();
  std::atomic<int> done{0};
  {
    std::lock_guard lock(hooks.mutex);
    hooks.hold = true;
  }
  writer.submit(std::make_unique<Insert>(hooks, 0, done));
  {
    std::unique_lock lock(hooks.mutex);
    hooks.cv.wait(lock, [&] { return hooks.transactions >= 1; });
  }
  for (int i = 1; i <= 100; ++i) writer.submit(std::make_unique<Insert>(hooks, i, done));
  {
    std::lock_guard lock(hooks.mutex);
    hooks.hold = false;
  }
  hooks.cv.notify_all();
  REQUIRE(eventually([&] { return done == 101; }));
  // The first commit held one operation; the hundred queued meanwhile shared the second.
  CHECK(writer.commits() == 2);
  writer.stop();
}

TEST_CASE("a failed transaction answers the operations that cannot wait and keeps the others",
          "[sqlite]") {
  TempDir dir;
  Hooks hooks;
  coyote::sqlite::WriterOptions options{{(dir.path() / "w.db").string()}};
  options.retry_min = std::chrono::milliseconds{5};
  GroupCommitWriter writer(options, hooks);
  std::atomic<int> pushed{0};
  std::atomic<int> acked{0};
  {
    std::lock_guard lock(hooks.mutex);
    hooks.hold = true;
    hooks.count_empty = false;  // hold the transaction that holds value 1, whatever ran before
  }
  writer.start();
  writer.submit(std::make_unique<Insert>(hooks, 1, pushed));
  {
    std::unique_lock lock(hooks.mutex);
    hooks.cv.wait(lock, [&] { return hooks.transactions >= 1; });
  }
  // Both land in the second transaction; the first one fails it.
  writer.submit(std::make_unique<Insert>(hooks, 2, acked, /*fail=*/true, /*keep=*/true));
  writer.submit(std::make_unique<Insert>(hooks, 3, pushed));
  {
    std::lock_guard lock(hooks.mutex);
    hooks.hold = false;
  }
  hooks.cv.notify_all();
  // The kept one is retried by itself (back-off) and commits; the other was answered failed.
  REQUIRE(eventually([&] { return acked == 1; }));
  CHECK(pushed == 1);
  CHECK(hooks.rollbacks >= 1);
  CHECK(writer.fault().empty());
  writer.stop();
  Hooks reader;
  GroupCommitWriter again({{(dir.path() / "w.db").string()}}, reader);
  std::atomic<int> rows{-1};
  class Count final : public Operation {
   public:
    Count(Hooks& h, std::atomic<int>& out) : h_(h), out_(out) {}
    void apply(Database&) override { out_ = static_cast<int>(h_.rows()); }
    void committed() override {}
    bool failed(const StoreError&) override { return false; }

   private:
    Hooks& h_;
    std::atomic<int>& out_;
  };
  again.start();
  again.submit(std::make_unique<Count>(reader, rows));
  REQUIRE(eventually([&] { return rows >= 0; }));
  CHECK(rows == 2);  // values 1 and 2; value 3 was refused with its transaction
}
