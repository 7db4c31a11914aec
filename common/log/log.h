// Logging in Postfix's shape (DESIGN.md §6): one line per event,
//   "<date> <host> tern/<program>[pid]: <text>"  on stderr in the foreground (or maillog_file), or
//   "<PRI>tern/<program>[pid]: <text>"            as a datagram to syslog (/dev/log);
// "tern" is syslog_name's default.
// Warnings, errors and fatal lines carry Postfix's "warning: ", "error: ", "fatal: " prefixes.
//
// Logging never blocks: the sink is written with non-blocking calls, and a line that cannot be
// written at once (sink gone or full) is dropped and counted. The logger is the one piece of
// process-wide state besides the loop; it is set up once by the program's main().
#pragma once

#include <cstdarg>
#include <cstdint>
#include <string>
#include <string_view>

namespace tern::log {

enum class Level { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3, kFatal = 4 };
enum class Sink { kStderr, kSyslog };

// Sets the program name ("smtpd"), the sink and the lowest level written. Call once, early.
void init(std::string_view program, Sink sink, Level min_level = Level::kInfo);
// Changes only the level (config reload).
void set_level(Level min_level);
// The name before the slash in every line ("tern", or syslog_name); empty keeps it.
void set_syslog_name(std::string_view name);
// Parses "debug", "info", "warning", "error"; false on anything else.
bool parse_level(std::string_view text, Level* out);

void write(Level level, const char* fmt, ...) __attribute__((format(printf, 2, 3)));
void vwrite(Level level, const char* fmt, va_list args);

// Lines dropped because the sink could not take them at once.
uint64_t dropped_lines();

// Batching, for a daemon's event loop (run_service turns it on): lines below kError are kept in
// memory and written together by flush(), which the loop calls once per turn, before it waits
// for events: one write() (or one sendmmsg() to syslog) for every line of the turn instead of
// one each. A line of kError or above flushes at once, after the lines before it, as does a
// batch over 32 KiB; exit() flushes too. A crash loses the lines not yet written: the current
// turn's, and those of work-pool jobs still running.
// A forked child starts with an empty batch and unbatched.
void set_batching(bool on);
void flush();

}  // namespace tern::log

#define TERN_LOG_DEBUG(...) ::tern::log::write(::tern::log::Level::kDebug, __VA_ARGS__)
#define TERN_LOG_INFO(...) ::tern::log::write(::tern::log::Level::kInfo, __VA_ARGS__)
#define TERN_LOG_WARNING(...) ::tern::log::write(::tern::log::Level::kWarning, __VA_ARGS__)
#define TERN_LOG_ERROR(...) ::tern::log::write(::tern::log::Level::kError, __VA_ARGS__)
#define TERN_LOG_FATAL(...) ::tern::log::write(::tern::log::Level::kFatal, __VA_ARGS__)
