// Tests for Config::load (reading DIR/tern.conf), config_directory_from, and the shipped
// etc/tern.conf.
#include <doctest/doctest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "common/config/config.h"
#include "common/config/parameters.h"
#include "tests/unit/config/config_test_paths.h"
#include "tests/unit/config/test_util.h"

namespace tern::config {
namespace {

// A fresh directory under TMPDIR, removed with its files at the end of the test.
class TempDir {
 public:
  TempDir() {
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern = std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") +
                          "/tern-config-test-XXXXXX";
    std::vector<char> buf(pattern.begin(), pattern.end());
    buf.push_back('\0');
    REQUIRE(mkdtemp(buf.data()) != nullptr);
    path_ = buf.data();
  }
  ~TempDir() { (void)std::system(("rm -rf '" + path_ + "'").c_str()); }
  const std::string& path() const { return path_; }
  void write(const std::string& name, const std::string& text) const {
    std::ofstream(path_ + "/" + name) << text;
  }

 private:
  std::string path_;
};

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  REQUIRE(in.good());
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Sets or unsets MAIL_CONFIG for one scope, then puts back what was there.
class ScopedMailConfig {
 public:
  explicit ScopedMailConfig(const char* value) {
    if (const char* old = std::getenv("MAIL_CONFIG")) old_ = old;
    if (value != nullptr) setenv("MAIL_CONFIG", value, 1);
    else unsetenv("MAIL_CONFIG");
  }
  ~ScopedMailConfig() {
    if (old_) setenv("MAIL_CONFIG", old_->c_str(), 1);
    else unsetenv("MAIL_CONFIG");
  }

