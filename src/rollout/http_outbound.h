// HttpOutbound: the rollout controller's Outbound over the real clients: webhooks through
// webhook_client.h, custom metrics through prometheus_client.h. Each call blocks for at most its
// own timeout. Controller thread only.
#pragma once

#include "rollout/outbound.h"

namespace canaryd::rollout {

class HttpOutbound final : public Outbound {
 public:
  WebhookAnswer CallWebhook(const WebhookPlan& hook, const std::string& payload) override;
  ProviderValue QueryMetric(const MetricPlan& metric, const std::string& query) override;
};

}  // namespace canaryd::rollout
