// newaliases: validates the aliases files named by alias_maps (aliases(5) syntax), printing
// each bad line as "file:line: why" and a summary "newaliases: FILE: N aliases". Tables are
// read directly by Tern (texthash semantics), so no database is built. Exit 0 when every
// file is good, 78 (EX_CONFIG) otherwise.
#pragma once

namespace tern::ctl {

// newaliases [-c DIR], called by that name (other sendmail-style flags are ignored).
int run_newaliases_argv(int argc, char** argv);

}  // namespace tern::ctl
