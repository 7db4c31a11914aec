// expand_local(): what a local name turns into through alias_maps (aliases(5)).
//
//   name not in any alias table       -> the system user `name`
//   target "|command"                 -> a command, run as the alias owner
//   target "/file"                    -> an mbox-style append to the file, as the alias owner
//   target ":include:/path"           -> the targets listed in that file (read as the alias
//                                        owner; its own targets run as the file's owner)
//   target "user@domain"              -> an address handed back to qmgr to be routed again
//   target "name" (no domain)         -> expanded again, recursively, up to kMaxAliasDepth;
//                                        the alias itself ("root: root, /f"), a name already
//                                        being expanded (a cycle) or "\name" is the system
//                                        user `name`
// A name that is no alias is a system user; when the source can read .forward files and the
// user has one (forward_file.h), its entries replace the user like an alias's targets (origin
// "forward", run as the user); the user's own name or "\user" in it is the user's mailbox.
// Duplicate targets are delivered once. The alias owner is the owner of the aliases file;
// root maps to default_privs (identity.h) -- the source supplies owners. Pure given the
// source; no I/O of its own.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "local/identity.h"
#include "local/status.h"

namespace tern::local {

inline constexpr int kMaxAliasDepth = 20;

enum class TargetKind { kUser, kFile, kCommand, kAddress };

struct Target {
  TargetKind kind = TargetKind::kUser;
  std::string value;           // user name, file path, command text (after '|'), address
  UserIds owner;               // kFile/kCommand: whose privileges it runs with
  std::string origin = "alias";  // "alias" or "include" (allow_mail_to_commands/_files)
};

struct AliasHit {
  std::vector<std::string> targets;
  UserIds owner;
};

struct IncludeFile {
  std::string text;
  UserIds owner;
};

struct AliasSource {
  // The alias `name` (lower case) in the first table that has it.
  std::function<std::optional<AliasHit>(const std::string& name)> lookup;
  // Reads an :include: file with the privileges of `reader`.
  std::function<Result<IncludeFile>(const std::string& path, const UserIds& reader)> read_include;
  // A system user's .forward: nullopt when there is none. Unset: .forward files are not read.
  std::function<Result<std::optional<IncludeFile>>(const std::string& user)> read_forward;
};

struct Expansion {
  std::vector<Target> targets;
  DeliveryStatus status;  // delivered: expansion worked; else why not (the recipient's result)
};

Expansion expand_local(const std::string& name, const AliasSource& source);

// The entries of an :include: file: one or more per line, comma-separated, '#' comments,
// double quotes protecting commas ("|cmd a,b"), which are removed.
std::vector<std::string> split_include_text(std::string_view text);

}  // namespace tern::local
