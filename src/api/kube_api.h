// KubeApi: the Kubernetes-style REST API on the admin listener, what kubectl drives. It maps
// HTTP requests (paths, verbs, query parameters, content types, Accept headers) to discovery,
// OpenAPI, ObjectService calls, watches and tables, and errors to Status objects; analysis
// findings go out as Warning headers, which kubectl prints. Register() adds its routes (/api,
// /apis, /version, /openapi, /healthz, /readyz, /livez) to a Router.
//
// Thread-safe: Handle may run on many connection threads at once; state lives in the store.
#pragma once

#include <atomic>
#include <functional>
#include <mutex>
#include <string>

#include "api/access_review.h"
#include "api/http_message.h"
#include "api/object_service.h"
#include "api/openapi.h"
#include "api/pod_logs.h"
#include "api/router.h"

namespace canaryd::api {

class KubeApi {
 public:
  // `service` must outlive this object. `server_address` is what /api reports ("host:port");
  // `access` says who may call (for kubectl auth can-i).
  KubeApi(ObjectService& service, std::string server_address, AccessPolicy access = {});

  void Register(Router& router);
  HttpResponse Handle(const HttpRequest& request);

  // /readyz answers 503 while not ready, or while `check` (when set) returns a reason; the
  // reason is the body. Any thread.
  void SetReady(bool ready) { ready_ = ready; }
  void SetReadinessCheck(std::function<std::string()> check);
  // Where pods/log reads from; none: pods/log answers that no logs are kept. Call before
  // serving.
  void SetPodLogSource(PodLogSource* source) { logs_ = source; }

 private:
  HttpResponse HandleApi(const HttpRequest& req, const std::string& group,
                         const std::vector<std::string>& rest);
  HttpResponse HandleOpenApi(const HttpRequest& req);
  HttpResponse HandleReview(const HttpRequest& req, const config::KindInfo& kind, bool collection);
  HttpResponse HandleScale(const HttpRequest& req, const Target& t, const WriteOptions& options);
  HttpResponse HandleLog(const HttpRequest& req, const Target& t);

  ObjectService& service_;
  const std::string server_address_;
  const AccessPolicy access_;
  const OpenApiDocuments openapi_;
  std::atomic<bool> ready_{true};
  std::mutex readiness_mu_;
  std::function<std::string()> readiness_check_;  // guarded by readiness_mu_
  PodLogSource* logs_ = nullptr;
};

}  // namespace canaryd::api
