#include "store/sqlite_db.h"

#include <sqlite3.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>
#include <utility>

namespace canaryd::store {
namespace {

// "SELECT value FROM ..." -> "SELECT", enough to say which step failed without the whole SQL.
std::string_view FirstWords(const char* sql) {
  std::string_view s = sql ? sql : "";
  size_t end = s.find_first_of("(\n");
  s = s.substr(0, end == std::string_view::npos ? 40 : std::min<size_t>(end, 40));
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

std::string FileOf(sqlite3* db) {
  const char* f = db ? sqlite3_db_filename(db, "main") : nullptr;
  return f && *f ? f : "(database)";
}

// Whether a file of the database has grown to the process's file-size limit (RLIMIT_FSIZE):
// the kernel then writes up to the limit and refuses the rest with EFBIG. SQLite keeps no
// reliable errno for a failed write (sqlite3_system_errno reads errno later, once it has been
// overwritten), so the files' sizes tell: within one WAL frame (the largest page and its
// header) of the limit.
bool AtFileSizeLimit(sqlite3* db, rlim_t* limit) {
  rlimit l{};
  if (getrlimit(RLIMIT_FSIZE, &l) != 0 || l.rlim_cur == RLIM_INFINITY) return false;
  const char* main = sqlite3_db_filename(db, "main");
  if (main == nullptr || *main == '\0') return false;
  constexpr rlim_t kLargestFrame = 65536 + 24;
  for (const char* suffix : {"", "-wal", "-journal"}) {
    struct stat st {};
    std::string path = std::string(main) + suffix;
    if (::stat(path.c_str(), &st) == 0 &&
        static_cast<rlim_t>(st.st_size) + kLargestFrame > l.rlim_cur) {
      *limit = l.rlim_cur;
      return true;
    }
  }
  return false;
}

// SQLite reports a write that found the disk full as SQLITE_FULL, but one refused because the
// file may not grow (EFBIG past the file-size limit, EDQUOT past a quota) as
// SQLITE_IOERR_WRITE. Neither wrote anything and SQLite recovers from both alike (it rolls
// back), so both are reported as a full disk: not as an I/O error, after which the store's
// state is unknown and it refuses writes until reopened.
int FileLimitAsFull(sqlite3* db, int rc, std::string* message) {
  if (rc != SQLITE_IOERR_WRITE || db == nullptr) return rc;
  int error = sqlite3_system_errno(db);
  rlim_t limit = 0;
  if (error == EFBIG || error == EDQUOT) {
    *message += std::string(" (") + std::strerror(error) + ")";
  } else if (AtFileSizeLimit(db, &limit)) {
    *message += " (" + std::string(std::strerror(EFBIG)) + ": the file-size limit of " +
                std::to_string(limit) + " bytes is reached)";
  } else {
    return rc;
  }
  return SQLITE_FULL;
}

}  // namespace

Status SqliteStatus(int rc, std::string_view what, std::string_view sqlite_message) {
  std::string message(what);
  message += ": ";
  message += sqlite_message;
  StatusCode code = StatusCode::kInternal;
  switch (rc & 0xff) {
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      code = StatusCode::kFailedPrecondition;
      message += " (the database file is corrupt or is not a SQLite database)";
      break;
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_AUTH:
      code = StatusCode::kIoError;
      break;
    case SQLITE_FULL:
      code = StatusCode::kResourceExhausted;
      break;
    case SQLITE_TOOBIG:  // a value over SQLite's length limit (1e9 bytes)
      code = StatusCode::kInvalidArgument;
      break;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      code = StatusCode::kUnavailable;
      break;
    default:
      break;
  }
  return Status(code, std::move(message));
}

// SqliteStatement

SqliteStatement::SqliteStatement(SqliteStatement&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)),
      stmt_(std::exchange(other.stmt_, nullptr)),
      bind_error_(other.bind_error_) {}

SqliteStatement& SqliteStatement::operator=(SqliteStatement&& other) noexcept {
  if (this != &other) {
    sqlite3_finalize(stmt_);
    db_ = std::exchange(other.db_, nullptr);
    stmt_ = std::exchange(other.stmt_, nullptr);
    bind_error_ = other.bind_error_;
  }
  return *this;
}

SqliteStatement::~SqliteStatement() {
  sqlite3_finalize(stmt_);
}

SqliteStatement& SqliteStatement::Bind(int index, int64_t value) {
  int rc = sqlite3_bind_int64(stmt_, index, value);
  if (rc != SQLITE_OK && bind_error_ == 0) bind_error_ = rc;
  return *this;
}

SqliteStatement& SqliteStatement::Bind(int index, std::string_view text) {
  // SQLITE_STATIC: no copy. Safe because Reset() clears the bindings before the caller's string
  // goes away (ScopedReset).
  int rc = sqlite3_bind_text64(stmt_, index, text.data(), text.size(), SQLITE_STATIC, SQLITE_UTF8);
  if (rc != SQLITE_OK && bind_error_ == 0) bind_error_ = rc;
  return *this;
}

Result<bool> SqliteStatement::Step() {
  if (bind_error_ != 0) {
    return SqliteStatus(bind_error_,
                        "binding a parameter of " + std::string(FirstWords(sqlite3_sql(stmt_))) +
                            " on " + FileOf(db_),
                        sqlite3_errstr(bind_error_));
  }
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  std::string message = sqlite3_errmsg(db_);
  rc = FileLimitAsFull(db_, rc, &message);
  return SqliteStatus(rc, std::string(FirstWords(sqlite3_sql(stmt_))) + " on " + FileOf(db_),
                      message);
}

Status SqliteStatement::Run() {
  while (true) {
    Result<bool> row = Step();
    if (!row.ok()) return row.status();
    if (!*row) return Status::Ok();
  }
}

int64_t SqliteStatement::ColumnInt(int column) const {
  return sqlite3_column_int64(stmt_, column);
}

std::string SqliteStatement::ColumnText(int column) const {
  // Text first, then its size: the order SQLite documents as safe.
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
  int size = sqlite3_column_bytes(stmt_, column);
  return text ? std::string(text, static_cast<size_t>(size)) : std::string();
}

void SqliteStatement::Reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
  bind_error_ = 0;
}

