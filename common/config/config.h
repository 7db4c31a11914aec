// Config: tern.conf in Postfix main.cf syntax (DESIGN.md §5).
//   name = value        # comment
//       continued       (a line starting with white space continues the previous one)
// $name and ${name} expand (recursively, at look-up time, as in Postfix); an empty value is
// empty. Every parameter Tern knows has a type (string, list, time, size, integer, boolean)
// and Postfix's default where the concept is Postfix's (common/config/parameters.cpp).
// Unknown parameters are warnings naming file:line; a value that does not fit its type is an
// error naming file:line, and load() fails with all of them.
//
// A Config is immutable after load; reload builds a new one. Typed getters CHECK that the name
// is a known parameter of that type (asking for an unknown one is a programmer error); values
// were validated at load, so they cannot fail.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.h"

namespace tern::config {

class Expander;  // common/config/expand.h

// A warning or error about one line: to_string() gives "file:line: message".
struct Diagnostic {
  std::string file;
  int line = 0;
  std::string message;
  std::string to_string() const;
};

class Config {
 public:
  // Reads DIR/tern.conf (DIR from -c, else $MAIL_CONFIG, else /etc/tern: see
  // config_directory_from()). On failure the Error's message holds every error, one
  // "file:line: why" per line. Warnings (unknown names) are appended to *warnings if given.
  static Result<Config> load(const std::string& directory, std::vector<Diagnostic>* warnings = nullptr);
  // Parses text as if it were the file `filename` (tests, `config check` of a string).
  static Result<Config> parse(std::string_view text, std::string_view filename,
                              std::vector<Diagnostic>* warnings = nullptr);
  // The built-in defaults alone.
  static Config defaults();

  // The expanded value of a parameter (its default when not set).
  std::string get(std::string_view name) const;
  // A list parameter split on white space and commas, empty items dropped.
  std::vector<std::string> get_list(std::string_view name) const;
  // A string or list parameter expanded with `locals` first: delivery-time names such as
  // $home and $user in forward_path or mailbox_command, which are not parameters; their
  // values are taken literally. Other names expand as in get().
  using Locals = std::map<std::string, std::string, std::less<>>;
  std::string get_with(std::string_view name, const Locals& locals) const;
  std::vector<std::string> get_list_with(std::string_view name, const Locals& locals) const;
  // A time parameter in seconds ("30s", "5m", "4h", "5d", "1w"; a bare number takes the
  // parameter's default unit, as in Postfix).
  int64_t get_time(std::string_view name) const;
  // A size or count parameter in bytes / units.
  int64_t get_int(std::string_view name) const;
  // A yes/no parameter.
  bool get_bool(std::string_view name) const;

  // True when the file set the parameter (for `config show -n`).
  bool is_explicit(std::string_view name) const;
  // Every known parameter with its expanded value, sorted by name; only_explicit keeps those
  // set in the file (unknown names set in the file are listed too).
  std::vector<std::pair<std::string, std::string>> all(bool only_explicit) const;
  // Whether name is a parameter Tern knows.
  static bool is_known(std::string_view name);

  // The directory this config was read from ("" for parse()/defaults()).
  const std::string& directory() const { return directory_; }

 private:
  // parse() with the directory that $config_directory names.
  static Result<Config> build(std::string directory, std::string_view text,
                              std::string_view filename, std::vector<Diagnostic>* warnings);
  // Load-time checks of the values as set (validate.cpp): syntax, loops, types, names.
  void validate(const std::string& file, std::vector<Diagnostic>* errors,
                std::vector<Diagnostic>* warnings) const;
  // The unexpanded value of name: as set, else its default (computed for a few), or nullopt
  // for an unknown name that was not set.
  std::optional<std::string> raw_value(std::string_view name, Expander& expander) const;
  // The expanded value; *loops gets the expansion loops met (see Expander::loops()).
  std::string expand(std::string_view name,
                     std::vector<std::vector<std::string>>* loops = nullptr) const;

  std::string directory_;
  std::map<std::string, std::string, std::less<>> values_;   // as written, unexpanded
  std::map<std::string, int, std::less<>> lines_;            // where each was set
};

// Parameters whose value is used as written, without $name expansion (mailbox_command: shell
// syntax, as in Postfix).
bool is_verbatim(std::string_view name);

// -c DIR if given, else $MAIL_CONFIG, else /etc/tern.
std::string config_directory_from(const char* dash_c_argument);

}  // namespace tern::config
