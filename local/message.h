// Message text transformations for local delivery. Pure functions; no I/O.
//
// Queue files hold the message as received (CRLF line ends); local mailboxes, files and
// commands get UNIX line ends, as Postfix's local(8) writes them. Every delivery is prefixed
// with Return-Path: and Delivered-To:; a message that already carries a Delivered-To: for the
// recipient has been here before (a forwarding loop) and bounces 5.4.6.
#pragma once

#include <ctime>
#include <string>
#include <string_view>

namespace tern::local {

// CRLF -> LF (a bare CR is left alone).
std::string to_unix_line_ends(std::string_view message);

// "Return-Path: <sender>\nDelivered-To: recipient\n" + message.
std::string prepend_trace_headers(std::string_view message, std::string_view sender,
                                  std::string_view recipient);

// True when the header section (up to the first empty line) has a Delivered-To: field whose
// value equals `recipient` (ASCII case-insensitive, angle brackets and folding ignored).
bool has_delivered_to(std::string_view message, std::string_view recipient);

// The mbox separator line: "From sender Thu Jan  1 00:00:00 1970\n" (UTC, asctime layout);
// the null sender is MAILER-DAEMON.
std::string mbox_from_line(std::string_view sender, std::time_t when);

// A message as an mbox entry body (mboxrd quoting): every line matching ^>*From  gets one
// more '>', the text ends in a newline, and one empty line follows.
std::string mbox_quote(std::string_view message);

}  // namespace tern::local
