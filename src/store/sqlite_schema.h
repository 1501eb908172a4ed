// The on-disk layout of a SqliteStore's database file, and the checks that decide whether a
// file is one this build can use. Functions over one connection; the caller serializes its use.
//
// Tables (schema version 1):
//   state    one row: revision (the last write's), compacted_revision (history dropped up to it)
//   objects  one row per live object: kind, namespace, name -> value, create_revision,
//            mod_revision; unique on (kind, namespace, name), the order List returns
//   events   the change history for Watch: one row per revision (every write is one event):
//            type, the key, the value (the last one for a deletion), create_revision
// The file is marked with PRAGMA application_id ("cnry") and user_version (the schema version),
// so another application's database, or a newer layout, is refused instead of being modified.
#pragma once

#include <cstdint>

#include "common/status.h"
#include "store/sqlite_db.h"

namespace canaryd::store::sqlite_schema {

inline constexpr int64_t kApplicationId = 0x636e7279;  // "cnry"
inline constexpr int64_t kVersion = 1;

// Event types as stored in events.type; fixed numbers, independent of the EventType enum.
inline constexpr int64_t kAdded = 1;
inline constexpr int64_t kModified = 2;
inline constexpr int64_t kDeleted = 3;

// Makes the database behind `db` a canaryd store of kVersion: creates the schema in an empty
// file (`created` is then true), refuses another application's database or an unknown version
// (kFailedPrecondition), and switches the file to WAL mode.
Status Prepare(SqliteDb& db, bool& created);

// Per-connection settings for the writing connection: synchronous=FULL, checked by reading it
// back, since durability depends on it.
Status ConfigureWriter(SqliteDb& db);

// PRAGMA quick_check: kFailedPrecondition naming the first problem unless the file is sound.
Status QuickCheck(SqliteDb& db);

}  // namespace canaryd::store::sqlite_schema
