// ImageCatalog: which local command a container `image` runs as. There is no container runtime:
// a Pod's image only selects an entry of this operator-supplied catalog, so only the operator
// decides what may run; nothing that arrives through the API can add an entry. Loading and
// Resolve are pure functions over plain values (Resolve reads the user database with
// getpwnam_r/getpwuid_r): call from any thread; a loaded catalog may be shared read-only.
//
// The file (given with --image-catalog), YAML:
//
//   images:
//   - image: "gardnera/canarytester:*"   # reference; '*' wildcard allowed only in the tag part
//                                        # (after the last ':'), matches any tag; exact otherwise
//     argv: ["/path/to/canary-demoapp", "--version", "$(IMAGE_TAG)", "--port", "$(PORT)",
//            "--listen-host", "$(POD_IP)"]
//     env: {KEY: value}                  # optional
//     workingDir: /some/dir              # optional
//     allowCommand: false                # optional: may a Pod's `command` replace argv[0..]?
//                                        # default false
//     allowArgs: false                   # optional: may a Pod's `args` replace the catalog's
//                                        # argv[1..]? default false
//     user: nobody                       # optional: the user the process runs as when canaryd is
//                                        # root (default: the catalog-wide `defaultUser`, itself
//                                        # default "nobody")
//   defaultUser: nobody                  # optional
//
// Matching. A reference without tag or digest means tag "latest", in patterns and images alike
// ("nginx" and "nginx:latest" are the same); registry names are not normalised
// ("docker.io/library/nginx" is not "nginx"). '*' in a pattern's tag matches any run of
// characters ("v1.*" matches "v1.2"). A digest reference (`name@sha256:...`) matches only a
// pattern equal to it. The first matching entry wins: file entries before the built-in one.
// IMAGE_TAG is the image's tag ("latest" when it has none; for a digest reference the tag written
// before '@', or empty).
//
// Built-in entry `gardnera/canarytester:*`: the bundled demo app (`canary-demoapp` next to
// canaryd) with `--version $(IMAGE_TAG) --port $(PORT) --listen-host $(POD_IP)`. A file entry
// with the same pattern replaces it.
//
// Loading is strict: unknown fields are refused, and each error names the file, line and field
// path (`catalog.yaml:7: images[1].argv: must be a non-empty list of strings`). argv[0] must be an
// absolute path: argv is executed with execve, never through a shell and never searched in PATH.
// An entry may still allow a command such as /bin/sh: that is the operator's choice.
#pragma once

#include <sys/types.h>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace canaryd::workload {

using EnvList = std::vector<std::pair<std::string, std::string>>;

struct CatalogEntry {
  std::string image;              // the pattern
  std::vector<std::string> argv;  // argv[0] absolute
  EnvList env;                    // in file order
  std::optional<std::string> working_dir;
  bool allow_command = false;
  bool allow_args = false;
  std::optional<std::string> user;  // unset: the catalog's default_user
  bool builtin = false;
  int line = 0;  // where the entry starts in the file (0 for the built-in)
};

struct ImageCatalog {
  std::vector<CatalogEntry> entries;  // file entries first, then the built-in one
  std::string default_user = "nobody";
  std::string file_name;  // for messages
};

// Parses catalog text. `file_name` is only used in messages. The built-in entry is not added.
Result<ImageCatalog> ParseImageCatalog(std::string_view text, std::string_view file_name);
// Reads and parses the file at `path`.
Result<ImageCatalog> LoadImageCatalog(const std::string& path);
// Appends the built-in `gardnera/canarytester:*` entry running `demoapp_path`, unless an entry
// with that pattern is already there.
void AddBuiltinEntries(ImageCatalog& catalog, const std::string& demoapp_path);

// The runtime variables the caller (the local kubelet) gives every container. They are put in
// the process environment and may be referenced as $(VAR) by the catalog, the Pod's env, command
// and args. They win over an env entry of the same name (catalog or Pod): the port and address
// are where the endpoints say the Pod listens, and a Pod's POD_NAME from the downward API has the
// same value anyway.
struct RuntimeVars {
  int port = 0;
  std::string pod_name;
  std::string pod_namespace;
  std::string pod_ip;
};

struct ContainerRequest {
  std::string image;
  std::optional<std::vector<std::string>> command;
  std::optional<std::vector<std::string>> args;
  EnvList env;  // already resolved values from the Pod (valueFrom done by the caller), in order
  std::optional<std::string> working_dir;
  std::optional<int64_t> run_as_user;
  std::optional<int64_t> run_as_group;
  RuntimeVars runtime;
};

