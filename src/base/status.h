// One status type for the whole project. Codes are chosen by what the caller
// does next, not by where the error came from:
//   kAlreadyExists     412 on PUT-if-absent: someone else won; move on.
//   kConflict          409 (two conditional writes collided): retry.
//   kUnavailable       5xx, 503 SlowDown, timeouts, transport errors: retry with backoff.
//   kPermissionDenied  403, bad credentials: stop and say so.
//   kNotFound          404 / no such key.
//   kInvalidArgument   bad input (config, event, key): report, never retry.
//   kFailedPrecondition the state needs an operator's step first (e.g. `eventbarrier
//                      migrate`): stop and say which.
//   kInternal          a bug or an impossible state.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace eb {

enum class Code {
  kOk = 0,
  kNotFound,
  kAlreadyExists,
  kConflict,
  kUnavailable,
  kPermissionDenied,
  kInvalidArgument,
  kFailedPrecondition,
  kInternal,
};

const char* CodeName(Code code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Code code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }
  static Status NotFound(std::string m) { return {Code::kNotFound, std::move(m)}; }
  static Status AlreadyExists(std::string m) { return {Code::kAlreadyExists, std::move(m)}; }
  static Status Conflict(std::string m) { return {Code::kConflict, std::move(m)}; }
  static Status Unavailable(std::string m) { return {Code::kUnavailable, std::move(m)}; }
  static Status PermissionDenied(std::string m) { return {Code::kPermissionDenied, std::move(m)}; }
  static Status InvalidArgument(std::string m) { return {Code::kInvalidArgument, std::move(m)}; }
  static Status FailedPrecondition(std::string m) { return {Code::kFailedPrecondition, std::move(m)}; }
  static Status Internal(std::string m) { return {Code::kInternal, std::move(m)}; }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }

  bool IsNotFound() const { return code_ == Code::kNotFound; }
  bool IsAlreadyExists() const { return code_ == Code::kAlreadyExists; }
  // True for the codes a caller may retry (with backoff): conflict and unavailable.
  bool IsRetryable() const { return code_ == Code::kConflict || code_ == Code::kUnavailable; }

  // "unavailable: 503 SlowDown ..." (or "ok").
  std::string ToString() const;

  // Returns a copy whose message is prefixed with `context: `.
  Status WithContext(const std::string& context) const;

 private:
  Code code_ = Code::kOk;
  std::string message_;
};

// A value or a non-ok Status. `if (auto r = f()) use(*r); else report(r.status());`
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) {
    if (status_.ok()) status_ = Status::Internal("Result constructed from an ok Status");
  }

  bool ok() const { return value_.has_value(); }
  explicit operator bool() const { return ok(); }
  const Status& status() const { return status_; }

  // REQUIRES: ok().
  T& value() & { return *value_; }
  const T& value() const& { return *value_; }
  T&& value() && { return std::move(*value_); }
  T& operator*() & { return *value_; }
  const T& operator*() const& { return *value_; }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }

 private:
  std::optional<T> value_;
  Status status_;
};

}  // namespace eb

// Evaluates `expr` (a Status); returns it from the enclosing function unless ok.
#define EB_RETURN_IF_ERROR(expr)           \
  do {                                     \
    ::eb::Status eb_status_ = (expr);      \
    if (!eb_status_.ok()) return eb_status_; \
  } while (0)

// Evaluates `expr` (a Result<T>); returns its status from the enclosing function
// unless ok, else moves the value into `lhs` (a declaration or an lvalue):
//   EB_ASSIGN_OR_RETURN(auto body, s3.GetObject(bucket, key));
// Expands to more than one statement: not the body of an unbraced if/else.
#define EB_ASSIGN_OR_RETURN(lhs, expr) \
  EB_ASSIGN_OR_RETURN_IMPL_(EB_STATUS_CONCAT_(eb_result_, __LINE__), lhs, expr)
#define EB_STATUS_CONCAT_INNER_(a, b) a##b
#define EB_STATUS_CONCAT_(a, b) EB_STATUS_CONCAT_INNER_(a, b)
#define EB_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                              \
  if (!tmp.ok()) return tmp.status();             \
  lhs = std::move(*tmp)
