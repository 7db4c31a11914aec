// sendmail: the ternctl binary called by that name (or from a sendmail symlink), as scripts,
// cron and mail(1) call Postfix's or Exim's. Options: ctl/commands/sendmail_options.h.
//
// The message goes to smtpd over <spool>/public/submit (sendmail_submit.h); when smtpd does
// not answer, into <spool>/maildrop/ (sendmail_maildrop.h), from where qmgr picks it up. Only
// when both fail does it exit 75. sendmail is never setuid or setgid.
//
// The sender is the login name of getuid() at myorigin (67 when the uid has no passwd entry);
// -f overrides it for any user, as Postfix allows, and is logged with the uid (smtpd and
// pickup log "uid=N from=<...>" too). Exit codes are sysexits: 0 queued or kept, 64 usage,
// 65 data error (too large, refused), 67 no user (no recipient accepted, unknown uid),
// 75 temporary failure, 78 configuration error.
#pragma once

namespace tern::ctl {

int run_sendmail_argv(int argc, char** argv);

}  // namespace tern::ctl
