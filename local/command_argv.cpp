// command_argv() and split_command(): how a |command target becomes an argument vector.
#include "local/command_argv.h"

namespace tern::local {

Result<std::vector<std::string>> split_command(std::string_view text) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  size_t i = 0;
  while (i < text.size()) {
    char c = text[i];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      if (in_word) words.push_back(std::move(word));
      word.clear();
      in_word = false;
      ++i;
    } else if (c == '\'') {
      size_t close = text.find('\'', i + 1);
      if (close == std::string_view::npos) return fail("unterminated ' in command: " + std::string(text));
      word.append(text.substr(i + 1, close - i - 1));
      in_word = true;
      i = close + 1;
    } else if (c == '"') {
      in_word = true;
      ++i;
      bool closed = false;
      while (i < text.size()) {
        if (text[i] == '"') {
          closed = true;
          ++i;
          break;
        }
        if (text[i] == '\\' && i + 1 < text.size() && (text[i + 1] == '"' || text[i + 1] == '\\')) ++i;
        word.push_back(text[i++]);
      }
      if (!closed) return fail("unterminated \" in command: " + std::string(text));
    } else if (c == '\\') {
      if (i + 1 >= text.size()) return fail("trailing backslash in command: " + std::string(text));
      word.push_back(text[i + 1]);
      in_word = true;
      i += 2;
    } else {
      word.push_back(c);
      in_word = true;
      ++i;
    }
  }
  if (in_word) words.push_back(std::move(word));
  if (words.empty()) return fail("empty command");
  return words;
}

Result<std::vector<std::string>> command_argv(std::string_view text) {
  constexpr std::string_view kShellMeta = "~`!$^&*()=|\\[]{};'\"<>?\n\r";
  if (text.find_first_of(kShellMeta) == std::string_view::npos) return split_command(text);
  if (text.find_first_not_of(" \t\n\r") == std::string_view::npos) return fail("empty command");
  return std::vector<std::string>{"/bin/sh", "-c", std::string(text)};
}

}  // namespace tern::local
