// ApiError: a failed API call as Kubernetes reports it, a Status object with an HTTP code, a
// machine-readable reason (NotFound, AlreadyExists, Conflict, Invalid, ...), a message kubectl
// prints, and details (the object's name and kind, and for Invalid the cause of each field).
// ApiResult<T> holds a value or an ApiError. Plain values: any thread.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "config/kinds.h"

namespace canaryd::api {

using nlohmann::json;

struct ApiCause {
  std::string reason;  // "FieldValueInvalid", "FieldValueNotFound", "FieldManagerConflict", ...
  std::string message;
  std::string field;  // the field path, e.g. spec.http[0].route[1].weight
};

struct ApiError {
  int code = 500;
  std::string reason;
  std::string message;
  std::string name;   // details.name
  std::string group;  // details.group
  std::string kind;   // details.kind
  std::vector<ApiCause> causes;
  int retry_after_seconds = 0;

  // The Status object.
  json ToStatus() const;
};

template <class T>
class [[nodiscard]] ApiResult {
 public:
  ApiResult(T value) : v_(std::move(value)) {}         // NOLINT(google-explicit-constructor)
  ApiResult(ApiError error) : v_(std::move(error)) {}  // NOLINT(google-explicit-constructor)
  bool ok() const { return std::holds_alternative<T>(v_); }
  const ApiError& error() const { return std::get<ApiError>(v_); }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }

 private:
  std::variant<T, ApiError> v_;
};

// "virtualservices.networking.istio.io" / "services": how Kubernetes names a resource in
// messages.
std::string QualifiedResource(const config::KindInfo& kind);

ApiError NotFoundError(const config::KindInfo& kind, const std::string& name);
ApiError AlreadyExistsError(const config::KindInfo& kind, const std::string& name);
// A stale resourceVersion.
ApiError ConflictError(const config::KindInfo& kind, const std::string& name);
ApiError InvalidError(const config::KindInfo& kind, const std::string& name,
                      std::vector<ApiCause> causes);
ApiError BadRequestError(std::string message);
ApiError UnauthorizedError();
ApiError ForbiddenError(const config::KindInfo& kind, const std::string& name,
                        const std::string& why);
ApiError MethodNotAllowedError(std::string message);
// A write of a kind canaryd lists but refuses (config::Serving::kRefused), with the reason:
// `deployments.apps "web" is not served: canaryd runs no containers. ...` (405, as for a verb
// the resource does not serve). `name` may be "" when the body could not be read.
ApiError NotServedError(const config::KindInfo& kind, const std::string& name);
ApiError NotAcceptableError(std::string message);
ApiError UnsupportedMediaTypeError(std::string message);
ApiError TooLargeError(std::string message);
ApiError GoneError(std::string message);  // reason Expired, as for a compacted watch
ApiError InternalError(std::string message);
ApiError UnavailableError(std::string message);
ApiError GenericNotFound();  // an unknown path

}  // namespace canaryd::api