// SqliteDb

SqliteDb::SqliteDb(SqliteDb&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)), path_(std::move(other.path_)) {}

SqliteDb& SqliteDb::operator=(SqliteDb&& other) noexcept {
  if (this != &other) {
    sqlite3_close_v2(db_);
    db_ = std::exchange(other.db_, nullptr);
    path_ = std::move(other.path_);
  }
  return *this;
}

// close_v2: if a statement were still alive the close would wait for it rather than fail and
// leak; the store finalizes its statements first anyway.
SqliteDb::~SqliteDb() {
  sqlite3_close_v2(db_);
}

Result<SqliteDb> SqliteDb::Open(const std::string& path, int busy_timeout_ms) {
  SqliteDb db;
  db.path_ = path;
  int rc =
      sqlite3_open_v2(path.c_str(), &db.db_,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    // db_ may be set even on failure, with the message; the destructor closes it.
    return SqliteStatus(rc, "cannot open database " + path,
                        db.db_ ? sqlite3_errmsg(db.db_) : sqlite3_errstr(rc));
  }
  sqlite3_extended_result_codes(db.db_, 1);
  sqlite3_busy_timeout(db.db_, busy_timeout_ms);
  return db;
}

Status SqliteDb::Exec(const char* sql) {
  char* error = nullptr;
  int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &error);
  if (rc == SQLITE_OK) return Status::Ok();
  std::string message = error ? error : sqlite3_errmsg(db_);
  sqlite3_free(error);
  rc = FileLimitAsFull(db_, rc, &message);
  return SqliteStatus(rc, std::string(FirstWords(sql)) + " on " + path_, message);
}

Result<SqliteStatement> SqliteDb::Prepare(std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                              SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (rc != SQLITE_OK) {
    return SqliteStatus(rc, "preparing " + std::string(sql) + " on " + path_, sqlite3_errmsg(db_));
  }
  return SqliteStatement(db_, stmt);
}

Result<int64_t> SqliteDb::QueryInt(const char* sql) {
  Result<SqliteStatement> stmt = Prepare(sql);
  if (!stmt.ok()) return stmt.status();
  Result<bool> row = stmt->Step();
  if (!row.ok()) return row.status();
  if (!*row) return Internal(std::string(sql) + " on " + path_ + " returned no row");
  return stmt->ColumnInt(0);
}

Result<std::string> SqliteDb::QueryText(const char* sql) {
  Result<SqliteStatement> stmt = Prepare(sql);
  if (!stmt.ok()) return stmt.status();
  Result<bool> row = stmt->Step();
  if (!row.ok()) return row.status();
  if (!*row) return Internal(std::string(sql) + " on " + path_ + " returned no row");
  return stmt->ColumnText(0);
}

bool SqliteDb::InTransaction() const {
  return db_ && sqlite3_get_autocommit(db_) == 0;
}

}  // namespace canaryd::store
