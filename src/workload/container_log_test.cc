#include "workload/container_log.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "workload/process_supervisor.h"

namespace canaryd::workload {
namespace {

std::string Dir(const std::string& name) {
  std::string dir = testing::TempDir() + "/container_log_" + name + "_" + std::to_string(getpid());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::unique_ptr<ContainerLogWriter> Writer(const std::string& path, LogLimits limits = {}) {
  auto w = ContainerLogWriter::Open(path, limits);
  EXPECT_TRUE(w.ok()) << w.status().ToString();
  return w.ok() ? std::move(*w) : nullptr;
}

TEST(ContainerLog, WritesAsGivenAndAppendsToExistingFile) {
  std::string path = Dir("plain") + "/c.log";
  {
    auto w = Writer(path);
    w->Write("hello\nwor");
    w->Write("ld\n");
    w->Write("partial");
    w->Close();
    EXPECT_TRUE(w->status().ok());
  }
  EXPECT_EQ(Slurp(path), "hello\nworld\npartial");
  auto w = Writer(path);
  w->Write(" more\n");
  EXPECT_EQ(Slurp(path), "hello\nworld\npartial more\n");
}

TEST(ContainerLog, RotatesAtTheCapOnLineBoundaries) {
  std::string path = Dir("rotate") + "/c.log";
  auto w = Writer(path, LogLimits{20, 1});
  w->Write("line-0001\nline-0002\n");  // exactly 20 bytes: full
  EXPECT_FALSE(std::filesystem::exists(RotatedLogPath(path, 1)));
  w->Write("line-0003\n");
  EXPECT_EQ(Slurp(RotatedLogPath(path, 1)), "line-0001\nline-0002\n");
  EXPECT_EQ(Slurp(path), "line-0003\n");
  w->Write("line-0004\nline-0005\nline-0006\n");
  // The line crossing the cap is finished in the file it started in.
  EXPECT_EQ(Slurp(RotatedLogPath(path, 1)), "line-0003\nline-0004\n");
  EXPECT_EQ(Slurp(path), "line-0005\nline-0006\n");
  w->Write("x");
  EXPECT_EQ(Slurp(RotatedLogPath(path, 1)), "line-0005\nline-0006\n");  // older .1 dropped
  EXPECT_EQ(Slurp(path), "x");
  EXPECT_FALSE(std::filesystem::exists(RotatedLogPath(path, 2)));
}

TEST(ContainerLog, KeepsSeveralRotatedFiles) {
  std::string path = Dir("several") + "/c.log";
  auto w = Writer(path, LogLimits{4, 2});
  for (int i = 0; i < 4; ++i) w->Write("ab" + std::to_string(i) + "\n");
  EXPECT_EQ(Slurp(RotatedLogPath(path, 2)), "ab1\n");
  EXPECT_EQ(Slurp(RotatedLogPath(path, 1)), "ab2\n");
  EXPECT_EQ(Slurp(path), "ab3\n");
  EXPECT_FALSE(std::filesystem::exists(RotatedLogPath(path, 3)));
}

TEST(ContainerLog, RunawayLineIsSplitAtTwiceTheCap) {
  std::string path = Dir("runaway") + "/c.log";
  auto w = Writer(path, LogLimits{10, 1});
  w->Write(std::string(25, 'a'));
  EXPECT_EQ(Slurp(RotatedLogPath(path, 1)), std::string(20, 'a'));
  EXPECT_EQ(Slurp(path), std::string(5, 'a'));
}

TEST(ContainerLog, OneByteAtATime) {
  std::string path = Dir("bytes") + "/c.log";
  auto w = Writer(path, LogLimits{16, 1});
  std::string all;
  for (int i = 0; i < 10; ++i) all += "msg " + std::to_string(i) + "\n";
  for (char c : all) w->Write(std::string_view(&c, 1));
  std::string rotated = Slurp(RotatedLogPath(path, 1));
  std::string current = Slurp(path);
  EXPECT_EQ(all.substr(all.size() - rotated.size() - current.size()), rotated + current);
  EXPECT_EQ(rotated.back(), '\n');
  EXPECT_LE(current.size(), 16u + 6u);
  auto log = ReadLog(path, {.tail_lines = 2});
  ASSERT_TRUE(log.ok());
  EXPECT_EQ(log->text, "msg 8\nmsg 9\n");
}

TEST(ContainerLog, ReadLogTailAcrossTheRotatedBoundary) {
  std::string path = Dir("tail") + "/c.log";
  auto w = Writer(path, LogLimits{12, 1});
  w->Write("one\ntwo\nthree\nfour\nfive");  // .1: "one\ntwo\nthree\n", current: "four\nfive"
  ASSERT_EQ(Slurp(RotatedLogPath(path, 1)), "one\ntwo\nthree\n");
  auto all = ReadLog(path);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->text, "one\ntwo\nthree\nfour\nfive");
  EXPECT_EQ(ReadLog(path, {.tail_lines = 1})->text, "five");  // the partial line counts
  EXPECT_EQ(ReadLog(path, {.tail_lines = 3})->text, "three\nfour\nfive");
  EXPECT_EQ(ReadLog(path, {.tail_lines = 4})->text, "two\nthree\nfour\nfive");
  EXPECT_EQ(ReadLog(path, {.tail_lines = 100})->text, all->text);
  EXPECT_EQ(ReadLog(path, {.tail_lines = 0})->text, "");
  EXPECT_EQ(ReadLog(path, {.tail_lines = 3, .limit_bytes = 8})->text, "three\nfo");
  EXPECT_EQ(ReadLog(path, {.limit_bytes = 5})->text, "one\nt");
  w->Write("\n");
  EXPECT_EQ(ReadLog(path, {.tail_lines = 2})->text, "four\nfive\n");
  EXPECT_EQ(ReadLog(Dir("none") + "/c.log").status().code(), StatusCode::kNotFound);
}

TEST(ContainerLog, FollowAcrossRotation) {
  std::string path = Dir("follow") + "/c.log";
  auto w = Writer(path, LogLimits{10, 1});
  w->Write("aaaa\n");
  auto start = ReadLog(path);
  ASSERT_TRUE(start.ok());
  LogCursor cursor = start->cursor;
  EXPECT_EQ(cursor.offset, 5);
  EXPECT_EQ(*ReadNewLogBytes(path, cursor), "");
  w->Write("bbbb\n");
  EXPECT_EQ(*ReadNewLogBytes(path, cursor), "bbbb\n");
  w->Write("cc\n");    // current is full (10 bytes): this rotates
  w->Write("dddd\n");  // no rotation yet
  EXPECT_EQ(*ReadNewLogBytes(path, cursor), "cc\ndddd\n");
  // Small reads: the rest of the rotated file first, then the new one.
  w->Write("eeeeee\n");  // crosses 10: stays in this file
  w->Write("ff\n");      // rotates
  EXPECT_EQ(*ReadNewLogBytes(path, cursor, 4), "eeee");
  EXPECT_EQ(*ReadNewLogBytes(path, cursor, 4), "ee\nf");
  EXPECT_EQ(*ReadNewLogBytes(path, cursor, 100), "f\n");
  // Truncated in place: start over.
  std::filesystem::resize_file(path, 0);
  w.reset();
  w = Writer(path);
  w->Write("g\n");
  EXPECT_EQ(*ReadNewLogBytes(path, cursor), "g\n");
}

TEST(ContainerLog, FollowWhenRotatedTwiceLosesTheMiddle) {
  std::string path = Dir("twice") + "/c.log";
  auto w = Writer(path, LogLimits{4, 1});
  w->Write("111\n");
  // Keeps the first file's inode from being reused by the third (ext4 may reuse it at once, and a
  // reused inode would look like "not rotated": see ReadNewLogBytes).
  std::ifstream pin(path);
  LogCursor cursor;
  EXPECT_EQ(*ReadNewLogBytes(path, cursor), "111\n");
  w->Write("222\n");
  w->Write("333\n");
  EXPECT_EQ(*ReadNewLogBytes(path, cursor), "333\n");
}

TEST(ContainerLog, SupervisedChildWritesOneByteAtATime) {
  std::string path = Dir("child") + "/c.log";
  auto sup = ProcessSupervisor::Create();
  ASSERT_TRUE(sup.ok());
  auto writer = ContainerLogWriter::Open(path, LogLimits{32, 1});
  ASSERT_TRUE(writer.ok());
  std::shared_ptr<OutputSink> sink(std::move(*writer));
  SpawnSpec spec;
  spec.argv = {"/bin/sh", "-c",
               "i=0; while [ $i -lt 12 ]; do printf 'l'; printf 'ine'; printf \" $i\\n\"; "
               "i=$((i+1)); done; printf 'no newline'"};
  spec.output = sink;
  auto p = (*sup)->Spawn(std::move(spec));
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  ASSERT_TRUE((*sup)->WaitExited(*p, std::chrono::seconds(10)).has_value());
  std::string expected;
  for (int i = 0; i < 12; ++i) expected += "line " + std::to_string(i) + "\n";
  expected += "no newline";
  auto log = ReadLog(path);
  ASSERT_TRUE(log.ok());
  EXPECT_EQ(expected.substr(expected.size() - log->text.size()), log->text);
  EXPECT_GE(log->text.size(), 32u);
  EXPECT_EQ(ReadLog(path, {.tail_lines = 2})->text, "line 11\nno newline");
}

}  // namespace
}  // namespace canaryd::workload
