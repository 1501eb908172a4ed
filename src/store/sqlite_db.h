// SqliteDb and SqliteStatement: a thin RAII layer over one SQLite connection and its prepared
// statements that turns SQLite's result codes into canaryd::Status, so the store reads as a
// sequence of checked steps. Not thread-safe: the owner serializes every use of a connection and
// of its statements (the store keeps one mutex per connection). The connection is opened in
// SQLite's multi-thread mode (SQLITE_OPEN_NOMUTEX) for that reason.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "common/status.h"

struct sqlite3;
struct sqlite3_stmt;

namespace canaryd::store {

// The Status for SQLite result code `rc` (an extended code), with `what` (the operation and the
// file) and SQLite's own message. The code says what the caller can do: kIoError for the file
// system (permissions, I/O), kFailedPrecondition for a file that is not a usable database
// (corrupt, not SQLite), kResourceExhausted for a full disk (statements and Exec also report a
// write refused for a file that may not grow, EFBIG or EDQUOT, as one), kUnavailable for a lock
// held too long, kInvalidArgument for a value too big to store, kInternal otherwise.
Status SqliteStatus(int rc, std::string_view what, std::string_view sqlite_message);

class SqliteStatement {
 public:
  SqliteStatement() = default;
  SqliteStatement(SqliteStatement&& other) noexcept;
  SqliteStatement& operator=(SqliteStatement&& other) noexcept;
  ~SqliteStatement();

  // Bind parameter `index` (1-based). Text is bound without a copy: it must stay alive until
  // Reset(), which every user calls through ScopedReset. A binding error is reported by the next
  // Step().
  SqliteStatement& Bind(int index, int64_t value);
  SqliteStatement& Bind(int index, std::string_view text);

  // Runs one step: true when a row is ready to read, false when the statement is done.
  Result<bool> Step();
  // Steps to the end, for statements that return no rows.
  Status Run();
  // Binds `args` to parameters 1, 2, ..., runs to the end and resets: one write statement.
  template <class... Args>
  Status Execute(const Args&... args) {
    ScopedResetFor reset{this};
    int index = 0;
    (Bind(++index, args), ...);
    return Run();
  }

  int64_t ColumnInt(int column) const;
  std::string ColumnText(int column) const;

  // Ends the current execution (releasing any read snapshot it holds) and clears the bindings.
  void Reset();

 private:
  friend class SqliteDb;
  struct ScopedResetFor {
    SqliteStatement* s;
    ~ScopedResetFor() { s->Reset(); }
  };
  SqliteStatement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}

  sqlite3* db_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
  int bind_error_ = 0;  // the first failed bind since the last Reset, 0 for none
};

// Resets a statement when leaving the scope, on every path, so that no statement keeps a read
// snapshot open (which would stop WAL checkpoints) or points at a dead bound string.
class ScopedReset {
 public:
  explicit ScopedReset(SqliteStatement& s) : s_(s) {}
  ~ScopedReset() { s_.Reset(); }
  ScopedReset(const ScopedReset&) = delete;
  ScopedReset& operator=(const ScopedReset&) = delete;

 private:
  SqliteStatement& s_;
};

class SqliteDb {
 public:
  SqliteDb() = default;
  SqliteDb(SqliteDb&& other) noexcept;
  SqliteDb& operator=(SqliteDb&& other) noexcept;
  ~SqliteDb();

  // Opens (creating if absent) the database file at `path`, read-write, with extended result
  // codes and `busy_timeout_ms` of waiting on locks.
  static Result<SqliteDb> Open(const std::string& path, int busy_timeout_ms);

  // Runs one or more statements that return no rows (schema, pragmas, BEGIN/COMMIT).
  Status Exec(const char* sql);
  Result<SqliteStatement> Prepare(std::string_view sql);
  // Runs a query that returns a single value in its first row (a pragma, a count).
  Result<int64_t> QueryInt(const char* sql);
  Result<std::string> QueryText(const char* sql);

  // True while an explicit transaction is open.
  bool InTransaction() const;
  const std::string& path() const { return path_; }

 private:
  sqlite3* db_ = nullptr;
  std::string path_;
};

}  // namespace canaryd::store
