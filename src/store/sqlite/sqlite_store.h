// The SQLite backend: the embedded default. WAL journal, foreign keys on, a
// busy timeout; safe for concurrent use from several threads of one process.
// Serves one worker per database file: lock_worker() takes an advisory lock on
// "<path>-worker.lock" (none for ":memory:"), released with the lock or the process.
#pragma once

#include <memory>
#include <string>

#include "store/store.h"

namespace autovoice {

// `path` is a file path or ":memory:". The file is created when missing. A
// schema newer than this binary is refused (kFailedPrecondition).
Result<std::unique_ptr<Store>> open_sqlite_store(const std::string& path);

}  // namespace autovoice
