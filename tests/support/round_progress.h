// Durable progress of a world that prints "round N ok" lines (test support): the sensors example and
// the travel program (tests/crash/) run with --log-snapshots, killed with SIGKILL and resumed. A resumed
// run must never come back behind the last round printed before the capture of a committed snapshot.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <sstream>
#include <string>

namespace phantom::test {

struct RoundProgress {
  long durable = 0;  // the last round printed before the last committed snapshot's capture
  int commits = 0;
  int resumed = 0;
};

// Checks one run's output against what was durable before it, and updates it: no self-check failed,
// the first round follows the durable one, rounds follow each other within the run.
inline void check_rounds(const std::string& out, RoundProgress& p) {
  ASSERT_EQ(out.find("self-check failed"), std::string::npos) << out.substr(0, 4000);
  ASSERT_EQ(out.find("uncaught exception"), std::string::npos) << out.substr(0, 4000);
  ASSERT_EQ(out.find("snapshot failed"), std::string::npos) << out.substr(0, 4000);
  if (out.find("resumed snapshot") != std::string::npos) ++p.resumed;
  long printed = 0, at_capture = -1;
  bool first = true;
  std::istringstream lines(out);
  std::string line;
  while (std::getline(lines, line)) {
    long round;
    if (std::sscanf(line.c_str(), "round %ld ok", &round) == 1) {
      if (first) EXPECT_GT(round, p.durable) << "the program came back behind the last committed snapshot";
      else EXPECT_EQ(round, printed + 1) << "rounds must follow each other within a run";
      first = false;
      printed = round;
    } else if (line == "phantom: snapshot captured") {
      at_capture = printed;
    } else if (line.starts_with("phantom: snapshot ") && line.find(" committed") != std::string::npos) {
      ++p.commits;
      if (at_capture >= 0) p.durable = std::max(p.durable, at_capture);
    }
  }
}

}  // namespace phantom::test
