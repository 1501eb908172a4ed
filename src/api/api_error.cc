#include "api/api_error.h"

namespace canaryd::api {

json ApiError::ToStatus() const {
  json status = {{"kind", "Status"},    {"apiVersion", "v1"}, {"metadata", json::object()},
                 {"status", "Failure"}, {"message", message}, {"reason", reason},
                 {"code", code}};
  json details = json::object();
  if (!name.empty()) details["name"] = name;
  if (!group.empty()) details["group"] = group;
  if (!kind.empty()) details["kind"] = kind;
  if (!causes.empty()) {
    json list = json::array();
    for (const ApiCause& c : causes) {
      json cause = json::object();
      if (!c.reason.empty()) cause["reason"] = c.reason;
      if (!c.message.empty()) cause["message"] = c.message;
      if (!c.field.empty()) cause["field"] = c.field;
      list.push_back(std::move(cause));
    }
    details["causes"] = std::move(list);
  }
  if (retry_after_seconds > 0) details["retryAfterSeconds"] = retry_after_seconds;
  if (!details.empty()) status["details"] = std::move(details);
  return status;
}

std::string QualifiedResource(const config::KindInfo& kind) {
  std::string out(kind.plural);
  if (!kind.group.empty()) {
    out += '.';
    out += kind.group;
  }
  return out;
}

namespace {

ApiError Make(int code, std::string reason, std::string message) {
  ApiError e;
  e.code = code;
  e.reason = std::move(reason);
  e.message = std::move(message);
  return e;
}

ApiError ForObject(int code, std::string reason, std::string message, const config::KindInfo& kind,
                   const std::string& name) {
  ApiError e = Make(code, std::move(reason), std::move(message));
  e.name = name;
  e.group = std::string(kind.group);
  e.kind = std::string(kind.plural);
  return e;
}

}  // namespace

ApiError NotFoundError(const config::KindInfo& kind, const std::string& name) {
  return ForObject(404, "NotFound", QualifiedResource(kind) + " \"" + name + "\" not found", kind,
                   name);
}

ApiError AlreadyExistsError(const config::KindInfo& kind, const std::string& name) {
  return ForObject(409, "AlreadyExists",
                   QualifiedResource(kind) + " \"" + name + "\" already exists", kind, name);
}

ApiError ConflictError(const config::KindInfo& kind, const std::string& name) {
  return ForObject(409, "Conflict",
                   "Operation cannot be fulfilled on " + QualifiedResource(kind) + " \"" + name +
                       "\": the object has been modified; please apply your changes to the "
                       "latest version and try again",
                   kind, name);
}

ApiError InvalidError(const config::KindInfo& kind, const std::string& name,
                      std::vector<ApiCause> causes) {
  std::string qualified_kind(kind.name);
  if (!kind.group.empty()) qualified_kind += "." + std::string(kind.group);
  std::string list;
  for (const ApiCause& c : causes) {
    if (!list.empty()) list += ", ";
    list += c.field.empty() ? c.message : c.field + ": " + c.message;
  }
  if (causes.size() > 1) list = "[" + list + "]";
  ApiError e = Make(422, "Invalid", qualified_kind + " \"" + name + "\" is invalid: " + list);
  e.name = name;
  e.group = std::string(kind.group);
  e.kind = std::string(kind.name);
  e.causes = std::move(causes);
  return e;
}

ApiError BadRequestError(std::string message) {
  return Make(400, "BadRequest", std::move(message));
}

ApiError UnauthorizedError() {
  return Make(401, "Unauthorized", "Unauthorized");
}

ApiError ForbiddenError(const config::KindInfo& kind, const std::string& name,
                        const std::string& why) {
  return ForObject(403, "Forbidden",
                   QualifiedResource(kind) + " \"" + name + "\" is forbidden: " + why, kind, name);
}

ApiError MethodNotAllowedError(std::string message) {
  return Make(405, "MethodNotAllowed", std::move(message));
}

ApiError NotServedError(const config::KindInfo& kind, const std::string& name) {
  return ForObject(405, "MethodNotAllowed",
                   QualifiedResource(kind) + (name.empty() ? " are" : " \"" + name + "\" is") +
                       " not served: " + config::UnservedReason(kind),
                   kind, name);
}

ApiError NotAcceptableError(std::string message) {
  return Make(406, "NotAcceptable", std::move(message));
}

ApiError UnsupportedMediaTypeError(std::string message) {
  return Make(415, "UnsupportedMediaType", std::move(message));
}

ApiError TooLargeError(std::string message) {
  return Make(413, "RequestEntityTooLarge", std::move(message));
}

ApiError GoneError(std::string message) {
  return Make(410, "Expired", std::move(message));
}

ApiError InternalError(std::string message) {
  return Make(500, "InternalError", std::move(message));
}

ApiError UnavailableError(std::string message) {
  return Make(503, "ServiceUnavailable", std::move(message));
}

ApiError GenericNotFound() {
  return Make(404, "NotFound", "the server could not find the requested resource");
}

}  // namespace canaryd::api
