// A file that may not grow (RLIMIT_FSIZE reached: EFBIG) is reported as a full disk, as SQLite
// reports ENOSPC: kResourceExhausted, which the API answers with 503, and the store goes on: the
// failed write changed nothing, every acknowledged one is still there, and once the limit is
// lifted writes succeed again without reopening. A child process runs it, as the limit applies
// to the whole process; it reports on its exit code.
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "store/sqlite_store.h"
#include "store/test_util.h"

namespace canaryd::store {
namespace {

using testing::TempDir;

enum ChildExit {
  kOk = 0,
  kCannotOpen = 2,
  kNeverFailed = 3,
  kWrongCode = 4,
  kLostAWrite = 5,
  kStillFailing = 6,
  kCannotLimit = 7,
};

[[noreturn]] void Child(const std::string& dir) {
  // As canaryd does: past the limit, write() fails with EFBIG instead of the signal killing us.
  signal(SIGXFSZ, SIG_IGN);
  auto store = SqliteStore::Open(dir);
  if (!store.ok()) ::_exit(kCannotOpen);
  rlimit limit{};
  getrlimit(RLIMIT_FSIZE, &limit);
  rlimit low = limit;
  low.rlim_cur = 1 << 20;
  if (setrlimit(RLIMIT_FSIZE, &low) != 0) ::_exit(kCannotLimit);
  const std::string value(64 << 10, 'v');
  int written = 0;
  Status failure;
  for (; written < 100; ++written) {
    auto r = (*store)->Create({"VirtualService", "default", "o" + std::to_string(written)}, value);
    if (!r.ok()) {
      failure = r.status();
      break;
    }
  }
  if (written == 100) ::_exit(kNeverFailed);
  if (failure.code() != StatusCode::kResourceExhausted ||
      failure.message().find("File too large") == std::string::npos) {
    fprintf(stderr, "write %d failed with %s\n", written, failure.ToString().c_str());
    ::_exit(kWrongCode);
  }
  for (int i = 0; i < written; ++i) {
    if (!(*store)->Get({"VirtualService", "default", "o" + std::to_string(i)}).ok()) {
      ::_exit(kLostAWrite);
    }
  }
  if ((*store)->Get({"VirtualService", "default", "o" + std::to_string(written)}).ok()) {
    ::_exit(kLostAWrite);  // the failed write must have changed nothing
  }
  setrlimit(RLIMIT_FSIZE, &limit);
  if (!(*store)->Create({"VirtualService", "default", "after"}, value).ok()) {
    ::_exit(kStillFailing);
  }
  ::_exit(kOk);  // not exit(): no atexit handlers, no gtest teardown in the child
}

TEST(SqliteStoreFileLimit, AFileThatMayNotGrowIsAFullDiskAndTheStoreGoesOn) {
  TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  // fork without exec: this test process has no other thread here.
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) Child(dir.Sub("data"));
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status)) << "signal " << WTERMSIG(status);
  EXPECT_EQ(WEXITSTATUS(status), kOk);
}

}  // namespace
}  // namespace canaryd::store
