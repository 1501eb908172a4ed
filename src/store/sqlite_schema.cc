#include "store/sqlite_schema.h"

#include <cstdio>
#include <string>

namespace canaryd::store::sqlite_schema {
namespace {

// One transaction with the markers, so a crash while creating leaves either an empty file (made
// again on the next start) or a whole store.
constexpr const char* kCreateSchema = R"sql(
BEGIN IMMEDIATE;
CREATE TABLE state (
  id INTEGER PRIMARY KEY CHECK (id = 0),
  revision INTEGER NOT NULL,
  compacted_revision INTEGER NOT NULL
);
INSERT INTO state (id, revision, compacted_revision) VALUES (0, 0, 0);
-- A rowid table with a unique key rather than WITHOUT ROWID: values are JSON documents of a few
-- kilobytes, and SQLite advises WITHOUT ROWID only for rows far smaller than a page.
CREATE TABLE objects (
  id INTEGER PRIMARY KEY,
  kind TEXT NOT NULL,
  namespace TEXT NOT NULL,
  name TEXT NOT NULL,
  value TEXT NOT NULL,
  create_revision INTEGER NOT NULL,
  mod_revision INTEGER NOT NULL,
  UNIQUE (kind, namespace, name)
);
-- revision is the rowid, so each write appends at the end of the b-tree and compaction removes
-- from its start. No index on kind: a replay scans the revisions after its start, at most the
-- history limit, and filters.
CREATE TABLE events (
  revision INTEGER PRIMARY KEY,
  type INTEGER NOT NULL,
  kind TEXT NOT NULL,
  namespace TEXT NOT NULL,
  name TEXT NOT NULL,
  value TEXT NOT NULL,
  create_revision INTEGER NOT NULL
);
PRAGMA application_id = 1668182649;
PRAGMA user_version = 1;
COMMIT;
)sql";
static_assert(kApplicationId == 1668182649 && kVersion == 1, "update kCreateSchema");

std::string Hex(int64_t v) {
  char buf[32];
  snprintf(buf, sizeof buf, "0x%08llx", static_cast<unsigned long long>(static_cast<uint32_t>(v)));
  return buf;
}

}  // namespace

Status Prepare(SqliteDb& db, bool& created) {
  created = false;
  // The first read of the file: a file that is not SQLite fails here with SQLITE_NOTADB.
  Result<int64_t> app_id = db.QueryInt("PRAGMA application_id");
  if (!app_id.ok()) return app_id.status();
  Result<int64_t> tables = db.QueryInt("SELECT count(*) FROM sqlite_schema");
  if (!tables.ok()) return tables.status();

  if (*app_id == 0 && *tables == 0) {
    // WAL is a property of the file, set once, outside a transaction.
    Result<std::string> mode = db.QueryText("PRAGMA journal_mode = WAL");
    if (!mode.ok()) return mode.status();
    if (*mode != "wal") {
      return FailedPrecondition(db.path() + ": cannot switch to WAL mode (journal_mode is " +
                                *mode + ")");
    }
    Status s = db.Exec(kCreateSchema);
    if (!s.ok()) {
      if (db.InTransaction()) (void)db.Exec("ROLLBACK");
      return s;
    }
    created = true;
  } else if (*app_id != kApplicationId) {
    return FailedPrecondition(db.path() + " is not a canaryd store: it is a SQLite database of " +
                              (*app_id == 0
                                   ? std::string("another application")
                                   : "another application (application_id " + Hex(*app_id) + ")") +
                              "; move it away or choose another data directory");
  }

  Result<int64_t> version = db.QueryInt("PRAGMA user_version");
  if (!version.ok()) return version.status();
  if (*version != kVersion) {
    return FailedPrecondition(
        db.path() + " has store schema version " + std::to_string(*version) +
        "; this canaryd reads version " + std::to_string(kVersion) +
        (*version > kVersion ? " (the file was written by a newer canaryd)" : ""));
  }
  // An existing store is already in WAL mode; this also repairs one that is not.
  Result<std::string> mode = db.QueryText("PRAGMA journal_mode = WAL");
  if (!mode.ok()) return mode.status();
  if (*mode != "wal") {
    return FailedPrecondition(db.path() + ": cannot switch to WAL mode (journal_mode is " + *mode +
                              ")");
  }
  return Status::Ok();
}

Status ConfigureWriter(SqliteDb& db) {
  // In WAL mode, FULL syncs the WAL at every commit: a commit that returned is durable. (NORMAL
  // would sync only at checkpoints and could lose the last commits on power loss.)
  Status s = db.Exec("PRAGMA synchronous = FULL");
  if (!s.ok()) return s;
  Result<int64_t> level = db.QueryInt("PRAGMA synchronous");
  if (!level.ok()) return level.status();
  if (*level != 2) {
    return Internal(db.path() + ": PRAGMA synchronous is " + std::to_string(*level) +
                    " after setting FULL (2)");
  }
  return Status::Ok();
}

Status QuickCheck(SqliteDb& db) {
  Result<std::string> result = db.QueryText("PRAGMA quick_check");
  if (!result.ok()) return result.status();
  if (*result != "ok") {
    return FailedPrecondition(db.path() + " is corrupt (PRAGMA quick_check: " + *result +
                              "); restore it from a backup or move it away");
  }
  return Status::Ok();
}

}  // namespace canaryd::store::sqlite_schema
