// Container logs: where a child's stdout and stderr go, and how the API's `pods/log` reads them.
//
// OutputSink is what ProcessSupervisor writes a child's output to; it calls Write and Close on its
// own supervisor thread only. ContainerLogWriter is the per-container file sink: plain text as the
// child wrote it (as `kubectl logs` shows it), capped at max_bytes per file with rotation as the
// kubelet's containerLogMaxSize/containerLogMaxFiles do: when the file reaches max_bytes it is
// renamed to `<path>.1` (`.1` to `.2` and so on, the oldest dropped) and a new file is started.
// Rotation waits for the end of a line so that a line is not split over two files, unless a
// single line runs max_bytes past the cap. A writer is used by one thread at a time (the
// supervisor's); readers are other threads and only use the functions below, which open the files
// themselves: any thread.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"

namespace canaryd::workload {

class OutputSink {
 public:
  virtual ~OutputSink() = default;
  virtual void Write(std::string_view data) = 0;
  // The child's end of the pipe is closed (EOF). A partial last line stays as it is.
  virtual void Close() {}
};

struct LogLimits {
  int64_t max_bytes = 10 << 20;  // per file
  int rotated_files = 1;         // kept besides the current file
};

class ContainerLogWriter final : public OutputSink {
 public:
  // Opens (appending) or creates `path`, mode 0640.
  static Result<std::unique_ptr<ContainerLogWriter>> Open(std::string path, LogLimits limits = {});
  ~ContainerLogWriter() override;
  ContainerLogWriter(const ContainerLogWriter&) = delete;
  ContainerLogWriter& operator=(const ContainerLogWriter&) = delete;

  void Write(std::string_view data) override;
  void Close() override;
  const std::string& path() const { return path_; }
  // The first write or rotation error, if any (writing goes on after one: a full disk must not
  // stop the child).
  Status status() const;

 private:
  ContainerLogWriter(std::string path, LogLimits limits, int fd, int64_t size);
  void Rotate();
  void WriteAll(std::string_view data);

  std::string path_;
  LogLimits limits_;
  int fd_ = -1;
  int64_t size_ = 0;
  bool at_line_start_ = true;
  mutable std::mutex mu_;  // only guards error_, which other threads may read
  Status error_;
};

// The rotated file `<path>.n` (n >= 1).
std::string RotatedLogPath(const std::string& path, int n);

// Where a follower is: the current file's inode and the offset read up to.
struct LogCursor {
  ino_t inode = 0;
  int64_t offset = 0;
};

struct ReadLogOptions {
  std::optional<int64_t> tail_lines;   // the last N lines (a partial last line counts as one)
  std::optional<int64_t> limit_bytes;  // at most this many bytes, from the start of the selection
  int rotated_files = 1;               // how many `.n` files to look at
};

struct LogText {
  std::string text;
  LogCursor cursor;  // the end of what was read, for ReadNewLogBytes
};

// The log: rotated files oldest first, then the current file. A missing file is empty; no file at
// all is kNotFound.
Result<LogText> ReadLog(const std::string& path, const ReadLogOptions& options = {});

// Follow mode: the bytes appended since `cursor` (at most max_bytes), advancing it; the caller
// polls. Rotation: when the current file's inode is no longer the cursor's, the remaining bytes of
// the cursor's file are read from `<path>.1` if that is still it, then reading goes on from the
// start of the new file; if it has been rotated away again meanwhile, those bytes are lost and
// reading starts at the new file's beginning. A file that shrank under the same inode (truncated)
// is read again from its start. A cursor with inode 0 starts at `offset` of the current file.
// Limitation: files are told apart by inode number only; if the file system gives a new file the
// number of one deleted since the last call (two rotations between polls on ext4), the new file
// is taken for the old one. Polling more often than the log rotates twice avoids it.
Result<std::string> ReadNewLogBytes(const std::string& path, LogCursor& cursor,
                                    size_t max_bytes = 1 << 20);

// An in-memory sink keeping the first `max_bytes` (for exec probes and tests). Thread-safe.
class MemorySink final : public OutputSink {
 public:
  explicit MemorySink(size_t max_bytes = 10 << 10) : max_bytes_(max_bytes) {}
  void Write(std::string_view data) override;
  void Close() override;
  std::string text() const;
  bool closed() const;

 private:
  size_t max_bytes_;
  mutable std::mutex mu_;
  std::string text_;
  bool closed_ = false;
};

}  // namespace canaryd::workload
