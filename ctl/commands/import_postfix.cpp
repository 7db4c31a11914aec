// Import Postfix: main.cf -> tern.conf (see import_postfix.h). The file is cut into entries
// (a setting with its continuation lines, or a comment/blank line); each setting gets a
// verdict; the rendered text is checked with Config::parse and any entry Tern refuses is
// commented out, until it loads.
#include "ctl/commands/import_postfix.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <map>
#include <set>
#include <sstream>
#include <string_view>
#include <vector>

#include "common/config/config.h"
#include "common/config/expand.h"
#include "common/config/lines.h"
#include "common/config/parameters.h"
#include "common/config/values.h"
#include "ctl/commands/postfix_listeners.h"

namespace tern::ctl {
namespace {

// Postfix parameters with no Tern equivalent, and why.
struct Reason {
  std::string_view name;
  std::string_view why;
};
constexpr std::string_view kPath = "Postfix installation path; Tern's package sets its own";
constexpr std::string_view kCache = "Postfix's TLS session cache database; Tern has none";
constexpr std::string_view kSasl =
    "Tern checks SMTP AUTH passwords itself (sasl_password_file, ternctl passwd)";
constexpr std::string_view kTransport =
    "Postfix transport (master.cf); Tern routes with mydestination, virtual_* and relayhost";
constexpr std::string_view kMilter = "milters are not supported by Tern";
constexpr Reason kPostfixOnly[] = {
    {"compatibility_level", "Postfix's backwards-compatibility switch; Tern has one behaviour"},
    {"readme_directory", kPath}, {"html_directory", kPath}, {"manpage_directory", kPath},
    {"sample_directory", kPath}, {"command_directory", kPath}, {"meta_directory", kPath},
    {"shlib_directory", kPath}, {"data_directory", kPath}, {"sendmail_path", kPath},
    {"newaliases_path", kPath}, {"mailq_path", kPath},
    {"mail_owner", "Postfix's account; Tern's daemons run as tern_user"},
    {"setgid_group", "Postfix's postdrop group; Tern's sendmail needs no set-gid group"},
    {"smtpd_tls_session_cache_database", kCache}, {"smtp_tls_session_cache_database", kCache},
    {"smtpd_tls_session_cache_timeout", kCache}, {"smtp_tls_session_cache_timeout", kCache},
    {"append_dot_mydomain", "Tern never appends $mydomain to addresses (Postfix 3's default)"},
    {"inet_protocols", "mapped into smtp_listen, submission_listen and smtps_listen (at the end)"},
    {"smtpd_use_tls", "obsolete; smtpd_tls_security_level = may says the same"},
    {"smtp_use_tls", "obsolete; smtp_tls_security_level = may says the same"},
    {"smtpd_enforce_tls", "obsolete; smtpd_tls_security_level = encrypt says the same"},
    {"smtp_enforce_tls", "obsolete; smtp_tls_security_level = encrypt says the same"},
    {"smtpd_sasl_type", kSasl}, {"smtpd_sasl_path", kSasl}, {"smtpd_sasl_local_domain", kSasl},
    {"cyrus_sasl_config_path", kSasl},
    {"smtpd_milters", kMilter}, {"non_smtpd_milters", kMilter}, {"milter_default_action", kMilter},
    {"milter_protocol", kMilter}, {"milter_mail_macros", kMilter},
    {"content_filter", "content filters are not supported by Tern"},
    {"mailbox_command", "Tern delivers to Maildir or mbox itself; use a ~/.forward |command"},
    {"mailbox_transport", kTransport}, {"fallback_transport", kTransport},
    {"local_transport", kTransport}, {"virtual_transport", kTransport},
    {"relay_transport", kTransport}, {"default_transport", kTransport},
    {"transport_maps", kTransport},
};

// Table types whose text file Tern reads, and the non-file ones in its own defaults.
constexpr std::string_view kTableTypes[] = {"hash", "texthash", "lmdb", "btree", "cdb",
                                            "dbm", "sdbm", "static", "proxy", "unix"};

enum class Verdict { kKeep, kComment, kReplace };

struct Entry {
  std::vector<std::string> lines;  // as written
  bool setting = false;
  std::string name, value;         // for a setting: value unexpanded, continuation joined
  Verdict verdict = Verdict::kKeep;
  std::string reason;              // kComment: why; kReplace: what was done
  std::string replacement;         // kReplace: "name = value"
};

bool starts_blank(const std::string& line) { return !line.empty() && (line[0] == ' ' || line[0] == '\t'); }
bool is_comment_or_blank(const std::string& line) {
  std::string_view body = config::trim(line);
  return body.empty() || body.front() == '#';
}

// Settings with their continuation lines (comments between them belong to the setting, as
// Postfix skips them); everything else one line per entry.
std::vector<Entry> cut(const std::string& text) {
  std::vector<std::string> raw;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) raw.push_back(line);
  std::vector<Entry> entries;
  for (size_t i = 0; i < raw.size();) {
    Entry e;
    if (is_comment_or_blank(raw[i])) {
      e.lines = {raw[i++]};
      entries.push_back(std::move(e));
      continue;
    }
    size_t last = i;
    for (size_t j = i + 1; j < raw.size() && (is_comment_or_blank(raw[j]) || starts_blank(raw[j])); ++j)
      if (!is_comment_or_blank(raw[j])) last = j;
    e.lines.assign(raw.begin() + static_cast<long>(i), raw.begin() + static_cast<long>(last) + 1);
    i = last + 1;
    std::string joined;
    for (const std::string& l : e.lines)
      if (!is_comment_or_blank(l)) joined += std::string(joined.empty() ? "" : " ") + std::string(config::trim(l));
    e.setting = true;
    if (starts_blank(e.lines.front())) {
      e.verdict = Verdict::kComment;
      e.reason = "a continuation line with no setting to continue";
    } else if (auto s = config::parse_setting(joined); !s) {
      e.verdict = Verdict::kComment;
      e.reason = s.error().message;
    } else {
      e.name = s->name;
      e.value = s->value;
    }
    entries.push_back(std::move(e));
  }
  return entries;
}

std::string postfix_only_reason(std::string_view name) {
  for (const Reason& r : kPostfixOnly)
    if (r.name == name) return std::string(r.why);
  return "";
}

// The type of a "type:name" table item ("mysql" for "mysql:/etc/x.cf"), or "".
std::string_view table_type(std::string_view item) {
  size_t colon = item.find(':');
  if (colon == std::string_view::npos || colon == 0) return "";
  std::string_view type = item.substr(0, colon);
  bool word = std::all_of(type.begin(), type.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
  });
  return word ? type : "";
}

