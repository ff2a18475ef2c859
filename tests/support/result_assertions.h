// Assertions on Result values for the store tests: ASSERT_OK(expr) and
// ASSERT_OK_AND_ASSIGN(lhs, expr), whose failure message names the
// expression, the error code, the field and the message.
#pragma once

#include <string>

#include <gtest/gtest.h>

#include "domain/result.h"

namespace autovoice::testing {

template <typename T>
std::string describe(const Result<T>& r) {
  if (r.ok()) return "ok";
  return std::string(error_code_name(r.error().code)) + " (field '" + r.error().field + "'): " + r.error().message;
}

}  // namespace autovoice::testing

// Evaluates a Result-returning expression, fails the test unless it is ok, and
// declares `lhs` holding its value.
#define ASSERT_OK_AND_ASSIGN(lhs, expr)                                                          \
  auto lhs##_result = (expr);                                                                    \
  ASSERT_TRUE(lhs##_result.ok()) << #expr << ": " << ::autovoice::testing::describe(lhs##_result); \
  auto lhs = std::move(lhs##_result).value()

#define ASSERT_OK(expr)                                                                      \
  do {                                                                                       \
    const auto ok_result = (expr);                                                           \
    ASSERT_TRUE(ok_result.ok()) << #expr << ": " << ::autovoice::testing::describe(ok_result); \
  } while (false)
