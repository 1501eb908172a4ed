#include "workload/image_catalog.h"

#include <pwd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "config/yaml_reader.h"

namespace canaryd::workload {

namespace {

using config::Node;

constexpr const char* kBuiltinPattern = "gardnera/canarytester:*";

// Error at a node: "file:line: path: message".
Status At(std::string_view file, const Node& node, const std::string& path,
          const std::string& message) {
  std::string s(file);
  if (node.mark().known()) s += ":" + std::to_string(node.mark().line);
  s += ": ";
  if (!path.empty()) s += path + ": ";
  return InvalidArgument(s + message);
}

bool GlobMatch(std::string_view pattern, std::string_view text) {
  size_t p = 0, t = 0, star = std::string_view::npos, mark = 0;
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = t;
    } else if (p < pattern.size() && pattern[p] == text[t]) {
      ++p;
      ++t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

Status CheckPattern(std::string_view file, const Node& node, const std::string& path) {
  const std::string& pattern = node.as_string();
  if (pattern.empty()) return At(file, node, path, "must be a non-empty image reference");
  ImageRef ref = ParseImageRef(pattern);
  if (ref.name.empty()) return At(file, node, path, "the image name is empty");
  bool star = pattern.find('*') != std::string::npos;
  if (star && (!ref.digest.empty() || ref.name.find('*') != std::string::npos)) {
    return At(file, node, path,
              "'*' is allowed only in the tag (after the last ':'), e.g. \"example/app:*\"");
  }
  return Status::Ok();
}

Result<std::vector<std::string>> StringList(std::string_view file, const Node& node,
                                            const std::string& path, bool non_empty) {
  const char* what =
      non_empty ? "must be a non-empty list of strings" : "must be a list of strings";
  if (!node.is_seq() || (non_empty && node.items().empty())) return At(file, node, path, what);
  std::vector<std::string> out;
  for (size_t i = 0; i < node.items().size(); ++i) {
    const Node& item = node.items()[i];
    if (!item.is_string()) {
      return At(file, item, path + "[" + std::to_string(i) + "]",
                "must be a string (quote numbers)");
    }
    out.push_back(item.as_string());
  }
  return out;
}

Result<CatalogEntry> DecodeEntry(std::string_view file, const Node& node, const std::string& path) {
  if (!node.is_map()) return At(file, node, path, "must be a map");
  CatalogEntry e;
  e.line = node.mark().line;
  bool have_image = false, have_argv = false;
  for (const Node::Entry& f : node.entries()) {
    std::string fp = path + "." + f.key;
    const Node& v = f.value;
    if (f.key == "image") {
      if (!v.is_string()) return At(file, v, fp, "must be a string");
      if (Status s = CheckPattern(file, v, fp); !s.ok()) return s;
      e.image = v.as_string();
      have_image = true;
    } else if (f.key == "argv") {
      auto argv = StringList(file, v, fp, true);
      if (!argv.ok()) return argv.status();
      if (argv->front().empty() || argv->front()[0] != '/') {
        return At(file, v, fp + "[0]",
                  "must be an absolute path (argv is run with execve, not searched in PATH)");
      }
      e.argv = std::move(*argv);
      have_argv = true;
    } else if (f.key == "env") {
      if (!v.is_map()) return At(file, v, fp, "must be a map of names to string values");
      for (const Node::Entry& kv : v.entries()) {
        if (kv.key.empty() || kv.key.find('=') != std::string::npos) {
          return At(file, kv.value, fp, "invalid variable name \"" + kv.key + "\"");
        }
        if (!kv.value.is_string()) {
          return At(file, kv.value, fp + "." + kv.key, "must be a string (quote numbers)");
        }
        e.env.emplace_back(kv.key, kv.value.as_string());
      }
    } else if (f.key == "workingDir") {
      if (!v.is_string() || v.as_string().empty() || v.as_string()[0] != '/') {
        return At(file, v, fp, "must be an absolute path");
      }
      e.working_dir = v.as_string();
    } else if (f.key == "allowCommand" || f.key == "allowArgs") {
      if (!v.is_bool()) return At(file, v, fp, "must be true or false");
      (f.key == "allowCommand" ? e.allow_command : e.allow_args) = v.as_bool();
    } else if (f.key == "user") {
      if (!v.is_string() || v.as_string().empty()) return At(file, v, fp, "must be a user name");
      e.user = v.as_string();
    } else {
      return At(file, v, fp,
                "unknown field (known: image, argv, env, workingDir, allowCommand, allowArgs, "
                "user)");
    }
  }
  if (!have_image) return At(file, node, path + ".image", "required");
  if (!have_argv) return At(file, node, path + ".argv", "must be a non-empty list of strings");
  return e;
}

struct UserIds {
  uid_t uid;
  gid_t gid;
};

Result<UserIds> LookUpUser(const std::string& name) {
  struct passwd pw;
  struct passwd* found = nullptr;
  std::vector<char> buf(16384);
  int rc = getpwnam_r(name.c_str(), &pw, buf.data(), buf.size(), &found);
  if (rc != 0 || found == nullptr) {
    return FailedPrecondition("user \"" + name + "\" of the image catalog does not exist on this " +
                              "machine; create it or set `user`/`defaultUser` in the catalog to " +
                              "an existing user" +
                              (rc != 0 ? std::string(": ") + strerror(rc) : ""));
  }
  return UserIds{pw.pw_uid, pw.pw_gid};
}

std::optional<gid_t> PrimaryGroupOf(uid_t uid) {
  struct passwd pw;
  struct passwd* found = nullptr;
  std::vector<char> buf(16384);
  if (getpwuid_r(uid, &pw, buf.data(), buf.size(), &found) != 0 || found == nullptr) {
    return std::nullopt;
  }
  return pw.pw_gid;
}

// Sets name=value, in place when the name exists.
void SetVar(EnvList& env, const std::string& name, std::string value) {
  for (auto& [k, v] : env) {
    if (k == name) {
      v = std::move(value);
      return;
    }
  }
  env.emplace_back(name, std::move(value));
}

bool IsRuntimeVar(const std::string& name) {
  return name == "PORT" || name == "POD_NAME" || name == "POD_NAMESPACE" || name == "POD_IP" ||
         name == "IMAGE_TAG";
}

std::string Quoted(const std::vector<std::string>& v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) s += (i ? ", \"" : "\"") + v[i] + "\"";
  return s + "]";
}

}  // namespace

ImageRef ParseImageRef(std::string_view image) {
  ImageRef ref;
  std::string_view rest = image;
  size_t at = rest.find('@');
  if (at != std::string_view::npos) {
    ref.digest = std::string(rest.substr(at + 1));
    rest = rest.substr(0, at);
  }
  size_t slash = rest.rfind('/');
  size_t colon = rest.rfind(':');
  if (colon != std::string_view::npos && (slash == std::string_view::npos || colon > slash)) {
    ref.tag = std::string(rest.substr(colon + 1));
    rest = rest.substr(0, colon);
  } else if (ref.digest.empty()) {
    ref.tag = "latest";
  }
  ref.name = std::string(rest);
  return ref;
}

bool ImageMatches(std::string_view pattern, std::string_view image) {
  ImageRef p = ParseImageRef(pattern);
  ImageRef i = ParseImageRef(image);
  if (!p.digest.empty() || !i.digest.empty()) return pattern == image;
  return p.name == i.name && GlobMatch(p.tag, i.tag);
}

std::string ExpandVars(std::string_view input, const EnvList& vars) {
  return ExpandVars(input, [&vars](std::string_view name) -> const std::string* {
    for (auto it = vars.rbegin(); it != vars.rend(); ++it) {
      if (it->first == name) return &it->second;
    }
    return nullptr;
  });
}

Result<ImageCatalog> ParseImageCatalog(std::string_view text, std::string_view file_name) {
  ImageCatalog catalog;
  catalog.file_name = std::string(file_name);
  config::ParseResult parsed = config::ParseDocuments(text);
  if (!parsed.ok) {
    return InvalidArgument(std::string(file_name) + ":" + std::to_string(parsed.error.mark.line) +
                           ": " + parsed.error.message);
  }
  if (parsed.documents.empty()) return catalog;
  if (parsed.documents.size() > 1) {
    Node at = Node::Null(parsed.documents[1].start);
    return At(file_name, at, "", "a catalog is one YAML document");
  }
  const Node& root = parsed.documents[0].root;
  if (!root.is_map()) return At(file_name, root, "", "must be a map with `images`");
  for (const Node::Entry& f : root.entries()) {
    if (f.key == "defaultUser") {
      if (!f.value.is_string() || f.value.as_string().empty()) {
        return At(file_name, f.value, "defaultUser", "must be a user name");
      }
      catalog.default_user = f.value.as_string();
    } else if (f.key == "images") {
      if (!f.value.is_seq()) return At(file_name, f.value, "images", "must be a list of entries");
      for (size_t i = 0; i < f.value.items().size(); ++i) {
        std::string path = "images[" + std::to_string(i) + "]";
        auto entry = DecodeEntry(file_name, f.value.items()[i], path);
        if (!entry.ok()) return entry.status();
        for (const CatalogEntry& earlier : catalog.entries) {
          if (earlier.image == entry->image) {
            return At(file_name, f.value.items()[i], path + ".image",
                      "duplicate pattern \"" + entry->image + "\" (first at line " +
                          std::to_string(earlier.line) + ")");
          }
        }
        catalog.entries.push_back(std::move(*entry));
      }
    } else {
      return At(file_name, f.value, f.key, "unknown field (known: images, defaultUser)");
    }
  }
  return catalog;
}

Result<ImageCatalog> LoadImageCatalog(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return IoError("cannot read image catalog " + path + ": " + strerror(errno));
  std::ostringstream ss;
  ss << in.rdbuf();
  return ParseImageCatalog(ss.str(), path);
}

void AddBuiltinEntries(ImageCatalog& catalog, const std::string& demoapp_path) {
  for (const CatalogEntry& e : catalog.entries) {
    if (e.image == kBuiltinPattern) return;
  }
  CatalogEntry e;
  e.image = kBuiltinPattern;
  e.argv = {demoapp_path, "--version",     "$(IMAGE_TAG)", "--port",
            "$(PORT)",    "--listen-host", "$(POD_IP)"};
  e.builtin = true;
  catalog.entries.push_back(std::move(e));
}

Identity CurrentIdentity() {
  Identity id;
  id.canaryd_uid = geteuid();
  id.canaryd_gid = getegid();
  id.canaryd_is_root = id.canaryd_uid == 0;
  return id;
}

Result<ResolvedProcess> Resolve(const ImageCatalog& catalog, const ContainerRequest& request,
                                const Identity& identity) {
  const CatalogEntry* entry = nullptr;
  for (const CatalogEntry& e : catalog.entries) {
    if (ImageMatches(e.image, request.image)) {
      entry = &e;
      break;
    }
  }
  std::string file = catalog.file_name.empty() ? "--image-catalog" : catalog.file_name;
  if (entry == nullptr) {
    return FailedPrecondition(
        "image \"" + request.image + "\" is not in the image catalog; add an entry to the file " +
        "given with --image-catalog, e.g. `images: [{image: \"" +
        ParseImageRef(request.image).name + ":*\", argv: [\"/usr/local/bin/app\", \"--port\", " +
        "\"$(PORT)\"]}]`");
  }
  std::string where =
      "image catalog entry \"" + entry->image + "\"" +
      (entry->builtin ? " (built-in)" : " (" + file + ":" + std::to_string(entry->line) + ")");
  if (request.command && !entry->allow_command) {
    return FailedPrecondition("the container sets `command` " + Quoted(*request.command) + " but " +
                              where +
                              " does not allow it; remove `command` from the Pod, or set "
                              "`allowCommand: true` in that entry");
  }
  if (request.args && !entry->allow_args) {
    return FailedPrecondition("the container sets `args` " + Quoted(*request.args) + " but " +
                              where +
                              " does not allow it; remove `args` from the Pod, or set "
                              "`allowArgs: true` in that entry");
  }

  ResolvedProcess out;
  ImageRef ref = ParseImageRef(request.image);
  out.image_tag = ref.tag;

  // The user first: it decides nothing else, but refusing early gives the clearest message.
  const std::string& user_name = entry->user ? *entry->user : catalog.default_user;
  if (identity.canaryd_is_root) {
    auto user = LookUpUser(user_name);
    if (!user.ok()) return user.status();
    bool entry_is_root = user->uid == 0;
    if (request.run_as_user && *request.run_as_user < 0) {
      return InvalidArgument("runAsUser must be >= 0");
    }
    if (request.run_as_group && *request.run_as_group < 0) {
      return InvalidArgument("runAsGroup must be >= 0");
    }
    if (request.run_as_user == 0 && !entry_is_root) {
      return FailedPrecondition("runAsUser 0 (root) is refused: " + where + " runs as \"" +
                                user_name +
                                "\"; remove runAsUser or give a non-zero uid (the operator may "
                                "set `user: root` in the entry)");
    }
    if (request.run_as_group == 0 && !entry_is_root) {
      return FailedPrecondition("runAsGroup 0 (root) is refused: " + where + " runs as \"" +
                                user_name + "\"; remove runAsGroup or give a non-zero gid");
    }
    if (request.run_as_user) {
      out.uid = static_cast<uid_t>(*request.run_as_user);
      std::optional<gid_t> primary = PrimaryGroupOf(*out.uid);
      out.gid = primary && (*primary != 0 || entry_is_root) ? *primary : 65534;
    } else {
      out.uid = user->uid;
      out.gid = user->gid;
    }
    if (request.run_as_group) out.gid = static_cast<gid_t>(*request.run_as_group);
  } else {
    if (request.run_as_user && *request.run_as_user != static_cast<int64_t>(identity.canaryd_uid)) {
      return FailedPrecondition(
          "runAsUser " + std::to_string(*request.run_as_user) +
          " cannot be honoured: canaryd runs as uid " + std::to_string(identity.canaryd_uid) +
          ", not root, and cannot change user; remove runAsUser or set it to " +
          std::to_string(identity.canaryd_uid));
    }
    if (request.run_as_group &&
        *request.run_as_group != static_cast<int64_t>(identity.canaryd_gid)) {
      return FailedPrecondition(
          "runAsGroup " + std::to_string(*request.run_as_group) +
          " cannot be honoured: canaryd runs as gid " + std::to_string(identity.canaryd_gid) +
          ", not root, and cannot change group; remove runAsGroup or set it to " +
          std::to_string(identity.canaryd_gid));
    }
  }

  // Environment: each entry may reference the ones before it only, as in Kubernetes.
  EnvList env = {{"PATH", "/usr/local/bin:/usr/bin:/bin"}, {"HOME", "/"}};
  if (request.runtime.port > 0) env.emplace_back("PORT", std::to_string(request.runtime.port));
  env.emplace_back("POD_NAME", request.runtime.pod_name);
  env.emplace_back("POD_NAMESPACE", request.runtime.pod_namespace);
  env.emplace_back("POD_IP", request.runtime.pod_ip);
  env.emplace_back("IMAGE_TAG", out.image_tag);
  for (const EnvList* list : {&entry->env, &request.env}) {
    for (const auto& [name, value] : *list) {
      if (name.empty() || name.find('=') != std::string::npos) {
        return InvalidArgument("invalid environment variable name \"" + name + "\"");
      }
      if (IsRuntimeVar(name)) continue;
      SetVar(env, name, ExpandVars(value, env));
    }
  }
  for (const auto& [name, value] : env) out.env.push_back(name + "=" + value);

  // argv: as Kubernetes combines an image's ENTRYPOINT/CMD with a Pod's command/args.
  std::vector<std::string> argv;
  if (request.command) {
    argv = *request.command;
    if (request.args) argv.insert(argv.end(), request.args->begin(), request.args->end());
  } else if (request.args) {
    argv = {entry->argv.front()};
    argv.insert(argv.end(), request.args->begin(), request.args->end());
  } else {
    argv = entry->argv;
  }
  for (std::string& a : argv) a = ExpandVars(a, env);
  if (argv.empty() || argv.front().empty() || argv.front()[0] != '/') {
    return InvalidArgument(
        "the container's command must start with an absolute path (it is run "
        "with execve, not through a shell or PATH), e.g. \"/bin/app\"; got " +
        Quoted(argv));
  }
  out.argv = std::move(argv);

  out.working_dir =
      request.working_dir ? *request.working_dir : entry->working_dir.value_or(std::string("/"));
  if (out.working_dir.empty() || out.working_dir[0] != '/') {
    return InvalidArgument("workingDir \"" + out.working_dir + "\" must be an absolute path");
  }
  return out;
}

}  // namespace canaryd::workload
