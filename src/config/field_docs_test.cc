// Every field of every kind has a description (what `kubectl explain` prints), and every kind a
// top-level one: a field added without one fails here, with its path.
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <typeinfo>
#include <vector>

#include "config/canary_types.h"
#include "config/core_types.h"
#include "config/data_types.h"
#include "config/event_types.h"
#include "config/istio_types.h"
#include "config/kinds.h"
#include "config/workload_types.h"

namespace canaryd::config {
namespace {

// Walks a described type and the described types of its fields, recording the paths of fields
// without a description.
class DocChecker {
 public:
  explicit DocChecker(std::string path) : path_(std::move(path)) {}

  template <class F>
  void operator()(const char* name, F&, const FieldOptions& options = {}) {
    std::string path = path_ + "." + name;
    ++(*fields_);
    if (options.doc == nullptr || std::string(options.doc).empty()) missing_->push_back(path);
    Descend<F>(path);
  }

  template <class T>
  void Walk() {
    T value{};
    Describe(*this, value);
  }

  std::vector<std::string>* missing_ = nullptr;
  size_t* fields_ = nullptr;
  std::set<std::string>* seen_ = nullptr;  // types walked already (and so not walked again)

 private:
  template <class F>
  void Descend(const std::string& path) {
    if constexpr (IsOptional<F>::value || IsVector<F>::value) {
      Descend<typename F::value_type>(path);
    } else if constexpr (IsStringMap<F>::value) {
      Descend<typename F::mapped_type>(path);
    } else if constexpr (Described<F>) {
      if (!seen_->insert(typeid(F).name()).second) return;
      DocChecker inner(path);
      inner.missing_ = missing_;
      inner.fields_ = fields_;
      inner.seen_ = seen_;
      inner.Walk<F>();
    }
  }

  std::string path_;
};

template <class Spec>
void Check(const std::string& kind, std::vector<std::string>* missing, size_t* fields) {
  std::set<std::string> seen;
  DocChecker c(kind + ".spec");
  c.missing_ = missing;
  c.fields_ = fields;
  c.seen_ = &seen;
  c.Walk<Spec>();
}

TEST(FieldDocs, EveryFieldOfEveryKindHasADescription) {
  std::vector<std::string> missing;
  size_t fields = 0;
  Check<GatewaySpec>("gateway", &missing, &fields);
  Check<VirtualServiceSpec>("virtualservice", &missing, &fields);
  Check<DestinationRuleSpec>("destinationrule", &missing, &fields);
  Check<ServiceEntrySpec>("serviceentry", &missing, &fields);
  Check<WorkloadEntrySpec>("workloadentry", &missing, &fields);
  Check<ServiceSpec>("service", &missing, &fields);
  Check<NamespaceSpec>("namespace", &missing, &fields);
  Check<ConfigMapBody>("configmap", &missing, &fields);
  Check<SecretBody>("secret", &missing, &fields);
  Check<EventBody>("event", &missing, &fields);
  Check<CanarySpec>("canary", &missing, &fields);
  Check<DeploymentSpec>("deployment", &missing, &fields);
  Check<ReplicaSetSpec>("replicaset", &missing, &fields);
  Check<PodSpec>("pod", &missing, &fields);
  Check<EndpointsBody>("endpoints", &missing, &fields);
  Check<ObjectMeta>("metadata", &missing, &fields);
  EXPECT_TRUE(missing.empty()) << ::testing::PrintToString(missing);
  EXPECT_GT(fields, 300u) << "every field of every kind is walked";
  // A stored kind added to the table must have its type checked above (events.k8s.io/v1 Event
  // is core/v1 Event's type, flagger.app Canary canaryd.io Canary's; refused kinds and reviews
  // have no fields of their own).
  size_t stored = 0;
  for (const KindInfo& k : AllKinds()) stored += k.serving == Serving::kStored;
  EXPECT_EQ(stored, 17u);
}

TEST(FieldDocs, EveryKindHasADescription) {
  for (const KindInfo& k : AllKinds()) {
    EXPECT_GT(KindDescription(k.kind).size(), 40u) << k.name;
  }
}

}  // namespace
}  // namespace canaryd::config
