#include "rollout/http_outbound.h"

#include "rollout/prometheus_client.h"
#include "rollout/webhook_client.h"

namespace canaryd::rollout {

WebhookAnswer HttpOutbound::CallWebhook(const WebhookPlan& hook, const std::string& payload) {
  WebhookCall call;
  call.url = hook.url;
  call.body = payload;
  call.timeout = std::chrono::milliseconds(hook.timeout_ms);
  WebhookOutcome o = rollout::CallWebhook(call);
  WebhookAnswer a;
  a.ok = o.ok;
  a.http_status = o.http_status;
  // No HTTP answer at all (refused, timed out, reset) is an outage, not a "no".
  a.unreachable = !o.ok && o.http_status == 0;
  a.error = o.error;
  return a;
}

ProviderValue HttpOutbound::QueryMetric(const MetricPlan& metric, const std::string& query) {
  PrometheusQuery q;
  q.address = metric.provider_address;
  q.query = query;
  QueryResult r = QueryPrometheus(q);
  ProviderValue v;
  if (r.ok()) {
    v.value = r.value;
    return v;
  }
  v.kind = r.kind == QueryErrorKind::kNoData ? ProviderValue::Kind::kNoData
                                             : ProviderValue::Kind::kError;
  v.error = r.error;
  if (r.kind == QueryErrorKind::kBadQuery || r.kind == QueryErrorKind::kBadResponse) {
    v.error = std::string(QueryErrorKindName(r.kind)) + ": " + r.error;
  }
  return v;
}

}  // namespace canaryd::rollout