 private:
  std::optional<std::string> old_;
};

const std::string kShippedDir = std::string(TERN_TEST_SOURCE_ROOT) + "/etc";

TEST_SUITE("config.load") {
  TEST_CASE("load reads DIR/tern.conf and names it in messages") {
    TempDir dir;
    dir.write("tern.conf", "# test\nmyhostname = mx.example.com\nbogus = 1\n");
    std::vector<Diagnostic> warnings;
    Result<Config> config = Config::load(dir.path(), &warnings);
    REQUIRE(config.has_value());
    CHECK(config->directory() == dir.path());
    CHECK(config->get("myhostname") == "mx.example.com");
    CHECK(config->get("config_directory") == dir.path());
    CHECK(config->get("sasl_password_file") == dir.path() + "/sasl_passwd");
    CHECK(testing::join(warnings) ==
          dir.path() + "/tern.conf:3: unknown parameter \"bogus\"");

    dir.write("tern.conf", "biff = no\nsmtpd_timeout = soon\n\nlog_level = loud\n");
    Result<Config> bad = Config::load(dir.path());
    REQUIRE_FALSE(bad.has_value());
    CHECK(bad.error().message ==
          dir.path() + "/tern.conf:2: smtpd_timeout: invalid value \"soon\": want a number "
                       "with an optional unit s, m, h, d or w\n" +
              dir.path() + "/tern.conf:4: log_level: invalid value \"loud\": want debug, info, "
                           "warning or error");
  }

  TEST_CASE("load of a missing directory or file fails with the path and strerror") {
    TempDir dir;
    struct Case {
      std::string_view name;
      std::string directory;
      std::string want;
      int want_code;
    };
    const Case cases[] = {
        {"missing directory", dir.path() + "/nosuch",
         dir.path() + "/nosuch/tern.conf: No such file or directory", ENOENT},
        {"missing file", dir.path(), dir.path() + "/tern.conf: No such file or directory",
         ENOENT},
    };
    for (const Case& c : cases) {
      INFO(c.name);
      Result<Config> config = Config::load(c.directory);
      REQUIRE_FALSE(config.has_value());
      CHECK(config.error().message == c.want);
      CHECK(config.error().code == c.want_code);
    }
    // Unreadable: a directory in the file's place (root can read any mode-000 file).
    REQUIRE(mkdir((dir.path() + "/tern.conf").c_str(), 0700) == 0);
    Result<Config> config = Config::load(dir.path());
    REQUIRE_FALSE(config.has_value());
    CHECK(config.error().message == dir.path() + "/tern.conf: Is a directory");
    CHECK(config.error().code == EISDIR);
  }

  TEST_CASE("config_directory_from: -c, then MAIL_CONFIG, then /etc/tern") {
    struct Case {
      std::string_view name;
      const char* dash_c;
      const char* env;  // nullptr: unset
      std::string_view want;
    };
    const Case cases[] = {
        {"-c wins", "/srv/c", "/srv/env", "/srv/c"},
        {"-c alone", "/srv/c", nullptr, "/srv/c"},
        {"MAIL_CONFIG", nullptr, "/srv/env", "/srv/env"},
        {"empty -c is not given", "", "/srv/env", "/srv/env"},
        {"neither", nullptr, nullptr, "/etc/tern"},
        {"empty MAIL_CONFIG", nullptr, "", "/etc/tern"},
        {"relative -c kept", "conf", nullptr, "conf"},
    };
    for (const Case& c : cases) {
      INFO(c.name);
      ScopedMailConfig env(c.env);
      CHECK(config_directory_from(c.dash_c) == c.want);
    }
  }

  TEST_CASE("forward_path expands delivery-time names, taken literally, with no warning") {
    std::vector<Diagnostic> warnings;
    Result<Config> config = Config::parse("recipient_delimiter = +\nforward_path = $home/.fwd${extension?-$extension}, "
                                          "/var/fwd/$user\n", "t.conf", &warnings);
    REQUIRE(config.has_value());
    CHECK(testing::join(warnings) == "");
    CHECK(config->get_list_with("forward_path", {{"home", "/home/a"}, {"user", "a"}, {"extension", "x$y"}}) ==
          std::vector<std::string>{"/home/a/.fwd-x$y", "/var/fwd/a"});
    CHECK(config->get_list_with("forward_path", {{"home", "/home/a"}, {"user", "a"}, {"extension", ""}}) ==
          std::vector<std::string>{"/home/a/.fwd", "/var/fwd/a"});
    // A name that is neither delivery-time nor a parameter still warns.
    Config::parse("forward_path = $homedir/.forward\n", "t.conf", &warnings);
    CHECK(testing::join(warnings) == "t.conf:1: forward_path: undefined parameter \"$homedir\" expands to empty");
  }

  TEST_CASE("a parameter Tern does not act on yet warns when set to another value than its default") {
    std::vector<Diagnostic> warnings;
    Result<Config> config = Config::parse("hopcount_limit = 50\nbiff = yes\n", "t.conf", &warnings);
    REQUIRE(config.has_value());
    CHECK(testing::join(warnings) == "t.conf:2: biff: accepted for main.cf compatibility, but Tern does not act on it "
                                     "yet: it behaves as if it had its default value");
  }

  TEST_CASE("mailbox_command is used as written: its $ belong to the shell") {
    std::vector<Diagnostic> warnings;
    const char* command = "/usr/lib/dovecot/dovecot-lda -f \"$SENDER\" -a \"$RECIPIENT\" ${EXTENSION:+-m $EXTENSION}";
    Result<Config> config = Config::parse(std::string("mailbox_command = ") + command + "\n", "t.conf", &warnings);
    REQUIRE(config.has_value());
    CHECK(testing::join(warnings) == "");
    CHECK(config->get("mailbox_command") == command);
  }

  TEST_CASE("the shipped etc/tern.conf loads with no warnings and sets nothing") {
    std::vector<Diagnostic> warnings;
    Result<Config> config = Config::load(kShippedDir, &warnings);
    if (!config) FAIL(config.error().message);
    CHECK(testing::join(warnings) == "");
    CHECK(config->all(true).empty());
  }

  TEST_CASE("the shipped etc/tern.conf lists every parameter once, at its default") {
    // Each "#name = value" line, under a "# description" line, names a parameter once and
    // shows its default as the table writes it. Uncommented, the lines load cleanly.
    std::istringstream in(read_file(kShippedDir + "/tern.conf"));
    std::string uncommented, line, previous;
    std::map<std::string, int> seen;
    while (std::getline(in, line)) {
      size_t eq = line.find(" =");
      if (line.size() > 1 && line[0] == '#' && line[1] != ' ' && line[1] != '#' &&
          eq != std::string::npos) {
        INFO(line);
        std::string name = line.substr(1, eq - 1);
        std::string value = line.size() > eq + 3 ? line.substr(eq + 3) : "";
        const Parameter* p = find_parameter(name);
        REQUIRE(p != nullptr);
        CHECK(++seen[name] == 1);
        CHECK(previous.rfind("# ", 0) == 0);
        if (p->default_value != nullptr) CHECK(value == p->default_value);
        if (canonical_name(name) == name) uncommented += line.substr(1) + "\n";
      }
      previous = line;
    }
    CHECK(seen.size() == parameters().size());

    std::vector<Diagnostic> warnings;
    Result<Config> config = Config::parse(uncommented, "tern.conf (uncommented)", &warnings);
    if (!config) FAIL(config.error().message);
    CHECK(testing::join(warnings) == "");
    for (const Parameter& p : parameters()) CHECK(config->is_explicit(p.name));
  }
}

}  // namespace
}  // namespace tern::config
