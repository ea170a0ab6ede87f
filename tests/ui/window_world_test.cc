// The window system end to end (issue 13): the real `phantom run --display headless` with the programs
// of window_program.ph, driven through the control socket (`phantom screenshot`, `phantom input`), and
// killed with SIGKILL. Screenshots are compared with tests/ui/golden/ (see ExpectSameImage for the
// tolerance), input must reach the program exactly once, and after every kill the resumed desktop must
// show the painter's window exactly as some step at or after the last committed one left it.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <random>
#include <regex>
#include <string>
#include <thread>

#include "support/child_process.h"
#include "support/program_test.h"
#include "support/shell_command.h"
#include "ui/image.h"

namespace phantom {
namespace {

namespace fs = std::filesystem;

class WindowWorld : public test::ProgramTest {
 protected:
  void SetUp() override { ASSERT_NO_FATAL_FAILURE(compile_program("phantom_ui_", PHANTOM_BINARY, UI_PROGRAM)); }
  ~WindowWorld() override { kill(); }

  // Boots (or resumes) `boot` from the test programs, or with `examples` from the built examples.
  void start(const std::string& boot, bool console_commit = false, bool examples = false) {
    std::string classpath = examples ? std::string(CLASSES_DIR) : (dir_ / "classes").string();
    std::vector<std::string> args = {"phantom", "run", "--world", world(), "--boot", boot, "--classpath",
                                     classpath, "--arena-size", "64M", "--interval", "100",
                                     "--display", display_, "--no-clock", "--log-snapshots"};
    if (console_commit) args.push_back("--console-commit");
    child_ = test::spawn_child(PHANTOM_BINARY, args, true, true);  // stdin stays open: getwc waits for keys
    out_.clear();
    from_ = 0;
  }
  void kill() {
    if (child_.pid <= 0) return;
    ::kill(child_.pid, SIGKILL);
    ::waitpid(child_.pid, nullptr, 0);
    out_ += test::drain(child_.out);
    if (child_.in >= 0) ::close(child_.in);
    child_ = {};
  }
  bool wait_for(const std::string& text, int ms = 60000) { return test::read_next(child_.out, out_, text, ms, from_); }
  // Each line in order. The program's lines are waited for one by one, not as one block: stderr shares the
  // pipe, and a snapshot line of --log-snapshots may fall between two of them.
  bool wait_lines(std::initializer_list<const char*> lines, int ms) {
    for (const char* line : lines)
      if (!wait_for(std::string(line) + "\n", ms)) return false;
    return true;
  }
  std::string world() const { return (dir_ / "w.img").string(); }
  // A resumed world says "resumed" before its control socket listens, and until it does the socket of
  // the killed run answers nothing: wait until `phantom status` gets an answer.
  bool wait_for_control(int ms = 30000) {
    auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
    std::string status = std::string(PHANTOM_BINARY) + " status " + world() + " >/dev/null 2>&1";
    while (test::run_shell(status).status != 0) {
      if (std::chrono::steady_clock::now() > until) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return true;
  }

  ui::Image screenshot() {
    std::string file = (dir_ / "shot.png").string();
    auto r = test::run_shell(std::string(PHANTOM_BINARY) + " screenshot " + world() + " " + file + " 2>&1");
    EXPECT_EQ(r.status, 0) << r.out;
    auto image = ui::decode_png(test::read_whole_file(file));
    if (!image.ok()) {
      ADD_FAILURE() << image.error().message;
      return {};
    }
    return std::move(image).value();
  }
  void input(const std::string& options) {
    auto r = test::run_shell(std::string(PHANTOM_BINARY) + " input " + world() + " " + options + " 2>&1");
    ASSERT_EQ(r.status, 0) << r.out;
  }
  // 0x00RRGGBB at (x, y) counted from the top-left corner, as on the PNG.
  static std::uint32_t pixel(const ui::Image& im, int x, int y) {
    return im.pixels[static_cast<std::size_t>(im.height - 1 - y) * im.width + x] & 0xFFFFFF;
  }

  test::Child child_;
  std::string out_;
  std::size_t from_ = 0;
  std::string display_ = "headless";
};

// Exact but for anti-aliased text: at most 0.5% of the pixels may differ (a FreeType release that hints
// DejaVu differently moves glyph edges, nothing else).
void ExpectSameImage(const ui::Image& got, const ui::Image& want, const std::string& what) {
  ASSERT_EQ(got.width, want.width) << what;
  ASSERT_EQ(got.height, want.height) << what;
  std::size_t differ = 0;
  for (std::size_t i = 0; i < got.pixels.size(); ++i) differ += (got.pixels[i] & 0xFFFFFF) != (want.pixels[i] & 0xFFFFFF);
  EXPECT_LE(differ, got.pixels.size() / 200) << what << ": " << differ << " pixels differ";
}

// The screenshot against tests/ui/golden/<name>. PHANTOM_UPDATE_GOLDEN=1 writes the screenshot there
// instead (look at it before committing it).
void ExpectGolden(const ui::Image& got, const std::string& name, const std::string& what) {
  fs::path file = fs::path(UI_GOLDEN_DIR) / name;
  if (std::getenv("PHANTOM_UPDATE_GOLDEN")) {
    auto png = ui::encode_png(got.canvas());
    ASSERT_TRUE(png.ok()) << png.error().message;
    std::ofstream(file, std::ios::binary) << *png;
    return;
  }
  auto want = ui::decode_png(test::read_whole_file(file));
  ASSERT_TRUE(want.ok()) << file << ": " << want.error().message;
  ExpectSameImage(got, *want, what);
}

TEST_F(WindowWorld, EveryNativeDrawsWhatTheGoldenImageShows) {
  start(".test.ui_natives");
  ASSERT_TRUE(wait_for("drawn")) << out_;
  ui::Image got = screenshot();
  ExpectGolden(got, "natives.png", "natives.png");
  // The same desktop after kill -9 and a restart, once a snapshot captured after the drawing has committed.
  ASSERT_TRUE(wait_for("snapshot captured") && wait_for(" committed")) << out_;
  kill();
  start(".test.ui_natives");
  ASSERT_TRUE(wait_for("resumed") && wait_for_control()) << out_;
  ExpectGolden(screenshot(), "natives.png", "natives.png after kill -9");
  EXPECT_EQ(out_.find("drawn"), std::string::npos) << "the program started over:\n" << out_;
}

// A world drawn without a display keeps its windows, and shows them when it runs with one.
TEST_F(WindowWorld, WindowsDrawnWithoutADisplayShowWhenOneIsAttached) {
  display_ = "none";
  start(".test.ui_natives");
  ASSERT_TRUE(wait_for("drawn")) << out_;
  ASSERT_TRUE(wait_for("snapshot captured") && wait_for(" committed")) << out_;
  kill();
  display_ = "headless";
  start(".test.ui_natives");
  ASSERT_TRUE(wait_for("resumed") && wait_for_control()) << out_;
  ExpectGolden(screenshot(), "natives.png", "natives.png, drawn without a display");
}

TEST_F(WindowWorld, InputFocusesRaisesDragsAndArrivesOnce) {
  start(".test.ui_natives");
  ASSERT_TRUE(wait_for("drawn")) << out_;
  // The Shapes window's client area is 400x300 at (100, 100) from the bottom-left: (50, 50) inside it
  // is (150, 617) on the screenshot.
  input("--click 150,617");
  ASSERT_TRUE(wait_lines({"mouse 50 50 buttons 0 pressed 0 released 0", "window 1", "mouse 50 50 buttons 1 pressed 1 released 0",
                          "mouse 50 50 buttons 0 pressed 0 released 1"},
                         10000))
      << out_;
  input("--type hi");
  ASSERT_TRUE(wait_lines({"key 104 char 104 down 1", "key 104 char 104 down 0", "key 105 char 105 down 1", "key 105 char 105 down 0"},
                         10000))
      << out_;
  // Keys typed into the TTY window reach its getwc; the Shapes window loses the focus.
  input("--click 700,400 --type ok");
  ASSERT_TRUE(wait_lines({"window 2", "typed o", "typed k"}, 10000)) << out_;
  // Drag the Shapes title bar 100 pixels right and up: its red box follows.
  ui::Image before = screenshot();
  EXPECT_EQ(pixel(before, 150, 737 - 100), 0xFF0000u);
  input("--drag 200,347:300,247");
  ui::Image after = screenshot();
  EXPECT_EQ(pixel(after, 250, 537), 0xFF0000u) << "the window did not move with the drag";
  EXPECT_NE(pixel(after, 150, 637), 0xFF0000u);
  kill();
  // Each event once: the click's four lines and the keys appear exactly once.
  for (const char* line : {"mouse 50 50 buttons 1 pressed 1 released 0", "key 105 char 105 down 1", "typed o"}) {
    std::size_t first = out_.find(line);
    ASSERT_NE(first, std::string::npos) << line;
    EXPECT_EQ(out_.find(line, first + 1), std::string::npos) << "twice: " << line << "\n" << out_;
  }
}

// The widget library: type into a text field, press the button, pick a list entry; each action once.
TEST_F(WindowWorld, WidgetsTakeClicksAndKeys) {
  start(".test.ui_widgets");
  ASSERT_TRUE(wait_for("drawn")) << out_;
  ExpectGolden(screenshot(), "widgets.png", "the form as drawn");
  // The form's client area is 300x160 at (100, 100): the text field (10..210, 85..111) is at (150, 569) on
  // the screenshot, the button at (350, 569), the list's second row at (150, 627).
  input("--click 150,569 --type Bob");
  input("--click 350,569");
  ASSERT_TRUE(wait_for("hello Bob\n", 10000)) << out_;
  input("--click 150,627");
  ASSERT_TRUE(wait_for("picked 1\n", 10000)) << out_;
  // Text typed, second row selected, the list focused: every widget in its other state.
  ExpectGolden(screenshot(), "widgets_used.png", "the form after typing, a click and a pick");
  kill();
  EXPECT_EQ(out_.find("hello Bob", out_.find("hello Bob") + 1), std::string::npos) << out_;
  EXPECT_EQ(out_.find("exception"), std::string::npos) << out_;
}

// .internal.ui.font: each typeface draws (golden image), measures, and refuses what it does not know.
TEST_F(WindowWorld, FontsDrawEveryTypeface) {
  start(".test.ui_fonts");
  ASSERT_TRUE(wait_for("drawn serif 40\n")) << out_;
  ExpectGolden(screenshot(), "fonts.png", "fonts.png");
  EXPECT_NE(out_.find("default sans 14\n"), std::string::npos) << out_;
  auto width = [&](const std::string& name) {
    std::size_t at = out_.find(name + " width ");
    return at == std::string::npos ? -1 : std::atoi(out_.c_str() + at + name.size() + 7);
  };
  EXPECT_GT(width("sans-bold"), width("sans")) << out_;
  EXPECT_EQ(width("mono-bold"), width("mono")) << "a monospaced face has one advance:\n" << out_;
  EXPECT_GT(width("sans"), 0) << out_;
  for (const char* line : {"caught: font.setFont: no typeface 'comic'; use sans, sans-bold, mono, mono-bold, serif or serif-bold",
                           "caught: font.setFont: size 3 is not 4..256 pixels",
                           "caught: font.drawString: argument 1 must be a window"})
    EXPECT_NE(out_.find(line), std::string::npos) << line << "\n" << out_;
}

// Bad input from a program: every lying or truncated picture is an exception with a message, absurd sizes
// are refused, drawing far outside the window is clipped; the world goes on and the window still draws.
TEST_F(WindowWorld, BadInputFromProgramsIsRefusedCleanly) {
  start(".test.ui_bad_input");
  ASSERT_TRUE(wait_for("survived\n", 30000)) << out_;
  for (const char* line : {
           "caught empty: can not parse graphics data: picture: empty, neither a PNG nor a P6 PPM",
           "caught not a picture: can not parse graphics data: picture: neither a PNG nor a P6 PPM",
           "caught truncated ppm: can not parse graphics data: ppm: 8 of 8 rows of pixels are missing",
           "caught huge ppm: can not parse graphics data: ppm: 100000x100000 exceeds the limit",
           "caught negative ppm: can not parse graphics data:",
           "caught ppm maxval 0: can not parse graphics data: ppm: maxval 0 is out of range",
           "caught png with a bad crc: can not parse graphics data: png: IHDR: CRC error",
           "caught lying png: can not parse graphics data: png: the file is truncated",
           "caught truncated png: can not parse graphics data: png: the file is truncated",
           "caught zero png: can not parse graphics data: png:",
           "caught setWinSize: window.setWinSize: 100000x100000 is not a window size",
           "caught setWinSize: window.setWinSize: -5x0 is not a window size",
           "caught drawText: window.drawText: size 100000 is not 4..256 pixels",
           "caught drawText: window.drawText: size -5 is not 4..256 pixels",
       })
    EXPECT_NE(out_.find(line), std::string::npos) << line << "\n" << out_;
  EXPECT_EQ(out_.find("loaded "), std::string::npos) << out_;
  EXPECT_EQ(out_.find("uncaught"), std::string::npos) << out_;
  // The 200x100 window at (100, 100) shows its green box at (10..60, 10..60) on white.
  ui::Image im = screenshot();
  EXPECT_EQ(pixel(im, 130, 767 - 130), 0x00C000u);
  EXPECT_EQ(pixel(im, 250, 767 - 130), 0xFFFFFFu);
}

// The demos of examples/ (paint, weather, desktop) really run, take input and come back after kill -9.
TEST_F(WindowWorld, PaintDemoKeepsItsDrawingAcrossKill) {
  start(".demo.paint", false, true);
  ASSERT_TRUE(wait_for("paint: ready\n")) << out_;
  ui::Image blank = screenshot();
  // Pick red (the second swatch), then a stroke from (300, 300) to (500, 400) on the canvas.
  input("--click 180,216 --drag 300,300:500,400");
  ASSERT_TRUE(wait_for("paint: stroke 1\n", 10000)) << out_;
  ui::Image drawn = screenshot();
  EXPECT_EQ(pixel(blank, 400, 350), 0xFFFFFFu);
  EXPECT_EQ(pixel(drawn, 400, 350), 0xD03030u) << "no red stroke through the middle of the drag";
  ASSERT_TRUE(wait_for("snapshot captured") && wait_for(" committed")) << out_;
  kill();
  start(".demo.paint", false, true);
  ASSERT_TRUE(wait_for("resumed") && wait_for_control()) << out_;
  ui::Image resumed = screenshot();
  ASSERT_EQ(resumed.pixels.size(), drawn.pixels.size());
  std::size_t differ = 0;
  for (std::size_t i = 0; i < drawn.pixels.size(); ++i) differ += (drawn.pixels[i] & 0xFFFFFF) != (resumed.pixels[i] & 0xFFFFFF);
  EXPECT_EQ(differ, 0u) << "the resumed desktop differs from the one before the kill";
  // The brush is still red: a second stroke after the restart is red too.
  input("--drag 300,450:600,450");
  ASSERT_TRUE(wait_for("paint: stroke 2\n", 10000)) << out_;
  EXPECT_EQ(pixel(screenshot(), 450, 450), 0xD03030u);
}

TEST_F(WindowWorld, WeatherDemoPlotsItsTable) {
  start(".demo.weather", false, true);
  ASSERT_TRUE(wait_for("weather: drawn\n")) << out_;
  // The first reading is 7 degrees: a green 2x2 dot at (17, 15 + 2 * 7) in the window's client area,
  // whose bottom-left corner is at (100, 100) from the bottom of the 768-pixel screen.
  bool plotted = false;
  for (int i = 0; i < 100 && !plotted; ++i) {
    plotted = pixel(screenshot(), 100 + 17, 767 - (100 + 29)) == 0x30A050u;
    if (!plotted) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(plotted) << "no dot for the first reading";
}

TEST_F(WindowWorld, DesktopDemoRunsTheShellInAWindow) {
  start(".demo.desktop", false, true);
  ASSERT_TRUE(wait_for("desktop: world window drawn\n")) << out_;
  // With the terminal's input at its end, the shell still reads what is typed into its window.
  ::close(child_.in);
  child_.in = -1;
  input("--click 300,500 --type threads --key Return");
  ASSERT_TRUE(wait_for(".demo.desktop_world_window: ", 10000)) << "the shell did not run it:\n" << out_;
  // The echo, each key as it came, may have snapshot lines of stderr between its letters.
  std::string stdout_only = std::regex_replace(out_, std::regex("phantom: snapshot[^\n]*\n"), "");
  // The keys may come before or after the shell's prompt.
  EXPECT_TRUE(stdout_only.find("\nthreads\n") != std::string::npos || stdout_only.find("> threads\n") != std::string::npos)
      << "no echo of the typed command:\n" << out_;
  EXPECT_EQ(out_.find("end of input"), std::string::npos) << out_;
  // The background picture (boot setScreenBackground): a gradient from (30, 50, 80) at the top down to
  // (66, 104, 143) on row 700; it is a window of the world, so a restart after kill -9 shows it again.
  auto background_shown = [&](const ui::Image& im) {
    EXPECT_EQ(pixel(im, 5, 5), 0x1E3250u);
    EXPECT_EQ(pixel(im, 5, 700), 0x42688Fu);
  };
  background_shown(screenshot());
  ASSERT_TRUE(wait_for("snapshot captured") && wait_for(" committed")) << out_;
  kill();
  start(".demo.desktop", false, true);
  ASSERT_TRUE(wait_for("resumed") && wait_for_control()) << out_;
  background_shown(screenshot());
}

// The colour step n (from 1) gives its cell, and whether the screenshot shows the state after exactly
// `m` steps: each cell k in the colour of the last step that filled it (white before the first), the
// window at x = 100 + (m - 1) % 64.
std::uint32_t step_colour(int n) {
  int i = n - 1;
  return ((i * 37 % 256) << 16) | ((i * 91 % 256) << 8) | (i * 53 % 256);
}

bool shows_step(const ui::Image& im, int m) {
  int client_x = m == 0 ? 100 : 100 + (m - 1) % 64, client_y = 150;  // bottom-left of the client area
  for (int k = 0; k < 240; ++k) {
    int x = client_x + (k % 20) * 16 + 8, y = client_y + (k / 20) * 16 + 8;
    std::uint32_t want = k < m ? step_colour(k + 1 + (m - 1 - k) / 240 * 240) : 0xFFFFFFu;
    if ((im.pixels[static_cast<std::size_t>(y) * im.width + x] & 0xFFFFFF) != want) return false;
  }
  return true;
}

// Kills at random instants; after each restart the screen must show a step at or after the last one
// whose line was printed (a line is released only once the snapshot holding its step has committed).
TEST_F(WindowWorld, PaintingComesBackPixelForPixelAfterEveryKill) {
  const int kills = static_cast<int>(test::env_count("PHANTOM_UI_KILLS", 20));
  std::mt19937_64 random(test::env_count("PHANTOM_SEED", std::random_device{}()));
  start(".test.ui_paint", true);
  ASSERT_TRUE(wait_for("drawn")) << out_;
  int last_committed = 0;
  auto last_step_printed = [&] {
    for (std::size_t at = out_.find("step "); at != std::string::npos; at = out_.find("step ", at + 1))
      last_committed = std::max(last_committed, std::atoi(out_.c_str() + at + 5));
  };
  for (int i = 0; i < kills; ++i) {
    if (!wait_for("step ", 30000)) FAIL() << "kill " << i << ": no progress:\n" << out_;
    std::this_thread::sleep_for(std::chrono::microseconds(random() % 150000));
    kill();
    last_step_printed();
    start(".test.ui_paint", true);
    ASSERT_TRUE(wait_for("resumed") && wait_for_control()) << out_;
    ui::Image im = screenshot();
    // A resumed world first releases the lines its snapshot still held: they count as committed too,
    // but those printed after the screenshot may be of steps drawn after it; so only lines seen by now.
    last_step_printed();
    int shown = -1;
    for (int m = last_committed; m <= last_committed + 5000 && shown < 0; ++m)
      if (shows_step(im, m)) shown = m;
    ASSERT_GE(shown, 0) << "kill " << i << ": the screen shows no step at or after " << last_committed;
  }
  kill();
  std::printf("%d kills; the last resumed screen showed step %d or later\n", kills, last_committed);
}

}  // namespace
}  // namespace phantom
