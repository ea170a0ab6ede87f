// Running a command line through the shell and capturing its standard output (test support).
#pragma once

#include <sys/wait.h>

#include <cstdio>
#include <string>

namespace phantom::test {

struct ShellResult {
  int status = -1;  // the exit code, or 128 + the signal that ended it
  std::string out;  // standard output (plus whatever the command line redirects into it)
};

inline ShellResult run_shell(const std::string& command) {
  ShellResult r;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (!pipe) return r;
  char buffer[4096];
  std::size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) r.out.append(buffer, n);
  int status = ::pclose(pipe);
  r.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

}  // namespace phantom::test
