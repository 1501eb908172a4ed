// Crash durability: a child process writes as fast as it can and reports each write on a pipe
// only after the call returned ok; the parent kills it with SIGKILL mid-stream, reopens the store
// and checks that every acknowledged write is there with its revision, and that at most one more
// (the write in flight at the kill) made it.
//
// What this proves: a write is acknowledged only after its commit, a commit is atomic (object,
// event and revision together), and SQLite's WAL recovery on the next open keeps them, including
// across checkpoints and compaction that the kill interrupts. What it cannot prove is survival of
// a power cut (the page cache survives a killed process); that rests on synchronous=FULL, which
// the store sets and reads back at open.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <iostream>
#include <sstream>

#include "store/sqlite_store.h"
#include "store/test_util.h"

namespace canaryd::store {
namespace {

using testing::TempDir;
using namespace std::chrono_literals;

ObjectKey Key(int64_t i) {
  return ObjectKey{"VirtualService", "default", "obj-" + std::to_string(i)};
}

// About a kilobyte, like a VirtualService: the WAL grows and checkpoints run during the test.
std::string Value(int64_t i) {
  return R"({"spec":{"n":)" + std::to_string(i) + R"(,"pad":")" +
         std::string(1000, static_cast<char>('a' + i % 26)) + "\"}}";
}

SqliteStore::Options CrashOptions() {
  SqliteStore::Options options;
  options.history_limit = 100;  // so compaction runs, and is interrupted, too
  return options;
}

void WriteAll(int fd, const std::string& line) {
  size_t off = 0;
  while (off < line.size()) {
    ssize_t n = ::write(fd, line.data() + off, line.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) ::_exit(4);
    off += static_cast<size_t>(n);
  }
}

// The child: never returns. Bounded by count and time in case the parent never kills it.
[[noreturn]] void WriteUntilKilled(const std::string& dir, int fd) {
  Result<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(dir, CrashOptions());
  if (!store.ok()) {
    WriteAll(fd, "error " + store.status().ToString() + "\n");
    ::_exit(2);
  }
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  for (int64_t i = 0; i < 1'000'000 && std::chrono::steady_clock::now() < deadline; ++i) {
    Result<StoredObject> r = (*store)->Create(Key(i), Value(i));
    if (!r.ok()) {
      WriteAll(fd, "error " + r.status().ToString() + "\n");
      ::_exit(3);
    }
    // Acknowledged: only now is the write reported. Lines are shorter than PIPE_BUF, so each
    // write(2) is atomic and the parent never sees half a line.
    WriteAll(fd, "ack " + std::to_string(i) + " " + std::to_string(r->mod_revision) + "\n");
  }
  ::_exit(0);  // not exit(): no atexit handlers, no gtest teardown in the child
}

TEST(SqliteStoreCrash, EveryAcknowledgedWriteSurvivesKill9) {
  TempDir tmp;
  ASSERT_FALSE(tmp.path().empty());
  const std::string dir = tmp.Sub("data");
  int fds[2];
  ASSERT_EQ(::pipe2(fds, O_CLOEXEC), 0);
  // fork without exec: the test process has no other thread here (every test joins its
  // threads), so the child may use malloc and SQLite freely.
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::close(fds[0]);
    WriteUntilKilled(dir, fds[1]);
  }
  ::close(fds[1]);

  std::string text;
  char buf[4096];
  const auto deadline = std::chrono::steady_clock::now() + 1500ms;
  while (true) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    pollfd p{fds[0], POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
    ssize_t n = ::read(fds[0], buf, sizeof buf);
    if (n <= 0) break;  // the child exited (an error line says why)
    text.append(buf, static_cast<size_t>(n));
  }
  ASSERT_EQ(::kill(pid, SIGKILL), 0);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  // Writes acknowledged before the kill that were still in the pipe count too: read to EOF.
  for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;)
    text.append(buf, static_cast<size_t>(n));
  ::close(fds[0]);

  ASSERT_EQ(text.find("error"), std::string::npos) << text.substr(text.find("error"));
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
      << "the child should still have been writing when killed";

  std::vector<int64_t> acked;  // acked[i] = the revision of write i
  std::istringstream lines(text);
  std::string word;
  int64_t index = 0, revision = 0;
  while (lines >> word >> index >> revision) {
    ASSERT_EQ(word, "ack");
    ASSERT_EQ(index, static_cast<int64_t>(acked.size())) << "writes are reported in order";
    acked.push_back(revision);
  }
  ASSERT_FALSE(acked.empty()) << "the child made no write in 1.5 s";

  Result<std::unique_ptr<SqliteStore>> reopened = SqliteStore::Open(dir, CrashOptions());
  ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
  SqliteStore& store = **reopened;
  for (size_t i = 0; i < acked.size(); ++i) {
    ASSERT_EQ(acked[i], static_cast<int64_t>(i) + 1) << "one revision per write from 1";
    Result<StoredObject> got = store.Get(Key(static_cast<int64_t>(i)));
    ASSERT_TRUE(got.ok()) << "acknowledged write " << i << " lost: " << got.status().ToString();
    EXPECT_EQ(got->mod_revision, acked[i]);
    EXPECT_EQ(got->create_revision, acked[i]);
    ASSERT_EQ(got->value, Value(static_cast<int64_t>(i)));
  }

  // At most the one write in flight made it beyond the acknowledged ones.
  const int64_t last = acked.back();
  const int64_t current = store.CurrentRevision();
  EXPECT_TRUE(current == last || current == last + 1) << current << " vs " << last;
  std::cout << "[ info     ] " << acked.size() << " acknowledged writes before SIGKILL; the write "
            << (current == last ? "in flight was lost" : "in flight made it") << "\n";
  Result<ListResult> list = store.List({"VirtualService", ""});
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(static_cast<int64_t>(list->items.size()), current);
  EXPECT_EQ(list->revision, current);
  if (current == last + 1) {
    Result<StoredObject> in_flight = store.Get(Key(static_cast<int64_t>(acked.size())));
    ASSERT_TRUE(in_flight.ok());
    EXPECT_EQ(in_flight->mod_revision, current);
    EXPECT_EQ(in_flight->value, Value(static_cast<int64_t>(acked.size())));
  }

  // The history is whole: compacted up to the limit, then every revision once.
  EXPECT_EQ(store.CompactedRevision(), std::max<int64_t>(0, current - 100));
  std::vector<int64_t> history;
  Result<std::unique_ptr<WatchHandle>> watch =
      store.Watch({"VirtualService", ""}, store.CompactedRevision(),
                  [&](const WatchEvent& e) { history.push_back(e.revision); });
  ASSERT_TRUE(watch.ok()) << watch.status().ToString();
  ASSERT_EQ(static_cast<int64_t>(history.size()), current - store.CompactedRevision());
  for (size_t i = 0; i < history.size(); ++i) {
    EXPECT_EQ(history[i], store.CompactedRevision() + 1 + static_cast<int64_t>(i));
  }

  // And the sequence goes on.
  Result<StoredObject> next = store.Create(Key(1'000'000), "{}");
  ASSERT_TRUE(next.ok()) << next.status().ToString();
  EXPECT_EQ(next->mod_revision, current + 1);
}

}  // namespace
}  // namespace canaryd::store
