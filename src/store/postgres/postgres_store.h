// The PostgreSQL backend (libpqxx) with a pool of connections; safe for
// concurrent use from many threads.
#pragma once

#include <memory>
#include <string>

#include "store/store.h"

namespace autovoice {

// `url` is a libpq connection URI ("postgresql://user@127.0.0.1:5432/db").
// Unreachable server: kUnavailable. A schema newer than this binary is refused
// (kFailedPrecondition).
Result<std::unique_ptr<Store>> open_postgres_store(const std::string& url, int pool_size = 8);

}  // namespace autovoice
