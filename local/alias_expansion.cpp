// expand_local(): recursive alias expansion with owners, includes and loop limits.
#include "local/alias_expansion.h"

#include <algorithm>
#include <set>

#include "common/tables/table_name.h"

namespace tern::local {
namespace {

std::string trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return std::string(s);
}

class Expander {
 public:
  explicit Expander(const AliasSource& source) : source_(source) {}

  Expansion run(const std::string& name) {
    expand_name(name, 0);
    return {std::move(targets_), status_};
  }

 private:
  void add(Target target) {
    auto same = [&](const Target& t) { return t.kind == target.kind && t.value == target.value; };
    if (std::none_of(targets_.begin(), targets_.end(), same)) targets_.push_back(std::move(target));
  }

  void add_user(const std::string& name) { add(Target{TargetKind::kUser, name, {}, "alias"}); }

  void expand_name(const std::string& name, int depth) {
    auto hit = source_.lookup(name);
    if (!hit) {
      expand_user(name, depth);
      return;
    }
    stack_.insert(name);
    for (const std::string& raw : hit->targets) {
      if (!status_.delivered()) break;
      expand_target(name, trim(raw), hit->owner, "alias", depth);
    }
    stack_.erase(name);
  }

  // A system user: its .forward if it has one, else its mailbox.
  void expand_user(const std::string& name, int depth) {
    if (!source_.read_forward || stack_.contains(name)) {
      add_user(name);
      return;
    }
    auto file = source_.read_forward(name);
    if (!file) {
      status_ = DeliveryStatus::defer("4.3.0", "cannot read the .forward of " + name + ": " + file.error().message);
      return;
    }
    std::vector<std::string> entries = *file ? split_include_text((*file)->text) : std::vector<std::string>{};
    if (entries.empty()) {
      add_user(name);
      return;
    }
    if (depth + 1 >= kMaxAliasDepth) {
      status_ = DeliveryStatus::bounce("5.4.6", ".forward expansion of " + name + " is nested too deeply");
      return;
    }
    stack_.insert(name);
    for (const std::string& entry : entries) {
      if (!status_.delivered()) break;
      expand_target(name, entry, (*file)->owner, "forward", depth + 1);
    }
    stack_.erase(name);
  }

  void expand_target(const std::string& alias, const std::string& t, const UserIds& owner,
                     const std::string& origin, int depth) {
    if (t.empty()) return;
    if (t.front() == '|') {
      add(Target{TargetKind::kCommand, t.substr(1), owner, origin});
    } else if (t.front() == '/') {
      add(Target{TargetKind::kFile, t, owner, origin});
    } else if (t.starts_with(":include:")) {
      expand_include(alias, trim(t.substr(9)), owner, depth);
    } else if (t.find('@') != std::string::npos) {
      add(Target{TargetKind::kAddress, t, {}, origin});
    } else if (t.front() == '\\') {
      add_user(tables::lowercase(t.substr(1)));
    } else {
      std::string local = tables::lowercase(t);
      if (local == alias || stack_.contains(local)) {
        add_user(local);
      } else if (depth + 1 >= kMaxAliasDepth) {
        status_ = DeliveryStatus::bounce("5.4.6", "alias expansion of " + alias + " is nested too deeply");
      } else {
        expand_name(local, depth + 1);
      }
    }
  }

  void expand_include(const std::string& alias, const std::string& path, const UserIds& reader, int depth) {
    if (depth + 1 >= kMaxAliasDepth || includes_.contains(path)) {
      status_ = DeliveryStatus::bounce("5.4.6", "include loop or nesting too deep at :include:" + path);
      return;
    }
    if (path.empty() || path.front() != '/') {
      status_ = DeliveryStatus::bounce("5.3.5", ":include: needs an absolute path: " + path);
      return;
    }
    auto file = source_.read_include(path, reader);
    if (!file) {
      status_ = DeliveryStatus::defer("4.3.0", "cannot read :include:" + path + ": " + file.error().message);
      return;
    }
    includes_.insert(path);
    for (const std::string& entry : split_include_text(file->text)) {
      if (!status_.delivered()) break;
      expand_target(alias, entry, file->owner, "include", depth + 1);
    }
    includes_.erase(path);
  }

  const AliasSource& source_;
  std::vector<Target> targets_;
  DeliveryStatus status_ = DeliveryStatus::sent("");
  std::set<std::string> stack_;
  std::set<std::string> includes_;
};

}  // namespace

Expansion expand_local(const std::string& name, const AliasSource& source) {
  return Expander(source).run(tables::lowercase(name));
}

std::vector<std::string> split_include_text(std::string_view text) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    std::string_view line = text.substr(pos, end == std::string_view::npos ? std::string_view::npos : end - pos);
    pos = end == std::string_view::npos ? text.size() : end + 1;
    std::string item;
    bool quoted = false;
    auto flush = [&] {
      std::string t = trim(item);
      if (!t.empty()) out.push_back(t);
      item.clear();
    };
    for (size_t i = 0; i < line.size(); ++i) {
      char c = line[i];
      if (c == '"') {
        quoted = !quoted;
      } else if (c == ',' && !quoted) {
        flush();
      } else if (c == '#' && !quoted && trim(item).empty()) {
        break;  // comment
      } else {
        item.push_back(c);
      }
    }
    flush();
  }
  return out;
}

}  // namespace tern::local