bool readable_table_type(std::string_view type) {
  return type.empty() ||
         std::find(std::begin(kTableTypes), std::end(kTableTypes), type) != std::end(kTableTypes);
}

bool names_tables(std::string_view name) {
  return name.ends_with("_maps") || name == "mydestination" || name == "relay_domains" ||
         name.ends_with("_domains");
}

// Table items of a type Tern cannot read are dropped from the list; the rest is kept.
void drop_unreadable_tables(Entry& e) {
  std::string kept, dropped;
  for (const std::string& item : config::split_list(e.value)) {
    std::string* to = readable_table_type(table_type(item)) ? &kept : &dropped;
    *to += std::string(to->empty() ? "" : ", ") + item;
  }
  if (dropped.empty()) return;
  std::string why = dropped + ": table types other than text files are not supported by Tern";
  if (kept.empty()) {
    e.verdict = Verdict::kComment;
    e.reason = why;
  } else {
    e.verdict = Verdict::kReplace;
    e.reason = "dropped " + why;
    e.replacement = e.name + " = " + kept;
  }
}

// The first verdict, from the name and value alone.
void judge(Entry& e, const PostfixFiles& files) {
  const std::string& name = e.name;
  const std::string& value = e.value;
  if (name == "myorigin" && !value.empty() && value.front() == '/') {
    std::optional<std::string> text = files.read_file ? files.read_file(value) : std::nullopt;
    std::string first = text ? std::string(config::trim(text->substr(0, text->find('\n')))) : "";
    if (first.empty()) {
      e.verdict = Verdict::kComment;
      e.reason = "names the file " + value + ", which could not be read; Tern wants the domain itself";
    } else {
      e.verdict = Verdict::kReplace;
      e.reason = "Postfix read the name from " + value + "; Tern wants the domain itself";
      e.replacement = "myorigin = " + first;
    }
    return;
  }
  bool postfix_path = value.find("postfix") != std::string::npos;
  if ((name == "queue_directory" || name == "spool_directory") && postfix_path) {
    e.verdict = Verdict::kComment;
    e.reason = "Postfix's own queue; Tern keeps its queue in /var/spool/tern (the formats differ)";
    return;
  }
  if ((name == "daemon_directory" || name == "config_directory") && postfix_path) {
    e.verdict = Verdict::kComment;
    e.reason = "Postfix's own directory; Tern's package sets its own";
    return;
  }
  if (std::string why = postfix_only_reason(name); !why.empty()) {
    e.verdict = Verdict::kComment;
    e.reason = why;
    return;
  }
  if (config::find_parameter(name) == nullptr) {
    e.verdict = Verdict::kComment;
    e.reason = "unknown to Tern";
    return;
  }
  if (names_tables(name)) drop_unreadable_tables(e);
}

// Unknown names that a kept value refers to are the administrator's own parameters
// ("base = /srv", "virtual_mailbox_base = $base"): keep them, to a fixed point.
void keep_referenced(std::vector<Entry>& entries) {
  for (bool changed = true; changed;) {
    changed = false;
    std::set<std::string> referenced;
    for (const Entry& e : entries) {
      if (!e.setting || e.verdict == Verdict::kComment) continue;
      config::References refs = config::scan(e.verdict == Verdict::kReplace ? e.replacement : e.value);
      referenced.insert(refs.plain.begin(), refs.plain.end());
      referenced.insert(refs.conditional.begin(), refs.conditional.end());
    }
    for (Entry& e : entries) {
      if (e.verdict == Verdict::kComment && e.reason == "unknown to Tern" && referenced.contains(e.name)) {
        e.verdict = Verdict::kKeep;
        changed = true;
      }
    }
  }
}