struct Identity {
  bool canaryd_is_root = false;
  uid_t canaryd_uid = 0;
  gid_t canaryd_gid = 0;  // only compared with a Pod's runAsGroup when canaryd is not root
};
// The identity of this process (geteuid/getegid).
Identity CurrentIdentity();

struct ResolvedProcess {
  std::vector<std::string> argv;
  // "K=V": PATH=/usr/local/bin:/usr/bin:/bin, HOME=/, the runtime variables (PORT, POD_NAME,
  // POD_NAMESPACE, POD_IP, IMAGE_TAG), then the catalog's env, then the Pod's; a later entry of
  // the same name replaces the value in place. Nothing is inherited from canaryd.
  std::vector<std::string> env;
  std::string working_dir;   // the Pod's workingDir, else the entry's, else "/"
  std::optional<uid_t> uid;  // unset: do not change user (canaryd is not root)
  std::optional<gid_t> gid;
  std::string image_tag;
};

// Decides the process a container runs as. Refused (kFailedPrecondition / kInvalidArgument, with
// a message that says how to fix it): an image that matches no entry; `command` without the
// entry's allowCommand; `args` without allowArgs; runAsUser 0 (or runAsGroup 0) unless the
// entry's user is root; when canaryd is not root, a runAsUser other than its own uid (or a
// runAsGroup other than its gid); an unknown user name; a relative argv[0] or working directory.
// When canaryd is root the process runs as runAsUser if given (gid: runAsGroup, else that uid's
// primary group from the user database, else 65534), otherwise as the entry's user. When canaryd
// is not root the process runs as canaryd and user names are not looked up.
Result<ResolvedProcess> Resolve(const ImageCatalog& catalog, const ContainerRequest& request,
                                const Identity& identity);

// Kubernetes `$(VAR)` expansion (k8s.io/kubernetes third_party/forked/golang/expansion):
// `$(VAR)` becomes the value when `lookup` defines VAR and stays as written otherwise; `$$`
// becomes `$` (so `$$(VAR)` is the literal `$(VAR)`); any other `$` stays, as does an
// unterminated `$(`. Values are inserted as they are (not expanded again). One departure: Go's
// version re-encodes a non-ASCII byte right after a lone `$` as a rune; here bytes stay bytes.
// `lookup` returns nullptr when undefined.
template <class Lookup>
std::string ExpandVars(std::string_view input, const Lookup& lookup);

// The same with the variables of an EnvList (the last entry of a name wins).
std::string ExpandVars(std::string_view input, const EnvList& vars);

// Splits an image reference into the parts matching uses. Exposed for tests.
struct ImageRef {
  std::string name;    // without tag and digest
  std::string tag;     // "latest" when absent (and no digest)
  std::string digest;  // "sha256:..." or empty
};
ImageRef ParseImageRef(std::string_view image);
// Whether `image` matches the pattern (see Matching above).
bool ImageMatches(std::string_view pattern, std::string_view image);

// --- implementation of the template ---

template <class Lookup>
std::string ExpandVars(std::string_view input, const Lookup& lookup) {
  std::string out;
  out.reserve(input.size());
  size_t checkpoint = 0;
  for (size_t cursor = 0; cursor < input.size(); ++cursor) {
    if (input[cursor] != '$' || cursor + 1 >= input.size()) continue;
    out.append(input.substr(checkpoint, cursor - checkpoint));
    std::string_view rest = input.substr(cursor + 1);
    size_t advance = 1;
    if (rest[0] == '$') {
      out.push_back('$');
    } else if (rest[0] == '(') {
      size_t close = rest.find(')', 1);
      if (close == std::string_view::npos) {
        out.append("$(");
      } else {
        std::string_view name = rest.substr(1, close - 1);
        const std::string* value = lookup(name);
        if (value != nullptr) {
          out.append(*value);
        } else {
          out.append("$(").append(name).append(")");
        }
        advance = close + 1;
      }
    } else {
      out.push_back('$');
      out.push_back(rest[0]);
    }
    cursor += advance;
    checkpoint = cursor + 1;
  }
  out.append(input.substr(std::min(checkpoint, input.size())));
  return out;
}

}  // namespace canaryd::workload
