// A stand-in for libFuzzer's main where libFuzzer is not available (GCC): runs every corpus file
// (files, or every file in the directories given) through LLVMFuzzerTestOneInput, then a fixed
// number of mutations of them from a seeded generator: bit flips, byte changes, insertions,
// deletions, repeated slices and splices of two inputs. Deterministic for a seed, bounded in
// count and size. A crash or a sanitizer report fails the run; the input is saved first.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

constexpr size_t kMaxInput = 256 * 1024;

std::vector<std::string> ReadCorpus(const std::vector<std::string>& paths) {
  std::vector<std::string> out;
  auto read = [&](const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::string s((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (s.size() <= kMaxInput) out.push_back(std::move(s));
  };
  for (const std::string& p : paths) {
    if (std::filesystem::is_directory(p)) {
      std::vector<std::filesystem::path> files;
      for (const auto& e : std::filesystem::recursive_directory_iterator(p)) {
        if (e.is_regular_file()) files.push_back(e.path());
      }
      std::sort(files.begin(), files.end());  // the same order on every machine
      for (const auto& f : files) read(f);
    } else if (std::filesystem::is_regular_file(p)) {
      read(p);
    } else {
      std::fprintf(stderr, "no such corpus: %s\n", p.c_str());
    }
  }
  return out;
}

std::string Mutate(const std::vector<std::string>& corpus, std::mt19937_64& rng) {
  auto below = [&](size_t n) { return n == 0 ? 0 : static_cast<size_t>(rng() % n); };
  std::string s = corpus[below(corpus.size())];
  int steps = 1 + static_cast<int>(below(8));
  for (int i = 0; i < steps; ++i) {
    switch (below(7)) {
      case 0:  // flip a bit
        if (!s.empty()) s[below(s.size())] ^= static_cast<char>(1u << below(8));
        break;
      case 1:  // set a byte, biased towards bytes parsers care about
        if (!s.empty()) {
          static constexpr char kSpecial[] =
              "\r\n:;, \t\"'{}[]-#&*!|>%@`\\\0\x7f\xff"
              "0";
          s[below(s.size())] =
              below(2) ? kSpecial[below(sizeof kSpecial - 1)] : static_cast<char>(below(256));
        }
        break;
      case 2:  // insert random bytes
        s.insert(below(s.size() + 1), std::string(1 + below(8), static_cast<char>(below(256))));
        break;
      case 3:  // delete a range
        if (!s.empty()) {
          size_t at = below(s.size());
          s.erase(at, 1 + below(std::min<size_t>(64, s.size() - at)));
        }
        break;
      case 4:  // repeat a slice
        if (!s.empty()) {
          size_t at = below(s.size());
          size_t len = 1 + below(std::min<size_t>(256, s.size() - at));
          std::string slice = s.substr(at, len);
          size_t times = 1 + below(16);
          for (size_t k = 0; k < times && s.size() < kMaxInput; ++k) s.insert(at, slice);
        }
        break;
      case 5: {  // splice with another input
        const std::string& other = corpus[below(corpus.size())];
        s = s.substr(0, below(s.size() + 1)) + other.substr(below(other.size() + 1));
        break;
      }
      case 6:  // truncate
        s.resize(below(s.size() + 1));
        break;
    }
  }
  if (s.size() > kMaxInput) s.resize(kMaxInput);
  return s;
}

void Run(const std::string& input) {
  // Saved before the call: if the target crashes, the input that did it is on disk.
  static const char* save = std::getenv("FUZZ_SAVE_INPUT");
  if (save != nullptr) {
    std::ofstream(save, std::ios::binary | std::ios::trunc) << input;
  }
  LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(input.data()), input.size());
}

}  // namespace

int main(int argc, char** argv) {
  long mutations = 0;
  uint64_t seed = 1;
  std::vector<std::string> paths;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--mutations" && i + 1 < argc) {
      mutations = std::strtol(argv[++i], nullptr, 10);
    } else if (a == "--seed" && i + 1 < argc) {
      seed = std::strtoull(argv[++i], nullptr, 10);
    } else {
      paths.push_back(a);
    }
  }
  std::vector<std::string> corpus = ReadCorpus(paths);
  if (corpus.empty()) {
    std::fprintf(stderr, "usage: %s [--mutations N] [--seed S] CORPUS...: no corpus files\n",
                 argv[0]);
    return 2;
  }
  for (const std::string& c : corpus) Run(c);
  std::mt19937_64 rng(seed);
  for (long i = 0; i < mutations; ++i) Run(Mutate(corpus, rng));
  std::printf("%zu corpus inputs and %ld mutations (seed %llu) ran clean\n", corpus.size(),
              mutations, static_cast<unsigned long long>(seed));
  return 0;
}
