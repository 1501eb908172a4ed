// OpenAPI v3 documents of the served API, one per group version (/openapi/v3/apis/<g>/<v>,
// /openapi/v3/api/v1) and the index (/openapi/v3) that points at them with a content hash, as
// kube-apiserver serves them. Schemas come from schema.h (the decoder's own descriptions). The
// PATCH operations list the fieldValidation parameter, which tells kubectl that the server
// validates strictly (kubectl then sends fieldValidation=Strict instead of validating itself).
// Built once; immutable afterwards: any thread.
#pragma once

#include <map>
#include <string>

namespace canaryd::api {

class OpenApiDocuments {
 public:
  OpenApiDocuments();

  // The index: {"paths": {"apis/networking.istio.io/v1": {"serverRelativeURL": ...}}}.
  const std::string& Index() const { return index_; }
  // The document for "api/v1" or "apis/<group>/<version>"; nullptr when unknown.
  const std::string* Document(const std::string& group_version_path) const;
  // Its content hash (what ?hash= carries), or "".
  std::string Hash(const std::string& group_version_path) const;

 private:
  struct Doc {
    std::string text;
    std::string hash;
  };
  std::map<std::string, Doc> docs_;
  std::string index_;
};

}  // namespace canaryd::api
