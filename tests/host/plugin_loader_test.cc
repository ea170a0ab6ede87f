// The module loader (host/linux/plugin_loader.h): a missing, broken or foreign module is a clear error
// naming the file, the directories searched and why, never a crash; the directories come in their order;
// and the stand-in HTTP client of a missing libcurl module answers every request with that error.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <string>

#include "host/http_client.h"
#include "host/linux/plugin_loader.h"

namespace phantom::host {
namespace {

namespace fs = std::filesystem;

// A directory of its own for the test, removed at the end.
class PluginLoader : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("phantom_plugin_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "empty");
    fs::create_directories(dir_ / "broken");
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(PluginLoader, AMissingModuleSaysWhereItWasLookedFor) {
  std::string empty = (dir_ / "empty").string(), other = (dir_ / "not-there").string();
  auto loaded = load_plugin_symbol("phantom-display-vnc.so", "phantom_display_vnc_open_v1", {empty, other});
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.error().code, Errc::not_found);
  EXPECT_EQ(loaded.error().message,
            "cannot load phantom-display-vnc.so (searched " + empty + ", " + other + "): no such file in any of them");
}

TEST_F(PluginLoader, NoDirectoryAtAllIsAnErrorToo) {
  auto loaded = load_plugin_symbol("phantom-display-vnc.so", "phantom_display_vnc_open_v1", {});
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.error().code, Errc::not_found);
  EXPECT_NE(loaded.error().message.find("cannot load phantom-display-vnc.so (searched nowhere"), std::string::npos)
      << loaded.error().message;
}

TEST_F(PluginLoader, ABrokenModuleIsReportedWithDlerror) {
  fs::path file = dir_ / "broken" / "phantom-display-vnc.so";
  std::ofstream(file) << "not an ELF file\n";
  std::string empty = (dir_ / "empty").string(), broken = (dir_ / "broken").string();
  auto loaded = load_plugin_symbol("phantom-display-vnc.so", "phantom_display_vnc_open_v1", {empty, broken});
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.error().code, Errc::unsupported);
  const std::string& m = loaded.error().message;
  EXPECT_EQ(m.rfind("cannot load phantom-display-vnc.so (searched " + empty + ", " + broken + "): ", 0), 0u) << m;
  EXPECT_NE(m.find(file.string()), std::string::npos) << m;  // dlerror names the file it tried
}

TEST_F(PluginLoader, AModuleWithoutTheFactoryIsReported) {
  // The real module of this build (plugin_directories() ends with the build directory), asked for a
  // factory of another version.
  auto loaded = load_plugin_symbol("phantom-display-vnc.so", "phantom_display_vnc_open_v0");
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.error().code, Errc::unsupported);
  EXPECT_NE(loaded.error().message.find("phantom_display_vnc_open_v0"), std::string::npos) << loaded.error().message;
  EXPECT_NE(loaded.error().message.find("another build"), std::string::npos) << loaded.error().message;
}

TEST_F(PluginLoader, TheModulesOfThisBuildLoad) {
#ifdef PHANTOM_NO_HOST_MODULES
  GTEST_SKIP() << "this build leaves the modules out (PHANTOM_HOST_MODULES=OFF)";
#endif
  for (auto [file, symbol] : {std::pair{"phantom-display-vnc.so", "phantom_display_vnc_open_v1"},
                              std::pair{"phantom-display-sdl.so", "phantom_display_sdl_open_v1"},
                              std::pair{"phantom-http-curl.so", "phantom_http_curl_start_v1"}}) {
    auto loaded = load_plugin_symbol(file, symbol);
    ASSERT_TRUE(loaded.ok()) << loaded.error().message;
    EXPECT_NE(*loaded, nullptr);
  }
}

TEST_F(PluginLoader, DirectoriesComeInOrder) {
  const char* saved = std::getenv("PHANTOM_PLUGIN_DIR");
  std::string restore = saved ? saved : "";
  ::setenv("PHANTOM_PLUGIN_DIR", (dir_ / "empty").c_str(), 1);
  auto dirs = plugin_directories();
  if (saved) ::setenv("PHANTOM_PLUGIN_DIR", restore.c_str(), 1);
  else ::unsetenv("PHANTOM_PLUGIN_DIR");
  ASSERT_GE(dirs.size(), 2u);
  EXPECT_EQ(dirs[0], fs::read_symlink("/proc/self/exe").parent_path().string());  // the executable's own
  EXPECT_EQ(dirs[1], (dir_ / "empty").string());                                  // then the variable
  for (std::size_t i = 0; i < dirs.size(); ++i)
    for (std::size_t j = i + 1; j < dirs.size(); ++j) EXPECT_NE(dirs[i], dirs[j]);
}

TEST_F(PluginLoader, AMissingHttpModuleAnswersEveryRequestWithTheReason) {
  auto client = unavailable_http_client("cannot load phantom-http-curl.so (searched /x): no such file in any of them");
  std::promise<HttpResult> answered;
  HttpRequest rq;
  rq.url = "http://127.0.0.1:9/";
  client->start(rq, [&](HttpResult r) { answered.set_value(std::move(r)); });
  auto future = answered.get_future();
  ASSERT_EQ(future.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  HttpResult r = future.get();
  EXPECT_EQ(r.error, HttpErrc::failed);
  EXPECT_EQ(r.message,
            "http://127.0.0.1:9/: no HTTP client: cannot load phantom-http-curl.so (searched /x): no such file in any of them");
  // Cancelled requests are not answered; the client ends with requests still queued.
  for (int i = 0; i < 100; ++i) {
    auto id = client->start(rq, [](HttpResult) {});
    if (i % 2) client->cancel(id);
  }
  client.reset();
}

}  // namespace
}  // namespace phantom::host
