// Errors are values: a closed set of codes carried in Result<T>.
// Each API surface maps an Error to its wire format in exactly one place.
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace segue {

enum class ErrorCode {
  kNotFound,
  kInvalidArgument,
  kConflict,
  kUnauthenticated,
  kPermissionDenied,
  kResourceExhausted,
  kUnavailable,
  kCorruption,
  kInternal,
};

const char* error_code_name(ErrorCode code);

// A finer reason than the code, set by the code that knows it, for callers that must decide on
// it: decisions are taken on this, never on an error's message (which is for people).
enum class ErrorReason {
  kNone,
  kExpired,   // a credential, token or code past its expiry (kUnauthenticated: "token expired")
  kNoReport,  // a worker process ended without printing its one-line report
};
const char* error_reason_name(ErrorReason reason);

struct Error {
  ErrorCode code;
  std::string message;
  ErrorReason reason = ErrorReason::kNone;

  // The same error with `r` as its reason: Error::unauthenticated("...").because(ErrorReason::kExpired).
  Error because(ErrorReason r) && {
    reason = r;
    return std::move(*this);
  }
  bool is(ErrorReason r) const { return reason == r; }

  static Error not_found(std::string m) { return {ErrorCode::kNotFound, std::move(m)}; }
  static Error invalid(std::string m) { return {ErrorCode::kInvalidArgument, std::move(m)}; }
  static Error conflict(std::string m) { return {ErrorCode::kConflict, std::move(m)}; }
  static Error unauthenticated(std::string m) {
    return {ErrorCode::kUnauthenticated, std::move(m)};
  }
  static Error permission_denied(std::string m) {
    return {ErrorCode::kPermissionDenied, std::move(m)};
  }
  static Error exhausted(std::string m) { return {ErrorCode::kResourceExhausted, std::move(m)}; }
  static Error unavailable(std::string m) { return {ErrorCode::kUnavailable, std::move(m)}; }
  static Error corruption(std::string m) { return {ErrorCode::kCorruption, std::move(m)}; }
  static Error internal(std::string m) { return {ErrorCode::kInternal, std::move(m)}; }
};

// Result<T> holds either a T or an Error (std::expected-shaped; g++ 12 lacks <expected>).
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Error error) : v_(std::move(error)) {}  // NOLINT

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { assert(ok()); return std::get<0>(v_); }
  const T& value() const& { assert(ok()); return std::get<0>(v_); }
  T&& value() && { assert(ok()); return std::get<0>(std::move(v_)); }
  T&& operator*() && { return std::move(*this).value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const { assert(!ok()); return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

// Result<void> equivalent.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Error error) : e_(std::move(error)) {}  // NOLINT
  bool ok() const { return !e_.has_value(); }
  explicit operator bool() const { return ok(); }
  const Error& error() const { assert(!ok()); return *e_; }
  static Status success() { return {}; }

 private:
  std::optional<Error> e_;
};

}  // namespace segue

// Propagate an error from an expression returning Status or Result<T>.
#define SEGUE_CONCAT_INNER(a, b) a##b
#define SEGUE_CONCAT(a, b) SEGUE_CONCAT_INNER(a, b)
#define SEGUE_TRY(expr)                                \
  do {                                                 \
    auto&& segue_try_r_ = (expr);                      \
    if (!segue_try_r_.ok()) return segue_try_r_.error(); \
  } while (0)
#define SEGUE_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                \
  if (!tmp.ok()) return tmp.error();                \
  lhs = std::move(tmp).value()
#define SEGUE_ASSIGN_OR_RETURN(lhs, expr) \
  SEGUE_ASSIGN_OR_RETURN_IMPL(SEGUE_CONCAT(segue_r_, __LINE__), lhs, expr)
