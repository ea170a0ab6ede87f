// Runs of one world killed with SIGKILL at random instants (test support): the world is started, killed
// at a random moment after it has printed progress of its own, started again, and so on, until it has
// been killed often enough; then a last run goes to the end.
#pragma once

#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "support/child_process.h"

namespace phantom::test {

struct KillPlan {
  std::string program;                  // the phantom binary
  std::string alternate_program;        // if set, every second run resumes with it (a rebuilt binary)
  std::vector<std::string> first_run;   // argv of the first run (argv[0] included)
  std::vector<std::string> later_runs;  // argv of every run after a kill (resuming the world)
  std::string progress;                 // text that starts each progress line the world prints
  std::uint64_t kills = 5;
  int progress_timeout_ms = 120'000;    // a run that shows no progress for this long has hung
};

struct KillRuns {
  std::string output;       // stdout of every run, in order
  std::uint64_t kills = 0;  // how many runs were killed
  std::uint64_t alternate_runs = 0;  // how many runs were made by alternate_program
  int exit_code = -1;       // of the last run; -1 when it did not exit on its own
  std::string error;        // empty unless a run hung
};

// Runs the plan. A run is killed at a random instant within about twice the time the previous runs took
// to show their first progress line (start-up, restore, one commit), so kills land in start-up,
// restore, computation, host calls and snapshot writes alike, on a fast machine as on a loaded one.
inline KillRuns run_with_kills(const KillPlan& plan, std::mt19937_64& random) {
  KillRuns result;
  PhaseDuration first_progress(200);
  for (std::uint64_t run = 0;; ++run) {
    const bool first = run == 0, alternate = run % 2 == 1 && !plan.alternate_program.empty();
    const std::string& program = alternate ? plan.alternate_program : plan.program;
    result.alternate_runs += alternate;
    Child child = spawn_child(program.c_str(), first ? plan.first_run : plan.later_runs, false);
    if (child.pid <= 0) {
      result.error = "could not start " + program;
      return result;
    }
    std::string out;
    bool killed = false;
    if (result.kills < plan.kills) {
      auto start = std::chrono::steady_clock::now();
      std::size_t from = 0;
      // A whole line: the world printed it, so the state behind it is committed.
      bool progressed = read_next(child.out, out, plan.progress, plan.progress_timeout_ms, from) &&
                        read_until(child.out, out, "\n", plan.progress_timeout_ms, from);
      auto took = std::chrono::steady_clock::now() - start;
      if (progressed) {
        first_progress.observe(took);
        std::this_thread::sleep_for(first_progress.random_within(random, 2.0));
      }
      // No progress before the end of the output: the program ended. No progress in time: it hung.
      bool hung = !progressed && took >= std::chrono::milliseconds(plan.progress_timeout_ms);
      if (hung) result.error = "no progress for " + std::to_string(plan.progress_timeout_ms) + " ms";
      if (progressed || hung) ::kill(child.pid, SIGKILL);
      killed = progressed;
    }
    out += drain(child.out);
    int status = 0;
    ::waitpid(child.pid, &status, 0);
    result.output += out;
    if (killed && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) {
      ++result.kills;
      continue;
    }
    // The program ran to its end (before any signal) or the run failed.
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return result;
  }
}

}  // namespace phantom::test
