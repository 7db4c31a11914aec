// Program table.
#include "master/programs.h"

#include <thread>

namespace tern::master {

int smtpd_instances(const config::Config& config) {
  int64_t n = config.get_int("smtpd_process_count");
  if (n > 0) return static_cast<int>(n);
  // One per two cores: under load qmgr, local, lookup and the kernel's disk work take about
  // half of the machine, and two smtpd loops on two cores were slower than one (they wake
  // each other on every connection and each sleeps more often; measured in tests/bench).
  unsigned cores = std::thread::hardware_concurrency();
  return cores > 1 ? static_cast<int>((cores + 1) / 2) : 1;
}

std::vector<ProgramSpec> program_specs(const config::Config& config,
                                       const std::vector<process::NamedFd>& ipc_fds,
                                       const std::vector<process::NamedFd>& listeners) {
  auto ipc_of = [&](const char* program) {
    std::vector<process::NamedFd> out;
    for (const auto& f : ipc_fds) {
      if (f.role == program) out.push_back({"ipc", f.fd});
    }
    return out;
  };
  std::vector<ProgramSpec> specs;
  for (const char* name : {"lookup", "qmgr", "local", "smtp"}) specs.push_back({name, 1, ipc_of(name)});
  ProgramSpec smtpd{"smtpd", smtpd_instances(config), listeners};
  for (const auto& f : ipc_of("smtpd")) smtpd.fds.push_back({"submit", f.fd});
  specs.push_back(std::move(smtpd));
  return specs;
}

}  // namespace tern::master
