// The g++-built stand-in for libFuzzer that runs in `meson test`: replays every file of the
// corpus directory, then a bounded number of random mutations of them (fixed seed, so a
// failure reproduces). Usage: fuzz_replay CORPUS_DIR [ITERATIONS]
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "tests/fuzz/smtp_parsers.h"

namespace {

std::string mutate(std::string s, std::mt19937& rng, const std::vector<std::string>& corpus) {
  static const std::string kTokens[] = {"\r\n", "\n", "\r", ".", "<", ">", "@", "\"", "\\", "%", "!", ":", ",",
                                        "[", "]", "IPv6:", "=", "+", " ", std::string("\0", 1)};
  int edits = 1 + static_cast<int>(rng() % 8);
  for (int i = 0; i < edits; ++i) {
    size_t pos = s.empty() ? 0 : rng() % (s.size() + 1);
    switch (rng() % 6) {
      case 0: if (!s.empty() && pos < s.size()) s.erase(pos, 1 + rng() % 4); break;
      case 1: s.insert(pos, 1, static_cast<char>(rng() & 0xFF)); break;
      case 2: s.insert(pos, kTokens[rng() % (sizeof kTokens / sizeof *kTokens)]); break;
      case 3: if (pos < s.size()) s[pos] = static_cast<char>(rng() & 0xFF); break;
      case 4: { const std::string& other = corpus[rng() % corpus.size()]; s.insert(pos, other.substr(0, rng() % (other.size() + 1))); break; }
      case 5: if (pos < s.size()) s.insert(pos, s.substr(pos, rng() % 16)); break;
    }
  }
  if (s.size() > 4096) s.resize(4096);
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s CORPUS_DIR [ITERATIONS]\n", argv[0]);
    return 2;
  }
  long iterations = argc > 2 ? std::atol(argv[2]) : 200000;
  std::vector<std::string> corpus;
  for (const auto& entry : std::filesystem::directory_iterator(argv[1])) {
    std::ifstream in(entry.path(), std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    corpus.push_back(ss.str());
  }
  if (corpus.empty()) corpus.push_back("");
  for (const std::string& s : corpus) tern::fuzz::run_smtp_parsers(reinterpret_cast<const uint8_t*>(s.data()), s.size());
  std::mt19937 rng(20240601);
  for (long i = 0; i < iterations; ++i) {
    std::string s = mutate(corpus[rng() % corpus.size()], rng, corpus);
    tern::fuzz::run_smtp_parsers(reinterpret_cast<const uint8_t*>(s.data()), s.size());
  }
  std::printf("replayed %zu corpus files and %ld mutations\n", corpus.size(), iterations);
  return 0;
}
