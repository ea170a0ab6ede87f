// Fault history and crash-loop decisions (system/fault_history.h) on hand-made event logs: how runs
// end, what a fault note adds, when a loop is found, and the escalation quarantine -> rollback -> stop.
#include "system/fault_history.h"

#include <gtest/gtest.h>
#include <signal.h>

namespace phantom::system {
namespace {

constexpr std::uint64_t s = 1'000'000'000ull;

store::Event ev(EventKind kind, std::uint64_t boot, std::uint64_t seq, std::uint64_t time_s, std::uint64_t detail = 0,
                std::string text = "") {
  return make_event(kind, time_s * s, boot, seq, detail, std::move(text));
}

// Run `boot` resumes `seq` at `at` s and dies of a fault in VM thread `thread` `after` s later.
void failed_run(std::vector<store::Event>& log, std::uint64_t boot, std::uint64_t seq, std::uint64_t at, std::uint64_t after,
                std::uint32_t thread) {
  log.push_back(ev(EventKind::boot, boot, seq, at));
  log.push_back(ev(EventKind::fault, boot, seq, at + after, thread, "the process died of SIGSEGV"));
}

TEST(FaultHistory, RunsEndAsTheLogSays) {
  std::vector<store::Event> log;
  log.push_back(ev(EventKind::boot, 1, 0, 100));
  log.push_back(ev(EventKind::stop, 1, 5, 110));
  failed_run(log, 2, 5, 120, 1, 7);
  log.push_back(ev(EventKind::boot, 3, 5, 130));
  log.push_back(ev(EventKind::unclean_end, 3, 5, 140));
  log.push_back(ev(EventKind::boot, 4, 6, 150));
  auto runs = runs_of(log);
  ASSERT_EQ(runs.size(), 4u);
  EXPECT_EQ(runs[0].end, RunRecord::End::stopped);
  EXPECT_EQ(runs[1].end, RunRecord::End::fault);
  EXPECT_EQ(runs[1].thread_id, 7u);
  EXPECT_EQ(runs[2].end, RunRecord::End::unclean);
  EXPECT_EQ(runs[3].end, RunRecord::End::running);
}

TEST(FaultHistory, TheNoteCompletesTheRunItBelongsTo) {
  std::vector<store::Event> log;
  log.push_back(ev(EventKind::boot, 4, 9, 100));
  host::FaultNote note;
  note.boot = 4;
  note.resumed_seq = 9;
  note.started_ns = 100 * s;
  note.fault = host::FaultKind::signal;
  note.signal = SIGABRT;
  note.thread_id = 3;
  note.fault_ns = 102 * s;
  auto added = events_from_note(log, note, 200 * s);
  ASSERT_EQ(added.size(), 1u);
  EXPECT_EQ(added[0].kind, static_cast<std::uint16_t>(EventKind::fault));
  EXPECT_EQ(added[0].boot, 4u);
  EXPECT_EQ(added[0].detail, 3u);
  EXPECT_NE(added[0].text.find("SIGABRT"), std::string::npos) << added[0].text;
  EXPECT_NE(added[0].text.find("2.0 s after"), std::string::npos) << added[0].text;

  // Without a fault in the note: an unclean end. A note of a run that has ended already adds nothing.
  note.fault = host::FaultKind::none;
  added = events_from_note(log, note, 200 * s);
  ASSERT_EQ(added.size(), 1u);
  EXPECT_EQ(added[0].kind, static_cast<std::uint16_t>(EventKind::unclean_end));
  log.push_back(ev(EventKind::stop, 4, 9, 150));
  EXPECT_TRUE(events_from_note(log, note, 200 * s).empty());
}

TEST(FaultHistory, ANoteOfARunTheLogNeverSawAddsItsBootToo) {
  std::vector<store::Event> log;
  log.push_back(ev(EventKind::boot, 1, 0, 100));
  log.push_back(ev(EventKind::stop, 1, 3, 110));
  host::FaultNote note;
  note.boot = 2;
  note.resumed_seq = 3;
  note.started_ns = 120 * s;
  note.fault = host::FaultKind::watchdog;
  note.text = "VM thread 5 ran for 30.0 s without reaching a safepoint";
  note.thread_id = 5;
  note.fault_ns = 150 * s;
  auto added = events_from_note(log, note, 200 * s);
  ASSERT_EQ(added.size(), 2u);
  EXPECT_EQ(added[0].kind, static_cast<std::uint16_t>(EventKind::boot));
  EXPECT_EQ(added[0].seq, 3u);
  EXPECT_EQ(added[1].kind, static_cast<std::uint16_t>(EventKind::fault));
  EXPECT_NE(added[1].text.find("watchdog"), std::string::npos);
}

TEST(FaultHistory, ALoopIsKFailuresSoonAfterResumingTheSameSnapshot) {
  CrashLoopPolicy policy;  // quarantine, 3 failures, 60 s
  std::vector<store::Event> log;
  log.push_back(ev(EventKind::boot, 1, 0, 100));
  failed_run(log, 2, 8, 200, 1, 4);
  failed_run(log, 3, 8, 210, 1, 4);
  EXPECT_EQ(decide_crash_loop(log, 8, {6, 7, 8}, policy).action, CrashLoopDecision::Action::none);
  failed_run(log, 4, 8, 220, 1, 4);
  auto d = decide_crash_loop(log, 8, {6, 7, 8}, policy);
  EXPECT_EQ(d.action, CrashLoopDecision::Action::quarantine);
  EXPECT_EQ(d.failures, 3u);
  EXPECT_EQ(d.threads, std::vector<std::uint32_t>{4});
  EXPECT_NE(d.last_fault.find("VM thread 4"), std::string::npos);
  // Another snapshot is not in a loop.
  EXPECT_EQ(decide_crash_loop(log, 9, {7, 8, 9}, policy).action, CrashLoopDecision::Action::none);
}

TEST(FaultHistory, LateFailuresKillsAndCleanStopsDoNotMakeALoop) {
  CrashLoopPolicy policy;
  std::vector<store::Event> log;
  failed_run(log, 1, 8, 100, 1, 4);
  failed_run(log, 2, 8, 200, 61, 4);  // beyond the window
  failed_run(log, 3, 8, 300, 1, 4);
  EXPECT_EQ(decide_crash_loop(log, 8, {8}, policy).failures, 1u);
  // Kills in between neither count nor break the count.
  std::vector<store::Event> killed;
  failed_run(killed, 1, 8, 100, 1, 4);
  killed.push_back(ev(EventKind::boot, 2, 8, 110));
  killed.push_back(ev(EventKind::unclean_end, 2, 8, 115));
  failed_run(killed, 3, 8, 120, 1, 4);
  failed_run(killed, 4, 8, 130, 1, 4);
  EXPECT_EQ(decide_crash_loop(killed, 8, {8}, policy).failures, 3u);
  // A clean stop between failures ends the count.
  std::vector<store::Event> stopped;
  failed_run(stopped, 1, 8, 100, 1, 4);
  failed_run(stopped, 2, 8, 110, 1, 4);
  stopped.push_back(ev(EventKind::boot, 3, 8, 120));
  stopped.push_back(ev(EventKind::stop, 3, 8, 125));
  failed_run(stopped, 4, 8, 130, 1, 4);
  EXPECT_EQ(decide_crash_loop(stopped, 8, {8}, policy).failures, 1u);
}

TEST(FaultHistory, QuarantineThenRollbackThenStop) {
  CrashLoopPolicy policy;
  std::vector<store::Event> log;
  for (std::uint64_t b = 1; b <= 3; ++b) failed_run(log, b, 8, 100 + b * 10, 1, 4);
  ASSERT_EQ(decide_crash_loop(log, 8, {7, 8}, policy).action, CrashLoopDecision::Action::quarantine);
  // Run 4 applies the quarantine; the quarantined thread is held back at every later start of 8.
  log.push_back(ev(EventKind::crash_loop, 4, 8, 150, 3, "quarantine: the threads running at the faults are held back"));
  log.push_back(ev(EventKind::quarantine, 4, 8, 150, 4, "4 crasher: runnable"));
  failed_run(log, 4, 8, 150, 1, 9);  // another thread fails now
  auto d = decide_crash_loop(log, 8, {7, 8}, policy);
  EXPECT_EQ(d.action, CrashLoopDecision::Action::none);
  EXPECT_EQ(d.failures, 1u);
  EXPECT_EQ(d.threads, std::vector<std::uint32_t>{4});  // re-applied
  failed_run(log, 5, 8, 160, 1, 9);
  failed_run(log, 6, 8, 170, 1, 9);
  d = decide_crash_loop(log, 8, {7, 8}, policy);
  EXPECT_EQ(d.action, CrashLoopDecision::Action::rollback) << "the quarantine did not help";
  EXPECT_EQ(d.rollback_to, 7u);
  // Nothing older: stop.
  EXPECT_EQ(decide_crash_loop(log, 8, {8}, policy).action, CrashLoopDecision::Action::stop);
}

TEST(FaultHistory, FaultsOutsideAnyThreadGoStraightToRollback) {
  CrashLoopPolicy policy;
  std::vector<store::Event> log;
  for (std::uint64_t b = 1; b <= 3; ++b) failed_run(log, b, 8, 100 + b * 10, 1, 0);
  auto d = decide_crash_loop(log, 8, {5, 8}, policy);
  EXPECT_EQ(d.action, CrashLoopDecision::Action::rollback);
  EXPECT_EQ(d.rollback_to, 5u);
}

TEST(FaultHistory, EachPolicyAndTheNewWorld) {
  std::vector<store::Event> log;
  for (std::uint64_t b = 1; b <= 3; ++b) failed_run(log, b, 8, 100 + b * 10, 1, 4);
  CrashLoopPolicy policy;
  policy.action = CrashLoopAction::rollback;
  EXPECT_EQ(decide_crash_loop(log, 8, {7, 8}, policy).action, CrashLoopDecision::Action::rollback);
  policy.action = CrashLoopAction::stop;
  EXPECT_EQ(decide_crash_loop(log, 8, {7, 8}, policy).action, CrashLoopDecision::Action::stop);
  policy.action = CrashLoopAction::ignore;
  EXPECT_EQ(decide_crash_loop(log, 8, {7, 8}, policy).action, CrashLoopDecision::Action::ignore);
  policy.action = CrashLoopAction::quarantine;
  policy.failures = 4;
  EXPECT_EQ(decide_crash_loop(log, 8, {7, 8}, policy).action, CrashLoopDecision::Action::none);
  // A new world failing before its first snapshot, again and again: stop.
  std::vector<store::Event> fresh;
  for (std::uint64_t b = 1; b <= 3; ++b) failed_run(fresh, b, 0, 100 + b * 10, 1, 2);
  EXPECT_EQ(decide_crash_loop(fresh, 0, {}, CrashLoopPolicy{}).action, CrashLoopDecision::Action::stop);
}

TEST(FaultHistory, EveryKindHasANameAndADescription) {
  for (std::uint16_t k = 1; k <= 11; ++k) {
    EXPECT_STRNE(event_kind_name(k), "unknown") << k;
    EXPECT_FALSE(describe_event(ev(static_cast<EventKind>(k), 1, 2, 3, 4, "x")).empty());
  }
  EXPECT_STREQ(event_kind_name(999), "unknown");
  EXPECT_EQ(parse_crash_loop_action("rollback"), CrashLoopAction::rollback);
  EXPECT_FALSE(parse_crash_loop_action("reboot").has_value());
}

}  // namespace
}  // namespace phantom::system
