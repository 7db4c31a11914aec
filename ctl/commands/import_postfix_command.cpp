// ternctl import-postfix [/etc/postfix/main.cf]: prints a tern.conf carrying over a Postfix
// configuration (main.cf, and master.cf beside it for the listeners) on stdout. The
// conversion itself is import_postfix.cpp; this reads the files and prints.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>

#include "ctl/command.h"
#include "ctl/commands/import_postfix.h"

namespace tern::ctl {
namespace {

constexpr int kExitNoInput = 66;  // sysexits EX_NOINPUT

std::optional<std::string> read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

int run_import_postfix(const Invocation& inv) {
  if (inv.args.size() > 1 || (!inv.args.empty() && inv.args[0].starts_with("-"))) {
    std::fprintf(stderr, "usage: ternctl import-postfix [/etc/postfix/main.cf] > tern.conf\n");
    return kExitUsage;
  }
  PostfixFiles files;
  files.main_cf_path = inv.args.empty() ? "/etc/postfix/main.cf" : inv.args[0];
  std::optional<std::string> main_cf = read_text(files.main_cf_path);
  if (!main_cf) {
    std::fprintf(stderr, "ternctl: import-postfix: %s: %s\n", files.main_cf_path.c_str(), std::strerror(errno));
    return kExitNoInput;
  }
  files.main_cf = std::move(*main_cf);
  size_t slash = files.main_cf_path.rfind('/');
  std::string dir = slash == std::string::npos ? "." : files.main_cf_path.substr(0, slash);
  files.master_cf = read_text(dir + "/master.cf");
  files.read_file = read_text;
  std::string text = import_postfix(files);
  std::fwrite(text.data(), 1, text.size(), stdout);
  return std::fflush(stdout) == 0 ? kExitOk : kExitSoftware;
}

}  // namespace tern::ctl
