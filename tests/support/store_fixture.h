// A fresh, migrated Store of the test's backend (SQLite on a temporary file,
// PostgreSQL on the test server), for the suites parameterised by Backend.
// Without a PostgreSQL server the PostgreSQL cases are skipped, unless the run
// said there would be one (AUTOVOICE_TEST_POSTGRES_URL_FILE): then they fail.
#pragma once

#include <cstdlib>
#include <exception>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "store/store.h"
#include "support/result_assertions.h"
#include "support/test_database.h"

namespace autovoice::testing {

// A new empty database; nullptr (and *why) when the backend is unavailable.
inline std::unique_ptr<TestDatabase> create_database(Backend backend, std::string* why) {
  try {
    return TestDatabase::create(backend, why);
  } catch (const std::exception& e) {
    *why = std::string("creating the test database failed: ") + e.what();
    return nullptr;
  }
}

class MigratedStoreTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    std::string why;
    db_ = create_database(GetParam(), &why);
    if (db_ == nullptr) {
      if (std::getenv("AUTOVOICE_TEST_POSTGRES_URL_FILE") != nullptr) {
        FAIL() << "AUTOVOICE_TEST_POSTGRES_URL_FILE is set but no database: " << why;
      }
      GTEST_SKIP() << why;
    }
    auto opened = open_store(db_->url());
    ASSERT_TRUE(opened.ok()) << describe(opened);
    store_ = std::move(*opened);
    auto migrated = store_->migrate();
    ASSERT_TRUE(migrated.ok()) << describe(migrated);
  }

  std::unique_ptr<TestDatabase> db_;  // outlives store_
  std::unique_ptr<Store> store_;
};

}  // namespace autovoice::testing
