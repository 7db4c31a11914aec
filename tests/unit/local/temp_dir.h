// TempDir: a directory under /tmp for one test of local's, removed with everything in it.
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <string>

namespace tern::local::testing {

struct TempDir {
  std::string path;
  TempDir() {
    char templ[] = "/tmp/tern-local-test-XXXXXX";
    path = ::mkdtemp(templ);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
};

}  // namespace tern::local::testing
