// The SQLite store: the cost of a durable write (a sequential compare-and-set Update, as the
// rollout controller makes each step: WAL append + fsync) and of listing 10,000 objects (what a
// client's first List and every re-list after a Gone costs). The store lives in a temporary
// directory under $CANARYD_BENCH_DIR, or else the system's temporary directory: put it on the
// disk you mean to measure (tmpfs would make fsync free).
#include <benchmark/benchmark.h>
#include <stdlib.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "store/sqlite_store.h"

namespace {

using canaryd::Result;
using canaryd::store::ListResult;
using canaryd::store::ObjectKey;
using canaryd::store::SqliteStore;
using canaryd::store::StoredObject;

// A VirtualService's JSON is about 800 bytes.
std::string Value(int i) {
  return R"({"apiVersion":"networking.istio.io/v1","kind":"VirtualService","metadata":{"name":"vs-)" +
         std::to_string(i) +
         R"(","namespace":"default"},"spec":{"hosts":["web.example.com"],"gateways":["web-gateway"],)"
         R"("http":[{"route":[{"destination":{"host":"web-v1-service","subset":"v1","port":)"
         R"({"number":80}},"weight":90},{"destination":{"host":"web-v2-service","subset":"v2",)"
         R"("port":{"number":80}},"weight":10}],"retries":{"attempts":3,"perTryTimeout":"500ms",)"
         R"("retryOn":"5xx,connect-failure"}}]},"pad":")" +
         std::string(300, 'x') + "\"}";
}

// A data directory removed when the benchmark ends.
class BenchDir {
 public:
  BenchDir() {
    const char* base = std::getenv("CANARYD_BENCH_DIR");
    std::string tmpl =
        ((base ? std::filesystem::path(base) : std::filesystem::temp_directory_path()) /
         "canaryd-store-bench-XXXXXX")
            .string();
    if (::mkdtemp(tmpl.data()) != nullptr) path_ = tmpl;
  }
  ~BenchDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

struct Fixture {
  BenchDir dir;
  std::unique_ptr<SqliteStore> store;
  std::string error;
};

std::unique_ptr<Fixture> OpenFixture() {
  auto f = std::make_unique<Fixture>();
  Result<std::unique_ptr<SqliteStore>> s = SqliteStore::Open(f->dir.path() + "/data");
  if (!s.ok()) {
    f->error = s.status().ToString();
  } else {
    f->store = std::move(s).value();
  }
  return f;
}

void BM_UpdateDurable(benchmark::State& state) {
  auto f = OpenFixture();
  if (!f->store) return state.SkipWithError(f->error.c_str());
  const ObjectKey key{"VirtualService", "default", "web"};
  Result<StoredObject> created = f->store->Create(key, Value(0));
  if (!created.ok()) return state.SkipWithError(created.status().ToString().c_str());
  int64_t revision = created->mod_revision;
  const std::string value = Value(1);
  for (auto _ : state) {
    Result<StoredObject> r = f->store->Update(key, value, revision);
    if (!r.ok()) {
      state.SkipWithError(r.status().ToString().c_str());
      break;
    }
    revision = r->mod_revision;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_UpdateDurable)->Unit(benchmark::kMicrosecond)->UseRealTime();

// 10,000 objects, made once per process (10,000 durable writes take a while).
Fixture& TenThousand() {
  static std::unique_ptr<Fixture> f = [] {
    auto f = OpenFixture();
    for (int i = 0; f->store && i < 10'000; ++i) {
      Result<StoredObject> r = f->store->Create(
          ObjectKey{"VirtualService", "ns-" + std::to_string(i % 10), "vs-" + std::to_string(i)},
          Value(i));
      if (!r.ok()) {
        f->error = r.status().ToString();
        f->store.reset();
      }
    }
    return f;
  }();
  return *f;
}

void BM_List10000(benchmark::State& state) {
  Fixture& f = TenThousand();
  if (!f.store) return state.SkipWithError(f.error.c_str());
  for (auto _ : state) {
    Result<ListResult> list = f.store->List({"VirtualService", ""});
    if (!list.ok() || list->items.size() != 10'000) {
      state.SkipWithError("List did not return 10,000 objects");
      break;
    }
    benchmark::DoNotOptimize(list);
  }
  state.SetItemsProcessed(state.iterations() * 10'000);
}
BENCHMARK(BM_List10000)->Unit(benchmark::kMillisecond);

// One namespace of the same 10,000 (1,000 objects), through the (kind, namespace, name) index.
void BM_List1000OfOneNamespace(benchmark::State& state) {
  Fixture& f = TenThousand();
  if (!f.store) return state.SkipWithError(f.error.c_str());
  for (auto _ : state) {
    Result<ListResult> list = f.store->List({"VirtualService", "ns-3"});
    if (!list.ok() || list->items.size() != 1'000) {
      state.SkipWithError("List did not return 1,000 objects");
      break;
    }
    benchmark::DoNotOptimize(list);
  }
  state.SetItemsProcessed(state.iterations() * 1'000);
}
BENCHMARK(BM_List1000OfOneNamespace)->Unit(benchmark::kMicrosecond);

void BM_Get(benchmark::State& state) {
  Fixture& f = TenThousand();
  if (!f.store) return state.SkipWithError(f.error.c_str());
  int i = 0;
  for (auto _ : state) {
    Result<StoredObject> r = f.store->Get(
        ObjectKey{"VirtualService", "ns-" + std::to_string(i % 10), "vs-" + std::to_string(i)});
    if (!r.ok()) {
      state.SkipWithError(r.status().ToString().c_str());
      break;
    }
    benchmark::DoNotOptimize(r);
    i = (i + 7919) % 10'000;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Get)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
