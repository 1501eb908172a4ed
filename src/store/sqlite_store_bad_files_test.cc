// What SqliteStore::Open says about a data directory it cannot use: an error Status naming the
// path and the problem, never a crash, and never a change to a file that is not its own.
#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "store/sqlite_store.h"
#include "store/test_util.h"

namespace canaryd::store {
namespace {

using testing::TempDir;

void WriteFile(const std::string& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// Runs SQL on a database file with SQLite directly, as another program would.
void RawSql(const std::string& path, const char* sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  char* error = nullptr;
  int rc = sqlite3_exec(db, sql, nullptr, nullptr, &error);
  EXPECT_EQ(rc, SQLITE_OK) << (error ? error : "");
  sqlite3_free(error);
  sqlite3_close(db);
}

Status OpenStatus(const std::string& dir) {
  return SqliteStore::Open(dir).status();
}

TEST(SqliteStoreBadFiles, ADataDirectoryUnderARegularFileIsAnIoError) {
  TempDir tmp;
  WriteFile(tmp.Sub("file"), "x");
  Status s = OpenStatus(tmp.Sub("file") + "/data");
  EXPECT_EQ(s.code(), StatusCode::kIoError);
  EXPECT_NE(s.message().find("cannot create data directory " + tmp.Sub("file") + "/data"),
            std::string::npos)
      << s.message();
}

TEST(SqliteStoreBadFiles, ADataDirectoryThatIsARegularFileIsAnIoError) {
  TempDir tmp;
  WriteFile(tmp.Sub("file"), "x");
  Status s = OpenStatus(tmp.Sub("file"));
  EXPECT_EQ(s.code(), StatusCode::kIoError);
  EXPECT_NE(s.message().find("not a directory"), std::string::npos) << s.message();
}

// Root writes through directory permissions, and CI runs as root: there the store is opened in
// a child process that runs as nobody and owns the read-only directory. Fork without exec, as in
// the crash test: the test process has no other thread here.
Status OpenStatusAsNobodyIfRoot(const std::string& dir) {
  if (::geteuid() != 0) return OpenStatus(dir);
  constexpr uid_t kNobody = 65534;
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return Internal("pipe2 failed");
  pid_t pid = ::fork();
  if (pid < 0) return Internal("fork failed");
  if (pid == 0) {
    ::close(fds[0]);
    std::string out = "setresuid failed";
    if (::setresgid(kNobody, kNobody, kNobody) == 0 &&
        ::setresuid(kNobody, kNobody, kNobody) == 0) {
      Status s = OpenStatus(dir);
      out = std::to_string(static_cast<int>(s.code())) + " " + s.message();
    }
    (void)!::write(fds[1], out.data(), out.size());
    ::_exit(0);
  }
  ::close(fds[1]);
  std::string text;
  char buf[4096];
  for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;)
    text.append(buf, static_cast<size_t>(n));
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  size_t space = text.find(' ');
  if (space == std::string::npos ||
      text.substr(0, space).find_first_not_of("0123456789") != std::string::npos) {
    return Internal("child: " + text);
  }
  return Status(static_cast<StatusCode>(std::stoi(text.substr(0, space))), text.substr(space + 1));
}

TEST(SqliteStoreBadFiles, AReadOnlyDataDirectoryIsAnIoError) {
  TempDir tmp;
  std::filesystem::create_directory(tmp.Sub("data"));
  if (::geteuid() == 0) {
    ASSERT_EQ(::chmod(tmp.path().c_str(), 0755), 0);  // nobody may look in
    ASSERT_EQ(::chown(tmp.Sub("data").c_str(), 65534, 65534), 0);
  }
  ASSERT_EQ(::chmod(tmp.Sub("data").c_str(), 0555), 0);
  Status s = OpenStatusAsNobodyIfRoot(tmp.Sub("data"));
  ::chmod(tmp.Sub("data").c_str(), 0755);
  EXPECT_EQ(s.code(), StatusCode::kIoError) << s.message();
  EXPECT_NE(s.message().find("is the data directory writable?"), std::string::npos) << s.message();
}

TEST(SqliteStoreBadFiles, ADirectoryInPlaceOfTheDatabaseFileIsAnIoError) {
  TempDir tmp;
  std::filesystem::create_directories(tmp.Sub("data") + "/store.db");
  Status s = OpenStatus(tmp.Sub("data"));
  EXPECT_EQ(s.code(), StatusCode::kIoError);
  EXPECT_NE(s.message().find(tmp.Sub("data") + "/store.db"), std::string::npos) << s.message();
}

TEST(SqliteStoreBadFiles, AFileThatIsNotSqliteIsRefusedAndLeftAlone) {
  TempDir tmp;
  std::filesystem::create_directory(tmp.Sub("data"));
  std::string garbage;
  for (int i = 0; i < 200; ++i) garbage += "this is not a database, it is a text file\n";
  WriteFile(tmp.Sub("data") + "/store.db", garbage);
  Status s = OpenStatus(tmp.Sub("data"));
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(s.message().find("opening store " + tmp.Sub("data") + "/store.db"), std::string::npos)
      << s.message();
  EXPECT_NE(s.message().find("not a SQLite database"), std::string::npos) << s.message();
  EXPECT_EQ(ReadFile(tmp.Sub("data") + "/store.db"), garbage);
}

TEST(SqliteStoreBadFiles, AnotherApplicationsDatabaseIsRefusedAndLeftAlone) {
  TempDir tmp;
  std::filesystem::create_directory(tmp.Sub("data"));
  const std::string path = tmp.Sub("data") + "/store.db";
  RawSql(path, "CREATE TABLE photos (id INTEGER PRIMARY KEY, title TEXT);");
  std::string before = ReadFile(path);
  Status s = OpenStatus(tmp.Sub("data"));
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(s.message().find("is not a canaryd store"), std::string::npos) << s.message();
  EXPECT_EQ(ReadFile(path), before) << "not switched to WAL, no tables added";
}

TEST(SqliteStoreBadFiles, AStoreFromANewerSchemaIsRefused) {
  TempDir tmp;
  ASSERT_TRUE(SqliteStore::Open(tmp.Sub("data")).ok());
  RawSql(tmp.Sub("data") + "/store.db", "PRAGMA user_version = 9;");
  Status s = OpenStatus(tmp.Sub("data"));
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(s.message().find("schema version 9; this canaryd reads version 1"), std::string::npos)
      << s.message();
}

TEST(SqliteStoreBadFiles, AnEmptyFileIsANewStore) {
  TempDir tmp;
  std::filesystem::create_directory(tmp.Sub("data"));
  WriteFile(tmp.Sub("data") + "/store.db", "");
  Result<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(tmp.Sub("data"));
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  EXPECT_TRUE((*store)->Create({"Namespace", "", "prod"}, "{}").ok());
}

TEST(SqliteStoreBadFiles, ACorruptedStoreIsRefusedAtOpen) {
  TempDir tmp;
  const std::string path = tmp.Sub("data") + "/store.db";
  {
    Result<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(tmp.Sub("data"));
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    for (int i = 0; i < 200; ++i) {
      ASSERT_TRUE((*store)
                      ->Create({"Service", "default", "svc-" + std::to_string(i)},
                               std::string(500, 'a' + i % 26))
                      .ok());
    }
  }  // closing checkpoints the WAL into store.db
  std::string bytes = ReadFile(path);
  ASSERT_GT(bytes.size(), 16u * 4096);
  // Scribble over pages 2 to 15 (page 1 holds the header and the schema).
  for (size_t i = 4096; i < 15 * 4096; ++i) bytes[i] = static_cast<char>(i * 7);
  WriteFile(path, bytes);

  Status s = OpenStatus(tmp.Sub("data"));
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(s.message().find("corrupt"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find(path), std::string::npos) << s.message();
}

}  // namespace
}  // namespace canaryd::store
