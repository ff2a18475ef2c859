// Result<T>: the value of an operation that can fail in an expected way.
//
// Expected failures (bad outside input, a missing row, an unreachable database,
// a carrier error) are values, not exceptions. A Result either holds a T or an
// Error whose message names the field and the value at fault. Callers check
// ok() before using the value:
//
//   auto phone = PhoneNumber::parse(text);
//   if (!phone) return phone.error();
//
// Status is Result<void>: success or an Error.
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace autovoice {

enum class ErrorCode {
  kInvalidArgument,  // outside input is malformed or out of range
  kNotFound,         // the referenced record does not exist
  kConflict,         // a uniqueness or state rule forbids the change
  kUnavailable,      // a dependency (database, carrier) cannot be reached; a retry may help
  kFailedPrecondition,  // the system is not in a state to do this (e.g. schema too new)
  kInternal,         // a bug or an unexpected failure
};

const char* error_code_name(ErrorCode code);

struct Error {
  ErrorCode code = ErrorCode::kInternal;
  std::string message;
  std::string field;  // the input field at fault, when there is one

  static Error invalid(std::string field, std::string message) {
    return Error{ErrorCode::kInvalidArgument, std::move(message), std::move(field)};
  }
  static Error not_found(std::string message) {
    return Error{ErrorCode::kNotFound, std::move(message), {}};
  }
  static Error conflict(std::string message) {
    return Error{ErrorCode::kConflict, std::move(message), {}};
  }
  static Error unavailable(std::string message) {
    return Error{ErrorCode::kUnavailable, std::move(message), {}};
  }
  static Error precondition(std::string message) {
    return Error{ErrorCode::kFailedPrecondition, std::move(message), {}};
  }
  static Error internal(std::string message) {
    return Error{ErrorCode::kInternal, std::move(message), {}};
  }
};

// E is the error type: Error, or a richer one (telephony's CarrierError).
template <typename T, typename E = Error>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::in_place_index<0>, std::move(value)) {}  // NOLINT
  Result(E error) : state_(std::in_place_index<1>, std::move(error)) {}  // NOLINT

  bool ok() const { return state_.index() == 0; }
  explicit operator bool() const { return ok(); }

  // REQUIRES: ok()
  T& value() & {
    assert(ok());
    return std::get<0>(state_);
  }
  const T& value() const& {
    assert(ok());
    return std::get<0>(state_);
  }
  T&& value() && {
    assert(ok());
    return std::get<0>(std::move(state_));
  }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  // REQUIRES: !ok()
  const E& error() const& {
    assert(!ok());
    return std::get<1>(state_);
  }
  E&& error() && {
    assert(!ok());
    return std::get<1>(std::move(state_));
  }

 private:
  std::variant<T, E> state_;
};

template <>
class [[nodiscard]] Result<void, Error> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT

  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  // REQUIRES: !ok()
  const Error& error() const& {
    assert(!ok_);
    return error_;
  }
  Error&& error() && {
    assert(!ok_);
    return std::move(error_);
  }

 private:
  Error error_;
  bool ok_ = true;
};

using Status = Result<void>;

inline Status ok_status() { return {}; }

}  // namespace autovoice
