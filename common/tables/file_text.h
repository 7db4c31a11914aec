// read_file_text(): a whole (small) text file and its stat, for the table readers. Errors
// name the file ("table /etc/aliases: No such file or directory") and keep the errno.
#pragma once

#include <sys/stat.h>

#include <string>
#include <string_view>

#include "common/result.h"

namespace tern::tables {

// `what` prefixes error messages ("table", "sasl_password_file").
Result<std::string> read_file_text(const std::string& path, std::string_view what, struct stat* st);

}  // namespace tern::tables
