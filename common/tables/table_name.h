// Table names as they appear in tern.conf (DESIGN.md §5): a path to a plain text file, with
// an optional Postfix type prefix ("hash:", "texthash:", "lmdb:", "btree:", "cdb:",
// "dbm:") that is accepted and dropped -- the text file itself is read, no postmap step.
// Pure functions; no I/O.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace tern::tables {

// The file a table name refers to ("hash:/etc/aliases" -> "/etc/aliases"), or nullopt when
// the item is not a file table (a plain domain name, "static:...", "proxy:...").
std::optional<std::string> table_path(std::string_view item);

// True when a list item names a table rather than a literal (domain lists such as
// mydestination mix both, as in Postfix: "a path or type:name").
bool is_table_item(std::string_view item);

// ASCII lower case (keys are folded as postmap and postalias fold them).
std::string lowercase(std::string_view text);

}  // namespace tern::tables
