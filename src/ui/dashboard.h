// The dashboard on the admin listener: GET /ui/ (and /ui/<asset>) serves the embedded page, and
// /ui/config.json tells it whether it is read-only and whether the API wants a token. The page
// itself reads and writes through the resource API, under the same token and CSRF rules as any
// client (api/request_guard.h). The assets are public (a browser cannot send a bearer token when
// it opens a page), and hold no data. Register once at start; handlers are thread-safe.
#pragma once

#include "api/router.h"

namespace canaryd::ui {

struct DashboardOptions {
  bool read_only = false;       // --ui-read-only: no buttons (the API refuses browser writes)
  bool token_required = false;  // the admin API requires its bearer token
};

void RegisterDashboard(api::Router& router, const DashboardOptions& options);

}  // namespace canaryd::ui