void render_entry(const Entry& e, size_t index, std::vector<std::pair<std::string, size_t>>* out) {
  if (!e.setting || e.verdict == Verdict::kKeep) {
    for (const std::string& l : e.lines) out->push_back({l, index});
    return;
  }
  if (e.verdict == Verdict::kReplace) {
    out->push_back({"# import-postfix: changed: " + e.reason + ":", index});
    for (const std::string& l : e.lines) out->push_back({"#" + l, index});
    out->push_back({e.replacement, index});
    return;
  }
  out->push_back({"# import-postfix: not carried over: " + e.reason, index});
  for (const std::string& l : e.lines) out->push_back({l.starts_with("#") ? l : "#" + l, index});
}

// The *_listen entries, from inet_interfaces, inet_protocols and master.cf.
std::vector<Entry> listener_entries(const std::vector<Entry>& entries, const PostfixFiles& files) {
  std::map<std::string, std::string> set;  // last value wins, as in Postfix
  for (const Entry& e : entries)
    if (e.setting && !e.name.empty()) set[e.name] = e.value;
  auto value_of = [&](const std::string& name, const char* fallback) {
    auto it = set.find(name);
    return it == set.end() ? std::string(fallback) : it->second;
  };
  Listeners l = postfix_listeners(value_of("inet_interfaces", "all"),
                                  value_of("inet_protocols", "all"), files.master_cf);
  std::vector<Entry> out;
  auto line = [&](std::string text) {
    Entry e;
    e.lines = {std::move(text)};
    out.push_back(std::move(e));
  };
  line("");
  line("# -- Listeners: mapped by import-postfix from inet_interfaces, inet_protocols and master.cf --");
  for (const std::string& note : l.notes) line("# import-postfix: " + note);
  const std::pair<const char*, std::string*> lists[] = {
      {"smtp_listen", &l.smtp}, {"submission_listen", &l.submission}, {"smtps_listen", &l.smtps}};
  for (const auto& [name, value] : lists) {
    if (set.contains(name)) continue;
    Entry e;
    e.setting = true;
    e.name = name;
    e.value = *value;
    e.lines = {std::string(name) + " =" + (value->empty() ? "" : " " + *value)};
    out.push_back(std::move(e));
  }
  return out;
}

// Line numbers of the errors in a Config::parse message ("tern.conf:12: why").
std::map<int, std::string> error_lines(const std::string& message) {
  std::map<int, std::string> out;
  std::istringstream in(message);
  for (std::string line; std::getline(in, line);) {
    size_t first = line.find(':');
    if (first == std::string::npos) continue;
    size_t second = line.find(':', first + 1);
    if (second == std::string::npos) continue;
    int number = std::atoi(line.substr(first + 1, second - first - 1).c_str());
    if (number > 0) out.emplace(number, std::string(config::trim(line.substr(second + 1))));
  }
  return out;
}

}  // namespace

std::string import_postfix(const PostfixFiles& files) {
  std::vector<Entry> entries = cut(files.main_cf);
  for (Entry& e : entries)
    if (e.setting && e.verdict == Verdict::kKeep) judge(e, files);
  keep_referenced(entries);
  std::vector<Entry> listeners = listener_entries(entries, files);
  entries.insert(entries.end(), std::make_move_iterator(listeners.begin()),
                 std::make_move_iterator(listeners.end()));

  const std::string header =
      "# tern.conf written by `ternctl import-postfix` from " + files.main_cf_path + ".\n"
      "# Settings Tern understands are carried over as written; the others are kept as\n"
      "# comments after an \"import-postfix:\" line that says why. Check the result with\n"
      "# `ternctl config check` and `ternctl config show -n`.\n\n";
  // Comment out whatever Tern refuses, until the text loads. Each round removes at least
  // one setting, so this ends.
  for (;;) {
    std::vector<std::pair<std::string, size_t>> lines;
    for (size_t i = 0; i < entries.size(); ++i) render_entry(entries[i], i, &lines);
    std::string text = header;
    for (const auto& [l, e] : lines) text += l + "\n";
    auto parsed = config::Config::parse(text, "tern.conf");
    if (parsed) return text;
    int header_lines = static_cast<int>(std::count(header.begin(), header.end(), '\n'));
    bool changed = false;
    for (const auto& [number, why] : error_lines(parsed.error().message)) {
      int index = number - header_lines - 1;
      if (index < 0 || index >= static_cast<int>(lines.size())) continue;
      Entry* e = &entries[lines[static_cast<size_t>(index)].second];
      if (!e->setting || e->verdict == Verdict::kComment) continue;
      e->verdict = Verdict::kComment;
      e->reason = "Tern refuses the value: " + why;
      changed = true;
    }
    if (!changed) return text;  // nothing left to blame (cannot happen with a sane parser)
  }
}

}  // namespace tern::ctl
