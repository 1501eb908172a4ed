#include "workload/container_log.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace canaryd::workload {

namespace {

Status Errno(const std::string& what) {
  return IoError(what + ": " + strerror(errno));
}

// Reads [offset, offset + max) of an open file.
Result<std::string> ReadRange(int fd, int64_t offset, size_t max) {
  std::string out;
  char buf[65536];
  while (out.size() < max) {
    size_t want = std::min(sizeof(buf), max - out.size());
    ssize_t n = pread(fd, buf, want, offset + static_cast<int64_t>(out.size()));
    if (n < 0) {
      if (errno == EINTR) continue;
      return Errno("read");
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

// The whole file, or empty when it does not exist. Sets *inode when found.
Result<std::string> ReadWhole(const std::string& path, bool* found, ino_t* inode) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return std::string();
    return Errno("open " + path);
  }
  struct stat st;
  if (fstat(fd, &st) != 0) {
    close(fd);
    return Errno("stat " + path);
  }
  *found = true;
  if (inode != nullptr) *inode = st.st_ino;
  auto r = ReadRange(fd, 0, SIZE_MAX);
  close(fd);
  return r;
}

}  // namespace

std::string RotatedLogPath(const std::string& path, int n) {
  return path + "." + std::to_string(n);
}

Result<std::unique_ptr<ContainerLogWriter>> ContainerLogWriter::Open(std::string path,
                                                                     LogLimits limits) {
  int fd = open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
  if (fd < 0) return Errno("open log " + path);
  struct stat st;
  if (fstat(fd, &st) != 0) {
    close(fd);
    return Errno("stat log " + path);
  }
  limits.max_bytes = std::max<int64_t>(limits.max_bytes, 1);
  limits.rotated_files = std::max(limits.rotated_files, 0);
  return std::unique_ptr<ContainerLogWriter>(
      new ContainerLogWriter(std::move(path), limits, fd, st.st_size));
}

ContainerLogWriter::ContainerLogWriter(std::string path, LogLimits limits, int fd, int64_t size)
    : path_(std::move(path)), limits_(limits), fd_(fd), size_(size) {}

ContainerLogWriter::~ContainerLogWriter() {
  Close();
}

void ContainerLogWriter::Close() {
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
}

Status ContainerLogWriter::status() const {
  std::lock_guard<std::mutex> lock(mu_);
  return error_;
}

void ContainerLogWriter::WriteAll(std::string_view data) {
  while (!data.empty() && fd_ >= 0) {
    ssize_t n = write(fd_, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      std::lock_guard<std::mutex> lock(mu_);
      if (error_.ok()) error_ = Errno("write log " + path_);
      return;
    }
    size_ += n;
    data.remove_prefix(static_cast<size_t>(n));
  }
}

void ContainerLogWriter::Write(std::string_view data) {
  const int64_t max = limits_.max_bytes;
  while (!data.empty() && fd_ >= 0) {
    if (size_ >= max && (at_line_start_ || size_ >= 2 * max)) Rotate();
    int64_t room = max - size_;
    size_t n = data.size();
    if (room <= 0 || static_cast<int64_t>(data.size()) > room) {
      // Write through the end of the line that crosses the cap, then rotate.
      size_t nl = data.find('\n', room > 0 ? static_cast<size_t>(room - 1) : 0);
      n = nl == std::string_view::npos ? data.size() : nl + 1;
      int64_t runaway = 2 * max - size_;
      if (static_cast<int64_t>(n) > runaway) n = static_cast<size_t>(std::max<int64_t>(runaway, 1));
    }
    WriteAll(data.substr(0, n));
    at_line_start_ = data[n - 1] == '\n';
    data.remove_prefix(n);
  }
}

void ContainerLogWriter::Rotate() {
  if (limits_.rotated_files == 0) {
    if (ftruncate(fd_, 0) != 0) {
      std::lock_guard<std::mutex> lock(mu_);
      if (error_.ok()) error_ = Errno("truncate log " + path_);
    }
    size_ = 0;
    return;
  }
  for (int i = limits_.rotated_files; i >= 2; --i) {
    // A missing older file is normal (fewer rotations so far).
    (void)rename(RotatedLogPath(path_, i - 1).c_str(), RotatedLogPath(path_, i).c_str());
  }
  Status err;
  if (rename(path_.c_str(), RotatedLogPath(path_, 1).c_str()) != 0) err = Errno("rotate log");
  int fd = open(path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
  if (fd < 0) {
    // Keep writing to the old file rather than lose output.
    err = Errno("reopen log " + path_);
  } else {
    close(fd_);
    fd_ = fd;
    size_ = 0;
  }
  if (!err.ok()) {
    std::lock_guard<std::mutex> lock(mu_);
    if (error_.ok()) error_ = err;
    // Without a new file, rotating again at every write would only repeat the error.
    if (fd < 0) size_ = 0;
  }
}

Result<LogText> ReadLog(const std::string& path, const ReadLogOptions& options) {
  LogText out;
  bool found = false;
  for (int n = options.rotated_files; n >= 1; --n) {
    auto part = ReadWhole(RotatedLogPath(path, n), &found, nullptr);
    if (!part.ok()) return part.status();
    out.text += *part;
  }
  ino_t inode = 0;
  bool current_found = false;
  auto current = ReadWhole(path, &current_found, &inode);
  if (!current.ok()) return current.status();
  if (!found && !current_found) return NotFound("no log file " + path);
  out.cursor = LogCursor{inode, static_cast<int64_t>(current->size())};
  out.text += *current;

  if (options.tail_lines) {
    int64_t want = std::max<int64_t>(*options.tail_lines, 0);
    const std::string& t = out.text;
    size_t end = t.size();
    if (end > 0 && t[end - 1] == '\n') --end;  // the final newline ends the last line
    size_t start = 0;
    int64_t lines = 0;
    if (want == 0) {
      start = t.size();
    } else {
      for (size_t i = end; i > 0; --i) {
        if (t[i - 1] == '\n' && ++lines == want) {
          start = i;
          break;
        }
      }
    }
    out.text.erase(0, start);
  }
  if (options.limit_bytes && *options.limit_bytes >= 0 &&
      static_cast<int64_t>(out.text.size()) > *options.limit_bytes) {
    out.text.resize(static_cast<size_t>(*options.limit_bytes));
  }
  return out;
}

Result<std::string> ReadNewLogBytes(const std::string& path, LogCursor& cursor, size_t max_bytes) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return std::string();
    return Errno("stat " + path);
  }
  if (cursor.inode == 0) cursor.inode = st.st_ino;
  std::string out;
  if (st.st_ino != cursor.inode) {
    int fd = open(RotatedLogPath(path, 1).c_str(), O_RDONLY | O_CLOEXEC);
    struct stat old;
    if (fd >= 0 && fstat(fd, &old) == 0 && old.st_ino == cursor.inode) {
      auto rest = ReadRange(fd, cursor.offset, max_bytes);
      close(fd);
      if (!rest.ok()) return rest.status();
      out = std::move(*rest);
      cursor.offset += static_cast<int64_t>(out.size());
      if (out.size() >= max_bytes) return out;  // more of the old file next time
    } else if (fd >= 0) {
      close(fd);
    }
    cursor = LogCursor{st.st_ino, 0};
  }
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return out;
    return Errno("open " + path);
  }
  struct stat now;
  if (fstat(fd, &now) != 0 || now.st_ino != cursor.inode) {
    close(fd);  // rotated again since the stat: the next call picks it up
    return out;
  }
  if (now.st_size < cursor.offset) cursor.offset = 0;
  auto more = ReadRange(fd, cursor.offset, max_bytes - out.size());
  close(fd);
  if (!more.ok()) return more.status();
  cursor.offset += static_cast<int64_t>(more->size());
  out += *more;
  return out;
}

void MemorySink::Write(std::string_view data) {
  std::lock_guard<std::mutex> lock(mu_);
  size_t room = max_bytes_ - std::min(max_bytes_, text_.size());
  text_.append(data.substr(0, room));
}

void MemorySink::Close() {
  std::lock_guard<std::mutex> lock(mu_);
  closed_ = true;
}

std::string MemorySink::text() const {
  std::lock_guard<std::mutex> lock(mu_);
  return text_;
}

bool MemorySink::closed() const {
  std::lock_guard<std::mutex> lock(mu_);
  return closed_;
}

}  // namespace canaryd::workload
