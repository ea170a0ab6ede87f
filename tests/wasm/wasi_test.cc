// WASI preview 1 host functions (src/wasm/wasi.h), called directly with a HostCall over a byte buffer as
// the guest's memory: no interpreter involved. Every function's success and error paths, hostile
// pointers and lengths (ERRNO_FAULT, never a crash), the sandbox's refusals, restarts (a new
// WasiContext over the same arena is a new process), committed writes through a real Outbox, sleeps.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include "connections/outbox.h"
#include "host/files.h"
#include "vm/vm.h"
#include "wasm/wasi.h"
#include "wasm/wasi_abi.h"

namespace phantom::wasm {
namespace {

namespace fs = std::filesystem;
using namespace wasi;

struct FakeClock final : host::Clock {
  std::uint64_t mono = 1'000'000, wall = 1'700'000'000'000'000'000ull;
  std::uint64_t monotonic_ns() const override { return mono; }
  std::uint64_t wall_ns() const override { return wall; }
};

struct TestConsole final : vm::Console {
  void write_output(std::string_view bytes) override { out.append(bytes); }
  void write_diagnostic(std::string_view text) override { diag.append(text); }
  int poll_input() override {
    if (!input.empty()) {
      int c = static_cast<unsigned char>(input.front());
      input.pop_front();
      return c;
    }
    return eof ? input_eof : input_none;
  }
  std::string out, diag;
  std::deque<char> input;
  bool eof = false;
};

struct Outcome {
  HostOutcome outcome;
  std::uint16_t err = 0xffff;
  std::int32_t exit_code = 0;
  std::int64_t wake_ns = 0;
  bool wait_input = false;
  std::string trap;
};

class WasiTest : public ::testing::Test {
 protected:
  static constexpr std::size_t arena_bytes = 32u << 20;
  static constexpr std::uint32_t R = 60000;  // scratch area for results in guest memory

  WasiTest()
      : arena_(static_cast<std::byte*>(std::calloc(arena_bytes, 1))), heap_(arena_.get(), arena_bytes), memory(65536, 0) {
    heap_.format();
    vm_ = std::make_unique<vm::Vm>(heap_, clock, console, vm::VmOptions{});
    // No boot class: boot() fails after the internal classes exist, which is all these tests need.
    EXPECT_FALSE(vm_->boot().ok());
    engine_ = std::make_unique<Engine>(*vm_);
    store = engine_->new_store();
    call_ref = vm_->new_binary(8);  // stands for the running call object
    static int counter = 0;
    dir = fs::temp_directory_path() / ("phantom-wasi-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    auto opened = host::open_sandbox(dir.string(), true);
    EXPECT_TRUE(opened.ok());
    files = std::move(opened).value();
    restart();
  }
  ~WasiTest() override {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }

  // A new process: new host caches (file handles, clock offset), the same arena.
  void restart(connections::Outbox* outbox = nullptr, bool with_files = true) {
    context = std::make_unique<WasiContext>(WasiOptions{with_files ? files.get() : nullptr, outbox});
    module = wasi_module(*context);
  }

  HostFn fn(std::string_view name) {
    for (const HostFunction& f : module.functions)
      if (f.name == name) return f.fn;
    ADD_FAILURE() << "no function " << name;
    return nullptr;
  }
  Outcome run(std::string_view name, std::vector<Cell> args) {
    Cell result = 0xffff;
    HostCall c{*engine_, *vm_, call_ref, store, vm::raw_null, args, std::span<Cell>(&result, 1), memory.data(),
               memory.size(), context.get()};
    Outcome o;
    o.outcome = fn(name)(c);
    if (o.outcome == HostOutcome::done) o.err = static_cast<std::uint16_t>(result);
    o.exit_code = c.exit_code;
    o.wake_ns = c.wake_ns;
    o.wait_input = c.wait_input;
    o.trap = c.trap;
    return o;
  }
  // A call that must complete: its errno.
  std::uint16_t call(std::string_view name, std::vector<Cell> args) {
    Outcome o = run(name, std::move(args));
    EXPECT_EQ(o.outcome, HostOutcome::done) << name << " did not complete";
    return o.err;
  }

  // Guest memory.
  std::uint32_t put(std::uint32_t at, std::string_view s) {
    std::memcpy(memory.data() + at, s.data(), s.size());
    return static_cast<std::uint32_t>(s.size());
  }
  void put32(std::uint32_t at, std::uint32_t v) { std::memcpy(memory.data() + at, &v, 4); }
  void put64(std::uint32_t at, std::uint64_t v) { std::memcpy(memory.data() + at, &v, 8); }
  std::uint32_t u32(std::uint32_t at) {
    std::uint32_t v;
    std::memcpy(&v, memory.data() + at, 4);
    return v;
  }
  std::uint64_t u64(std::uint32_t at) {
    std::uint64_t v;
    std::memcpy(&v, memory.data() + at, 8);
    return v;
  }
  std::string str(std::uint32_t at, std::uint32_t n) { return {reinterpret_cast<char*>(memory.data() + at), n}; }

  // Conveniences over the calls (paths at 1000, iovecs at 2000, data at 3000, results at R).
  std::uint16_t open(std::string_view path, std::uint32_t oflags = 0, std::uint64_t rights = RIGHTS_ALL,
                     std::uint32_t fdflags = 0, std::uint32_t dirfd = 3) {
    std::uint32_t n = put(1000, path);
    return call("path_open", {dirfd, 0, 1000, n, oflags, rights, RIGHTS_ALL, fdflags, R});
  }
  std::uint32_t open_fd(std::string_view path, std::uint32_t oflags = 0, std::uint64_t rights = RIGHTS_ALL) {
    EXPECT_EQ(open(path, oflags, rights), ERRNO_SUCCESS) << path;
    return u32(R);
  }
  std::uint16_t write(std::uint32_t fd, std::string_view data) {
    put32(2000, 3000);
    put32(2004, put(3000, data));
    return call("fd_write", {fd, 2000, 1, R});
  }
  std::string read(std::uint32_t fd, std::uint32_t n) {
    put32(2000, 3000);
    put32(2004, n);
    EXPECT_EQ(call("fd_read", {fd, 2000, 1, R}), ERRNO_SUCCESS);
    return str(3000, u32(R));
  }
  std::uint16_t path_call(std::string_view name, std::string_view path, std::uint32_t dirfd = 3) {
    std::uint32_t n = put(1000, path);
    return call(name, {dirfd, 1000, n});
  }
  std::string host_file(const std::string& name) {
    std::ifstream in(dir / name, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
  }
  void make_host_file(const std::string& name, const std::string& text) { std::ofstream(dir / name, std::ios::binary) << text; }

  struct Free {
    void operator()(std::byte* p) const { std::free(p); }
  };
  std::unique_ptr<std::byte, Free> arena_;
  vm::Heap heap_;
 public:
  FakeClock clock;
  TestConsole console;
  std::unique_ptr<vm::Vm> vm_;
  std::unique_ptr<Engine> engine_;
  Ref store = vm::raw_null, call_ref = vm::raw_null;
  fs::path dir;
  std::unique_ptr<host::Directory> files;
  std::unique_ptr<WasiContext> context;
  HostModule module;
  std::vector<std::uint8_t> memory;
};

TEST_F(WasiTest, ModuleOffersAllOfPreview1) {
  EXPECT_EQ(module.name, "wasi_snapshot_preview1");
  EXPECT_EQ(module.functions.size(), 46u);
  for (const HostFunction& f : module.functions) {
    if (f.name == "proc_exit") {
      EXPECT_TRUE(f.type.results.empty());
    } else {
      ASSERT_EQ(f.type.results.size(), 1u) << f.name;
      EXPECT_EQ(f.type.results[0], ValueType::i32);
    }
  }
  for (const HostFunction& f : module.functions) {
    if (f.name == "clock_time_get") {
      EXPECT_EQ(f.type.params, (std::vector{ValueType::i32, ValueType::i64, ValueType::i32}));
    }
  }
  for (auto name : {"sock_accept", "sock_recv", "sock_send", "sock_shutdown", "path_link", "path_symlink", "path_readlink",
                    "proc_raise", "fd_allocate", "fd_filestat_set_times", "path_filestat_set_times"})
    EXPECT_EQ(call(name, std::vector<Cell>(9, 0)), ERRNO_NOSYS) << name;
}

TEST_F(WasiTest, ArgumentsAndEnvironment) {
  // None set: empty.
  EXPECT_EQ(call("args_sizes_get", {R, R + 4}), ERRNO_SUCCESS);
  EXPECT_EQ(u32(R), 0u);
  EXPECT_EQ(u32(R + 4), 0u);
  std::vector<std::string> args = {"prog", "a b", "\xc3\xbc"}, env = {"A=1", "PATH=/bin"};
  ASSERT_TRUE(set_wasi_args(*engine_, store, args, env).ok());
  EXPECT_EQ(call("args_sizes_get", {R, R + 4}), ERRNO_SUCCESS);
  EXPECT_EQ(u32(R), 3u);
  EXPECT_EQ(u32(R + 4), 5u + 4u + 3u);
  EXPECT_EQ(call("args_get", {100, 200}), ERRNO_SUCCESS);
  EXPECT_EQ(u32(100), 200u);
  EXPECT_EQ(u32(104), 205u);
  EXPECT_EQ(u32(108), 209u);
  EXPECT_EQ(str(200, 12), std::string("prog\0a b\0\xc3\xbc\0", 12));
  EXPECT_EQ(call("environ_sizes_get", {R, R + 4}), ERRNO_SUCCESS);
  EXPECT_EQ(u32(R), 2u);
  EXPECT_EQ(u32(R + 4), 14u);
  EXPECT_EQ(call("environ_get", {100, 200}), ERRNO_SUCCESS);
  EXPECT_EQ(str(u32(104), 9), "PATH=/bin");
  // Hostile pointers: nothing written.
  std::uint32_t end = static_cast<std::uint32_t>(memory.size());
  EXPECT_EQ(call("args_get", {end - 8, 200}), ERRNO_FAULT);
  EXPECT_EQ(call("args_get", {100, end - 11}), ERRNO_FAULT);
  EXPECT_EQ(call("args_get", {0xffffffffu, 0xffffffffu}), ERRNO_FAULT);
  EXPECT_EQ(call("environ_get", {end, 0}), ERRNO_FAULT);
  EXPECT_EQ(call("args_sizes_get", {end - 3, R}), ERRNO_FAULT);
  EXPECT_EQ(call("environ_sizes_get", {R, 0xfffffffeu}), ERRNO_FAULT);
  // Bad strings are refused with a reason and leave the old ones.
  auto nul = set_wasi_args(*engine_, store, std::vector<std::string>{std::string("a\0b", 3)}, {});
  ASSERT_FALSE(nul.ok());
  EXPECT_NE(nul.error().message.find("NUL"), std::string::npos);
  auto huge = set_wasi_args(*engine_, store, std::vector<std::string>{std::string(2 << 20, 'x')}, {});
  EXPECT_FALSE(huge.ok());
  EXPECT_EQ(call("args_sizes_get", {R, R + 4}), ERRNO_SUCCESS);
  EXPECT_EQ(u32(R), 3u);
}

TEST_F(WasiTest, ClocksAndTheMonotonicClockAcrossRestarts) {
  EXPECT_EQ(call("clock_time_get", {CLOCKID_REALTIME, 0, R}), ERRNO_SUCCESS);
  EXPECT_EQ(u64(R), clock.wall);
  EXPECT_EQ(call("clock_res_get", {CLOCKID_MONOTONIC, R}), ERRNO_SUCCESS);
  EXPECT_EQ(u64(R), 1u);
  EXPECT_EQ(call("clock_time_get", {CLOCKID_MONOTONIC, 0, R}), ERRNO_SUCCESS);
  std::uint64_t first = u64(R);
  clock.mono += 500;
  EXPECT_EQ(call("clock_time_get", {CLOCKID_PROCESS_CPUTIME, 0, R}), ERRNO_SUCCESS);
  EXPECT_EQ(u64(R), first + 500);
  EXPECT_EQ(call("clock_time_get", {9, 0, R}), ERRNO_INVAL);
  EXPECT_EQ(call("clock_res_get", {4, R}), ERRNO_INVAL);
  EXPECT_EQ(call("clock_time_get", {CLOCKID_MONOTONIC, 0, 65535}), ERRNO_FAULT);
  EXPECT_EQ(call("clock_res_get", {CLOCKID_MONOTONIC, 65530}), ERRNO_FAULT);

  // A new process whose host monotonic clock starts again near 0, 3 s of wall time later.
  EXPECT_EQ(call("clock_time_get", {CLOCKID_MONOTONIC, 0, R}), ERRNO_SUCCESS);
  std::uint64_t before = u64(R);
  restart();
  clock.mono = 10;
  clock.wall += 3'000'000'000ull;
  EXPECT_EQ(call("clock_time_get", {CLOCKID_MONOTONIC, 0, R}), ERRNO_SUCCESS);
  EXPECT_GE(u64(R), before + 3'000'000'000ull);
  EXPECT_LT(u64(R), before + 3'100'000'000ull);
  // And one whose wall clock went back: still no step back.
  before = u64(R);
  restart();
  clock.mono = 5;
  clock.wall -= 100'000'000'000ull;
  EXPECT_EQ(call("clock_time_get", {CLOCKID_MONOTONIC, 0, R}), ERRNO_SUCCESS);
  EXPECT_GE(u64(R), before);
}

TEST_F(WasiTest, RandomGet) {
  EXPECT_EQ(call("random_get", {100, 64}), ERRNO_SUCCESS);
  EXPECT_EQ(call("random_get", {200, 64}), ERRNO_SUCCESS);
  EXPECT_NE(str(100, 64), str(200, 64));
  EXPECT_NE(str(100, 64), std::string(64, '\0'));
  EXPECT_EQ(call("random_get", {300, 0}), ERRNO_SUCCESS);
  EXPECT_EQ(call("random_get", {300, 3}), ERRNO_SUCCESS);
  EXPECT_EQ(call("random_get", {65530, 7}), ERRNO_FAULT);
  EXPECT_EQ(call("random_get", {1, 0xffffffffu}), ERRNO_FAULT);
}

TEST_F(WasiTest, StdoutAndStderrGoToTheConsole) {
  put32(2000, 3000);
  put32(2004, put(3000, "hello, "));
  put32(2008, 3100);
  put32(2012, put(3100, "world\n"));
  EXPECT_EQ(call("fd_write", {1, 2000, 2, R}), ERRNO_SUCCESS);
  EXPECT_EQ(u32(R), 13u);
  EXPECT_EQ(write(2, "oops\n"), ERRNO_SUCCESS);
  EXPECT_EQ(console.out, "hello, world\noops\n");
  // Errors, none of which prints anything.
  EXPECT_EQ(write(0, "x"), ERRNO_BADF);
  EXPECT_EQ(write(7, "x"), ERRNO_BADF);
  EXPECT_EQ(write(0xffffffffu, "x"), ERRNO_BADF);
  EXPECT_EQ(call("fd_pwrite", {1, 2000, 1, 0, R}), ERRNO_SPIPE);
  EXPECT_EQ(call("fd_write", {1, 2000, 1, 65534}), ERRNO_FAULT);        // nwritten outside
  EXPECT_EQ(call("fd_write", {1, 65530, 1, R}), ERRNO_FAULT);           // the iovec array outside
  EXPECT_EQ(call("fd_write", {1, 2000, 0xffffffffu, R}), ERRNO_FAULT);  // a count beyond memory
  put32(2100, 65000);
  put32(2104, 1000);  // the buffer runs past the end
  EXPECT_EQ(call("fd_write", {1, 2100, 1, R}), ERRNO_FAULT);
  put32(2100, 0xfffffff0u);
  put32(2104, 0x20);  // wraps in 32 bits
  EXPECT_EQ(call("fd_write", {1, 2100, 1, R}), ERRNO_FAULT);
  EXPECT_EQ(console.out, "hello, world\noops\n");
  // No memory at all.
  std::vector<std::uint8_t> none;
  memory.swap(none);
  EXPECT_EQ(call("fd_write", {1, 0, 0, 0}), ERRNO_FAULT);
  memory.swap(none);
  // Closed stdout.
  EXPECT_EQ(call("fd_close", {1}), ERRNO_SUCCESS);
  EXPECT_EQ(write(1, "x"), ERRNO_BADF);
}

TEST_F(WasiTest, StdinBlocksUntilInputWithoutChangingAnything) {
  put32(2000, 3000);
  put32(2004, 16);
  put32(R, 0xdeadbeef);
  Outcome o = run("fd_read", {0, 2000, 1, R});
  EXPECT_EQ(o.outcome, HostOutcome::block);
  EXPECT_TRUE(o.wait_input);
  EXPECT_EQ(u32(R), 0xdeadbeefu);
  for (char c : std::string("ab\ncd")) console.input.push_back(c);
  EXPECT_EQ(call("fd_read", {0, 2000, 1, R}), ERRNO_SUCCESS);
  EXPECT_EQ(str(3000, u32(R)), "ab\n");  // a line at a time
  EXPECT_EQ(call("fd_read", {0, 2000, 1, R}), ERRNO_SUCCESS);
  EXPECT_EQ(str(3000, u32(R)), "cd");
  console.eof = true;
  EXPECT_EQ(call("fd_read", {0, 2000, 1, R}), ERRNO_SUCCESS);
  EXPECT_EQ(u32(R), 0u);
  // Never consumed by a call that fails.
  console.input.push_back('z');
  EXPECT_EQ(call("fd_read", {0, 2000, 1, 65534}), ERRNO_FAULT);
  EXPECT_EQ(call("fd_pread", {0, 2000, 1, 0, R}), ERRNO_SPIPE);
  EXPECT_EQ(read(0, 1), "z");
  EXPECT_EQ(call("fd_read", {1, 2000, 1, R}), ERRNO_BADF);
  EXPECT_EQ(call("fd_read", {3, 2000, 1, R}), ERRNO_ISDIR);
}

TEST_F(WasiTest, PreopenedRoot) {
  EXPECT_EQ(call("fd_prestat_get", {3, R}), ERRNO_SUCCESS);
  EXPECT_EQ(memory[R], 0);
  EXPECT_EQ(u32(R + 4), 1u);
  EXPECT_EQ(call("fd_prestat_dir_name", {3, 100, 1}), ERRNO_SUCCESS);
  EXPECT_EQ(memory[100], '/');
  EXPECT_EQ(call("fd_prestat_dir_name", {3, 100, 0}), ERRNO_NAMETOOLONG);
  EXPECT_EQ(call("fd_prestat_dir_name", {3, 65536, 1}), ERRNO_FAULT);
  EXPECT_EQ(call("fd_prestat_get", {3, 65532}), ERRNO_FAULT);
  for (std::uint32_t fd : {0u, 1u, 2u, 4u, 1000u, 0xffffffffu}) EXPECT_EQ(call("fd_prestat_get", {fd, R}), ERRNO_BADF);
  // A directory opened by name is no preopen.
  std::uint32_t fd = open_fd(".", OFLAGS_DIRECTORY);
  EXPECT_EQ(call("fd_prestat_get", {fd, R}), ERRNO_BADF);
  EXPECT_EQ(call("fd_fdstat_get", {3, R}), ERRNO_SUCCESS);
  EXPECT_EQ(memory[R], FILETYPE_DIRECTORY);
  // Without a sandbox there is no preopen, and no name reaches a file.
  restart(nullptr, false);
  EXPECT_EQ(call("fd_prestat_get", {3, R}), ERRNO_BADF);
  EXPECT_EQ(open("a.txt", OFLAGS_CREAT), ERRNO_NOTCAPABLE);
}

TEST_F(WasiTest, FilesReadWriteSeekTellStat) {
  std::uint32_t fd = open_fd("notes.txt", OFLAGS_CREAT);
  EXPECT_GE(fd, 4u);
  EXPECT_EQ(write(fd, "hello world"), ERRNO_SUCCESS);
  EXPECT_EQ(u32(R), 11u);
  EXPECT_EQ(host_file("notes.txt"), "hello world");  // no outbox: immediate
  EXPECT_EQ(call("fd_tell", {fd, R}), ERRNO_SUCCESS);
  EXPECT_EQ(u64(R), 11u);
  EXPECT_EQ(call("fd_seek", {fd, 6, WHENCE_SET, R}), ERRNO_SUCCESS);
  EXPECT_EQ(u64(R), 6u);
  EXPECT_EQ(read(fd, 100), "world");
  EXPECT_EQ(read(fd, 100), "");
  EXPECT_EQ(call("fd_seek", {fd, static_cast<Cell>(-5), WHENCE_END, R}), ERRNO_SUCCESS);
  EXPECT_EQ(u64(R), 6u);
  EXPECT_EQ(call("fd_seek", {fd, static_cast<Cell>(-2), WHENCE_CUR, R}), ERRNO_SUCCESS);
  EXPECT_EQ(u64(R), 4u);
  EXPECT_EQ(read(fd, 3), "o w");
  EXPECT_EQ(call("fd_seek", {fd, static_cast<Cell>(-100), WHENCE_CUR, R}), ERRNO_INVAL);
  EXPECT_EQ(call("fd_seek", {fd, 0, 7, R}), ERRNO_INVAL);
  EXPECT_EQ(call("fd_seek", {fd, 0x7fffffffffffffffull, WHENCE_END, R}), ERRNO_OVERFLOW);
  EXPECT_EQ(call("fd_seek", {fd, 0, WHENCE_SET, 65535}), ERRNO_FAULT);
  EXPECT_EQ(call("fd_seek", {1, 0, WHENCE_SET, R}), ERRNO_SPIPE);
  EXPECT_EQ(call("fd_tell", {1, R}), ERRNO_SPIPE);
  EXPECT_EQ(call("fd_tell", {3, R}), ERRNO_BADF);
  EXPECT_EQ(call("fd_tell", {99, R}), ERRNO_BADF);
  // pread and pwrite leave the offset alone.
  EXPECT_EQ(call("fd_tell", {fd, R}), ERRNO_SUCCESS);
  std::uint64_t at = u64(R);
  put32(2000, 3000);
  put32(2004, put(3000, "HELLO"));
  EXPECT_EQ(call("fd_pwrite", {fd, 2000, 1, 0, R}), ERRNO_SUCCESS);
  put32(2004, 4);
  EXPECT_EQ(call("fd_pread", {fd, 2000, 1, 7, R}), ERRNO_SUCCESS);
  EXPECT_EQ(str(3000, u32(R)), "orld");
  EXPECT_EQ(call("fd_tell", {fd, R}), ERRNO_SUCCESS);
  EXPECT_EQ(u64(R), at);
  EXPECT_EQ(host_file("notes.txt"), "HELLO world");
  // Stat.
  EXPECT_EQ(call("fd_filestat_get", {fd, 4000}), ERRNO_SUCCESS);
  EXPECT_EQ(memory[4016], FILETYPE_REGULAR_FILE);
  EXPECT_EQ(u64(4032), 11u);
  std::uint64_t ino = u64(4008);
  EXPECT_NE(ino, 0u);
  std::uint32_t n = put(1000, "notes.txt");
  EXPECT_EQ(call("path_filestat_get", {3, 0, 1000, n, 4100}), ERRNO_SUCCESS);
  EXPECT_EQ(u64(4108), ino);
  EXPECT_EQ(u64(4132), 11u);
  EXPECT_EQ(call("fd_filestat_get", {fd, 65500}), ERRNO_FAULT);
  EXPECT_EQ(call("fd_filestat_get", {1, 4000}), ERRNO_SUCCESS);
  EXPECT_EQ(memory[4016], FILETYPE_CHARACTER_DEVICE);
  EXPECT_EQ(call("fd_fdstat_get", {fd, 4000}), ERRNO_SUCCESS);
  EXPECT_EQ(memory[4000], FILETYPE_REGULAR_FILE);
  EXPECT_TRUE(u64(4008) & RIGHT_FD_WRITE);
  EXPECT_EQ(call("fd_fdstat_get", {fd, 65520}), ERRNO_FAULT);
  EXPECT_EQ(call("fd_fdstat_get", {42, 4000}), ERRNO_BADF);
  // Close.
  EXPECT_EQ(call("fd_sync", {fd}), ERRNO_SUCCESS);
  EXPECT_EQ(call("fd_close", {fd}), ERRNO_SUCCESS);
  EXPECT_EQ(call("fd_close", {fd}), ERRNO_BADF);
  EXPECT_EQ(write(fd, "x"), ERRNO_BADF);
  // The freed fd is used again.
  EXPECT_EQ(open_fd("notes.txt"), fd);
}

TEST_F(WasiTest, RightsFlagsAppendTruncate) {
  make_host_file("log.txt", "0123456789");
  std::uint32_t ro = open_fd("log.txt", 0, RIGHT_FD_READ | RIGHT_FD_SEEK | RIGHT_FD_TELL);
  EXPECT_EQ(write(ro, "x"), ERRNO_NOTCAPABLE);
  EXPECT_EQ(read(ro, 4), "0123");
  EXPECT_EQ(call("fd_filestat_set_size", {ro, 0}), ERRNO_NOTCAPABLE);
  std::uint32_t wo = open_fd("log.txt", 0, RIGHT_FD_WRITE | RIGHT_FD_FILESTAT_SET_SIZE);
  put32(2000, 3000);
  put32(2004, 4);
  EXPECT_EQ(call("fd_read", {wo, 2000, 1, R}), ERRNO_NOTCAPABLE);
  EXPECT_EQ(call("fd_seek", {wo, 1, WHENCE_SET, R}), ERRNO_NOTCAPABLE);
  // Rights can be dropped, never added.
  EXPECT_EQ(call("fd_fdstat_set_rights", {ro, RIGHT_FD_READ, 0}), ERRNO_SUCCESS);
  EXPECT_EQ(call("fd_fdstat_set_rights", {ro, RIGHT_FD_READ | RIGHT_FD_WRITE, 0}), ERRNO_NOTCAPABLE);
  EXPECT_EQ(call("fd_fdstat_set_rights", {99, 0, 0}), ERRNO_BADF);
  // Append.
  EXPECT_EQ(call("fd_fdstat_set_flags", {wo, FDFLAGS_APPEND}), ERRNO_SUCCESS);
  EXPECT_EQ(write(wo, "AB"), ERRNO_SUCCESS);
  EXPECT_EQ(host_file("log.txt"), "0123456789AB");
  EXPECT_EQ(call("fd_fdstat_get", {wo, 4000}), ERRNO_SUCCESS);
  EXPECT_EQ(u32(4002) & 0xffff, FDFLAGS_APPEND);
  EXPECT_EQ(call("fd_fdstat_set_flags", {wo, 0x100}), ERRNO_INVAL);
  EXPECT_EQ(call("fd_fdstat_set_flags", {77, 0}), ERRNO_BADF);
  std::uint32_t app = open_fd("log.txt", 0, RIGHTS_ALL);
  EXPECT_EQ(call("fd_fdstat_set_flags", {app, FDFLAGS_APPEND}), ERRNO_SUCCESS);
  // Set size: shrink and grow.
  EXPECT_EQ(call("fd_filestat_set_size", {wo, 4}), ERRNO_SUCCESS);
  EXPECT_EQ(host_file("log.txt"), "0123");
  EXPECT_EQ(call("fd_filestat_set_size", {wo, 6}), ERRNO_SUCCESS);
  EXPECT_EQ(host_file("log.txt"), std::string("0123\0\0", 6));
  EXPECT_EQ(call("fd_filestat_set_size", {wo, 1ull << 63}), ERRNO_INVAL);
  EXPECT_EQ(call("fd_filestat_set_size", {3, 0}), ERRNO_INVAL);
  // O_TRUNC.
  EXPECT_EQ(open_fd("log.txt", OFLAGS_TRUNC), app + 1);
  EXPECT_EQ(host_file("log.txt"), "");
  // Advice is accepted and checked.
  EXPECT_EQ(call("fd_advise", {ro, 0, 10, 2}), ERRNO_SUCCESS);
  EXPECT_EQ(call("fd_advise", {ro, 0, 10, 9}), ERRNO_INVAL);
  EXPECT_EQ(call("fd_advise", {1, 0, 10, 0}), ERRNO_SPIPE);
  EXPECT_EQ(call("fd_advise", {50, 0, 10, 0}), ERRNO_BADF);
  // Renumber.
  EXPECT_EQ(call("fd_renumber", {ro, wo}), ERRNO_SUCCESS);
  EXPECT_EQ(call("fd_seek", {wo, 0, WHENCE_SET, R}), ERRNO_NOTCAPABLE);  // ro's rights were cut to FD_READ
  EXPECT_EQ(call("fd_renumber", {ro, wo}), ERRNO_BADF);
  EXPECT_EQ(call("fd_renumber", {wo, wo}), ERRNO_SUCCESS);
}

TEST_F(WasiTest, PathOpenErrorsAndTheSandbox) {
  fs::create_directories(dir / "sub");
  make_host_file("sub/f.txt", "F");
  EXPECT_EQ(open("missing.txt"), ERRNO_NOENT);
  EXPECT_EQ(open("nodir/x.txt", OFLAGS_CREAT), ERRNO_NOENT);
  EXPECT_EQ(open("sub/f.txt", OFLAGS_CREAT | OFLAGS_EXCL), ERRNO_EXIST);
  EXPECT_EQ(open("sub", OFLAGS_CREAT | OFLAGS_EXCL), ERRNO_EXIST);
  EXPECT_EQ(open("sub/f.txt", OFLAGS_DIRECTORY), ERRNO_NOTDIR);
  EXPECT_EQ(open("sub", 0, RIGHT_FD_WRITE), ERRNO_ISDIR);
  EXPECT_EQ(open("sub", OFLAGS_DIRECTORY | OFLAGS_CREAT), ERRNO_INVAL);
  EXPECT_EQ(open("sub/f.txt", 0, RIGHTS_ALL, 0x40), ERRNO_INVAL);
  EXPECT_EQ(open("sub/f.txt", 0x100), ERRNO_INVAL);
  // Names are resolved lexically, and never above the directory fd.
  std::uint32_t fd = open_fd("sub/./x/../f.txt");
  EXPECT_EQ(read(fd, 10), "F");
  // Above the preopened root ".." is the root, as "/.." is "/".
  EXPECT_EQ(open("../etc/passwd"), ERRNO_NOENT);
  EXPECT_EQ(open("../../sub/f.txt"), ERRNO_SUCCESS);
  EXPECT_EQ(open("sub/../../x", OFLAGS_CREAT), ERRNO_SUCCESS);
  EXPECT_TRUE(fs::exists(dir / "x"));
  fs::remove(dir / "x");
  EXPECT_EQ(open("/etc/passwd"), ERRNO_NOTCAPABLE);
  EXPECT_EQ(open(std::string("a\0b", 3), OFLAGS_CREAT), ERRNO_INVAL);
  EXPECT_EQ(open(std::string(5000, 'a'), OFLAGS_CREAT), ERRNO_NAMETOOLONG);
  EXPECT_EQ(open(std::string(1100, 'a'), OFLAGS_CREAT), ERRNO_NAMETOOLONG);
  std::uint32_t subfd = open_fd("sub", OFLAGS_DIRECTORY);
  EXPECT_EQ(open("f.txt", 0, RIGHTS_ALL, 0, subfd), ERRNO_SUCCESS);
  EXPECT_EQ(read(u32(R), 10), "F");
  EXPECT_EQ(open("../sub/f.txt", 0, RIGHTS_ALL, 0, subfd), ERRNO_NOTCAPABLE);  // above its own directory
  // What the host sandbox refuses: symlinks leading out, device nodes.
  fs::create_symlink("/etc/passwd", dir / "out");
  fs::create_symlink("/etc", dir / "outdir");
  fs::create_symlink("sub/f.txt", dir / "in");
  EXPECT_EQ(open("out"), ERRNO_ACCES);
  EXPECT_EQ(open("outdir/passwd"), ERRNO_ACCES);
  EXPECT_EQ(open("outdir", OFLAGS_DIRECTORY), ERRNO_ACCES);
  EXPECT_EQ(read(open_fd("in"), 10), "F");  // a link inside is followed
  ASSERT_EQ(::mkfifo((dir / "fifo").c_str(), 0600), 0);
  EXPECT_EQ(open("fifo"), ERRNO_ACCES);
  // Bad directory fds and pointers.
  EXPECT_EQ(open("x", OFLAGS_CREAT, RIGHTS_ALL, 0, 99), ERRNO_BADF);
  EXPECT_EQ(open("x", OFLAGS_CREAT, RIGHTS_ALL, 0, fd), ERRNO_NOTDIR);
  EXPECT_EQ(open("x", OFLAGS_CREAT, RIGHTS_ALL, 0, 1), ERRNO_NOTDIR);
  EXPECT_EQ(call("path_open", {3, 0, 65530, 10, 0, RIGHTS_ALL, RIGHTS_ALL, 0, R}), ERRNO_FAULT);
  EXPECT_EQ(call("path_open", {3, 0, 1000, 1, 0, RIGHTS_ALL, RIGHTS_ALL, 0, 65534}), ERRNO_FAULT);
  EXPECT_FALSE(fs::exists(dir / "x"));
  // Too many open files.
  std::uint32_t opened = 0;
  while (open("sub/f.txt") == ERRNO_SUCCESS) ++opened;
  EXPECT_EQ(open("sub/f.txt"), ERRNO_MFILE);
  EXPECT_GT(opened, 1000u);
}

TEST_F(WasiTest, DirectoriesAndNames) {
  EXPECT_EQ(path_call("path_create_directory", "d"), ERRNO_SUCCESS);
  EXPECT_TRUE(fs::is_directory(dir / "d"));
  EXPECT_EQ(path_call("path_create_directory", "d"), ERRNO_EXIST);
  EXPECT_EQ(path_call("path_create_directory", "."), ERRNO_EXIST);
  EXPECT_EQ(path_call("path_create_directory", "x/y"), ERRNO_NOENT);
  EXPECT_EQ(path_call("path_create_directory", "../d"), ERRNO_EXIST);  // "/.." is "/"
  EXPECT_EQ(path_call("path_create_directory", "/e"), ERRNO_NOTCAPABLE);
  EXPECT_EQ(call("path_create_directory", {3, 65535, 2}), ERRNO_FAULT);
  make_host_file("d/a", "1");
  make_host_file("d/b", "22");
  EXPECT_EQ(path_call("path_create_directory", "d/c"), ERRNO_SUCCESS);
  // Stat by name.
  std::uint32_t n = put(1000, "d");
  EXPECT_EQ(call("path_filestat_get", {3, 1, 1000, n, 4000}), ERRNO_SUCCESS);
  EXPECT_EQ(memory[4016], FILETYPE_DIRECTORY);
  n = put(1000, "d/b");
  EXPECT_EQ(call("path_filestat_get", {3, 1, 1000, n, 4000}), ERRNO_SUCCESS);
  EXPECT_EQ(u64(4032), 2u);
  n = put(1000, "d/zz");
  EXPECT_EQ(call("path_filestat_get", {3, 1, 1000, n, 4000}), ERRNO_NOENT);
  EXPECT_EQ(call("path_filestat_get", {3, 1, 1000, n, 65530}), ERRNO_FAULT);
  n = put(1000, "");
  EXPECT_EQ(call("path_filestat_get", {3, 1, 1000, n, 4000}), ERRNO_SUCCESS);
  EXPECT_EQ(memory[4016], FILETYPE_DIRECTORY);
  // Readdir: name order, cookies, a buffer too small.
  std::uint32_t d = open_fd("d", OFLAGS_DIRECTORY);
  EXPECT_EQ(call("fd_readdir", {d, 5000, 1000, 0, R}), ERRNO_SUCCESS);
  ASSERT_EQ(u32(R), 3 * DIRENT_SIZE + 3);
  std::vector<std::string> names;
  for (std::uint32_t at = 5000; at < 5000 + u32(R);) {
    std::uint32_t len = u32(at + 16);
    names.push_back(str(at + DIRENT_SIZE, len) + (memory[at + 20] == FILETYPE_DIRECTORY ? "/" : ""));
    EXPECT_EQ(u64(at), names.size());  // d_next
    at += DIRENT_SIZE + len;
  }
  EXPECT_EQ(names, (std::vector<std::string>{"a", "b", "c/"}));
  EXPECT_EQ(call("fd_readdir", {d, 5000, 1000, 2, R}), ERRNO_SUCCESS);
  EXPECT_EQ(u32(R), DIRENT_SIZE + 1);
  EXPECT_EQ(str(5000 + DIRENT_SIZE, 1), "c");
  EXPECT_EQ(call("fd_readdir", {d, 5000, 30, 0, R}), ERRNO_SUCCESS);
  EXPECT_EQ(u32(R), 30u);  // full: the guest asks again with more room
  EXPECT_EQ(call("fd_readdir", {d, 5000, 1000, 99, R}), ERRNO_SUCCESS);
  EXPECT_EQ(u32(R), 0u);
  EXPECT_EQ(call("fd_readdir", {3, 5000, 1000, 0, R}), ERRNO_SUCCESS);
  EXPECT_EQ(u32(R), DIRENT_SIZE + 1);
  EXPECT_EQ(call("fd_readdir", {1, 5000, 1000, 0, R}), ERRNO_NOTDIR);
  EXPECT_EQ(call("fd_readdir", {66, 5000, 1000, 0, R}), ERRNO_BADF);
  EXPECT_EQ(call("fd_readdir", {d, 65000, 1000, 0, R}), ERRNO_FAULT);
  EXPECT_EQ(call("fd_readdir", {d, 5000, 1000, 0, 65533}), ERRNO_FAULT);
  // Unlink and remove.
  EXPECT_EQ(path_call("path_unlink_file", "d/c"), ERRNO_ISDIR);
  EXPECT_EQ(path_call("path_unlink_file", "d/zz"), ERRNO_NOENT);
  EXPECT_EQ(path_call("path_remove_directory", "d"), ERRNO_NOTEMPTY);
  EXPECT_EQ(path_call("path_remove_directory", "d/a"), ERRNO_NOTDIR);
  EXPECT_EQ(path_call("path_remove_directory", "."), ERRNO_BUSY);
  EXPECT_EQ(path_call("path_remove_directory", "d/c"), ERRNO_SUCCESS);
  EXPECT_EQ(path_call("path_unlink_file", "d/a"), ERRNO_SUCCESS);
  EXPECT_FALSE(fs::exists(dir / "d/a"));
  EXPECT_EQ(path_call("path_unlink_file", "/d/b"), ERRNO_NOTCAPABLE);
  EXPECT_EQ(call("path_unlink_file", {3, 65530, 10}), ERRNO_FAULT);
  EXPECT_EQ(call("path_remove_directory", {3, 0xffffffffu, 2}), ERRNO_FAULT);
  EXPECT_EQ(path_call("path_unlink_file", "d/b", 1), ERRNO_NOTDIR);
}

TEST_F(WasiTest, RenameMovesOpenFdsAndBuriesReplacedOnes) {
  make_host_file("a.txt", "AAAA");
  make_host_file("b.txt", "BBBB");
  std::uint32_t fa = open_fd("a.txt");
  std::uint32_t fb = open_fd("b.txt");
  EXPECT_EQ(read(fa, 2), "AA");
  std::uint32_t n1 = put(1000, "a.txt"), n2 = put(1100, "b.txt");
  EXPECT_EQ(call("path_rename", {3, 1000, n1, 3, 1100, n2}), ERRNO_SUCCESS);
  EXPECT_EQ(host_file("b.txt"), "AAAA");
  // After a restart the fd of the renamed file opens its new name, at its offset.
  restart();
  EXPECT_EQ(read(fa, 10), "AA");
  // The fd of the replaced file would now find other data under its name: it is dead.
  put32(2000, 3000);
  put32(2004, 4);
  EXPECT_EQ(call("fd_read", {fb, 2000, 1, R}), ERRNO_IO);
  EXPECT_EQ(call("path_rename", {3, 1000, n1, 3, 1100, n2}), ERRNO_NOENT);
  EXPECT_EQ(call("path_rename", {3, 65530, 10, 3, 1100, n2}), ERRNO_FAULT);
  EXPECT_EQ(call("path_rename", {3, 1100, n2, 3, 65535, 5}), ERRNO_FAULT);
  std::uint32_t up = put(1200, "/x");
  EXPECT_EQ(call("path_rename", {3, 1100, n2, 3, 1200, up}), ERRNO_NOTCAPABLE);
  EXPECT_EQ(call("path_rename", {3, 1100, n2, 9, 1200, up}), ERRNO_BADF);
  // Directories: fds beneath follow too.
  fs::create_directories(dir / "d1");
  make_host_file("d1/x", "X1");
  std::uint32_t fx = open_fd("d1/x");
  n1 = put(1000, "d1");
  n2 = put(1100, "d2");
  EXPECT_EQ(call("path_rename", {3, 1000, n1, 3, 1100, n2}), ERRNO_SUCCESS);
  restart();
  EXPECT_EQ(read(fx, 10), "X1");
}

TEST_F(WasiTest, FilesAreOpenedAgainAfterARestartAtTheirOffset) {
  std::uint32_t fd = open_fd("data.bin", OFLAGS_CREAT);
  EXPECT_EQ(write(fd, "abcdefgh"), ERRNO_SUCCESS);
  EXPECT_EQ(call("fd_seek", {fd, 3, WHENCE_SET, R}), ERRNO_SUCCESS);
  std::uint32_t gone = open_fd("gone.bin", OFLAGS_CREAT);
  restart();
  EXPECT_EQ(read(fd, 3), "def");
  EXPECT_EQ(write(fd, "XY"), ERRNO_SUCCESS);
  EXPECT_EQ(host_file("data.bin"), "abcdefXY");
  // A file deleted while the world was down: the fd answers ERRNO_IO, with a diagnostic naming the
  // restart, and stays dead even if a file of that name comes back (never other data).
  fs::remove(dir / "gone.bin");
  restart();
  EXPECT_EQ(write(gone, "x"), ERRNO_IO);
  EXPECT_NE(console.diag.find("gone.bin"), std::string::npos);
  EXPECT_NE(console.diag.find("restart"), std::string::npos);
  make_host_file("gone.bin", "new");
  restart();
  EXPECT_EQ(write(gone, "x"), ERRNO_IO);
  EXPECT_EQ(call("fd_filestat_get", {gone, 4000}), ERRNO_IO);
  EXPECT_EQ(call("fd_seek", {gone, 0, WHENCE_END, R}), ERRNO_IO);
  EXPECT_EQ(call("fd_close", {gone}), ERRNO_SUCCESS);
  EXPECT_EQ(host_file("gone.bin"), "new");
  // Unlinking a file buries its open fds too.
  std::uint32_t again = open_fd("gone.bin");
  EXPECT_EQ(path_call("path_unlink_file", "gone.bin"), ERRNO_SUCCESS);
  EXPECT_EQ(write(again, "x"), ERRNO_IO);
}

TEST_F(WasiTest, CommittedWritesGoThroughTheOutbox) {
  connections::Outbox outbox(*vm_, files.get(), console, nullptr);
  outbox.attach();
  restart(&outbox);
  std::uint32_t fd = open_fd("c.txt", OFLAGS_CREAT);
  EXPECT_TRUE(fs::exists(dir / "c.txt"));  // made at once, like fio:
  EXPECT_EQ(write(fd, "committed"), ERRNO_SUCCESS);
  EXPECT_EQ(host_file("c.txt"), "");  // not before the snapshot has committed
  // Reads, sizes and seeks see the pending writes.
  EXPECT_EQ(call("fd_seek", {fd, 0, WHENCE_SET, R}), ERRNO_SUCCESS);
  EXPECT_EQ(read(fd, 100), "committed");
  EXPECT_EQ(call("fd_filestat_get", {fd, 4000}), ERRNO_SUCCESS);
  EXPECT_EQ(u64(4032), 9u);
  EXPECT_EQ(call("fd_seek", {fd, 0, WHENCE_END, R}), ERRNO_SUCCESS);
  EXPECT_EQ(u64(R), 9u);
  // Metadata changes wait for the release, having changed nothing.
  Outcome o = run("path_unlink_file", {3, 1000, put(1000, "c.txt")});
  EXPECT_EQ(o.outcome, HostOutcome::block);
  EXPECT_GT(o.wake_ns, static_cast<std::int64_t>(clock.wall));
  EXPECT_EQ(run("fd_sync", {fd}).outcome, HostOutcome::block);
  EXPECT_EQ(run("fd_filestat_set_size", {fd, 0}).outcome, HostOutcome::block);
  std::uint32_t n = put(1000, "c.txt");
  EXPECT_EQ(run("path_open", {3, 0, 1000, n, OFLAGS_TRUNC, RIGHTS_ALL, 0, 0, R}).outcome, HostOutcome::block);
  std::uint32_t m = put(1100, "d.txt");
  EXPECT_EQ(run("path_rename", {3, 1000, n, 3, 1100, m}).outcome, HostOutcome::block);
  EXPECT_TRUE(fs::exists(dir / "c.txt"));
  // The snapshot commits: the outbox releases, and they go through.
  outbox.release(outbox.capture());
  EXPECT_EQ(host_file("c.txt"), "committed");
  EXPECT_EQ(call("fd_sync", {fd}), ERRNO_SUCCESS);
  EXPECT_EQ(call("path_rename", {3, 1000, n, 3, 1100, m}), ERRNO_SUCCESS);
  EXPECT_EQ(host_file("d.txt"), "committed");
}

// A logger appends at the file's size (fio:'s commit_counter, WASI's fd_seek to the end). The size and
// the reads a world sees must never miss a batch that the snapshot policy's thread writes to the file
// and forgets at that very moment: the world would write over it. (Taking the host file's size before
// the pending end did, rarely: a gap of one snapshot's lines in output_commit_kill_test.)
TEST_F(WasiTest, SizesAndReadsNeverMissABatchBeingReleased) {
  connections::Outbox outbox(*vm_, files.get(), console, nullptr);
  outbox.attach();
  auto opened = files->open("log.txt", host::FileOpen::read_write_create);
  ASSERT_TRUE(opened.ok());
  std::unique_ptr<host::File> file = std::move(opened).value();
  std::atomic<std::uint64_t> upto{0};
  std::atomic<bool> done{false};
  std::thread policy([&] {  // releases whatever was captured last, as fast as it can
    std::uint64_t released = 0;
    while (!done.load()) {
      std::uint64_t u = upto.load();
      if (u == released) {
        std::this_thread::yield();
        continue;
      }
      outbox.release(u);
      released = u;
    }
  });
  const std::string line = "0123456789abcdef\n";
  std::uint64_t expected = 0;
  std::string last(line.size(), '\0');
  for (int i = 1; i <= 4000 && !HasFailure(); ++i) {
    auto size = outbox.visible_size("log.txt", *file);
    ASSERT_TRUE(size.ok());
    EXPECT_EQ(*size, expected) << "before append " << i;
    if (expected) {
      auto n = outbox.read_visible("log.txt", *file, expected - line.size(), last);
      ASSERT_TRUE(n.ok());
      EXPECT_EQ(*n, line.size()) << "before append " << i;
      EXPECT_EQ(last, line) << "before append " << i;
    }
    outbox.append_file("log.txt", expected, line);
    expected += line.size();
    if (i % 4 == 0) upto.store(outbox.capture());  // a snapshot has committed
  }
  done = true;
  policy.join();
}

TEST_F(WasiTest, SleepsBlockUntilTheirDeadlineEvenAcrossARestart) {
  // One relative clock subscription of 1 s, userdata 77.
  std::memset(memory.data() + 5000, 0, SUBSCRIPTION_SIZE);
  put64(5000, 77);
  memory[5008] = EVENTTYPE_CLOCK;
  put32(5016, CLOCKID_MONOTONIC);
  put64(5024, 1'000'000'000);
  auto wall0 = static_cast<std::int64_t>(clock.wall);
  Outcome o = run("poll_oneoff", {5000, 6000, 1, R});
  ASSERT_EQ(o.outcome, HostOutcome::block);
  EXPECT_EQ(o.wake_ns, wall0 + 1'000'000'000);
  // Woken early, and in a new process: the same deadline, not a new second.
  clock.wall += 400'000'000;
  restart();
  o = run("poll_oneoff", {5000, 6000, 1, R});
  ASSERT_EQ(o.outcome, HostOutcome::block);
  EXPECT_EQ(o.wake_ns, wall0 + 1'000'000'000);
  clock.wall += 600'000'000;
  EXPECT_EQ(call("poll_oneoff", {5000, 6000, 1, R}), ERRNO_SUCCESS);
  EXPECT_EQ(u32(R), 1u);
  EXPECT_EQ(u64(6000), 77u);
  EXPECT_EQ(u32(6008) & 0xffff, 0u);
  EXPECT_EQ(memory[6010], EVENTTYPE_CLOCK);
  // The same poll again (a loop that sleeps) is a new sleep.
  o = run("poll_oneoff", {5000, 6000, 1, R});
  ASSERT_EQ(o.outcome, HostOutcome::block);
  EXPECT_EQ(o.wake_ns, static_cast<std::int64_t>(clock.wall) + 1'000'000'000);
  // Absolute realtime in the past: at once. A zero timeout: at once.
  memory[5040] = SUBCLOCKFLAGS_ABSTIME;
  put32(5016, CLOCKID_REALTIME);
  put64(5024, clock.wall - 1);
  EXPECT_EQ(call("poll_oneoff", {5000, 6000, 1, R}), ERRNO_SUCCESS);
  EXPECT_EQ(u32(R), 1u);
  memory[5040] = 0;
  put64(5024, 0);
  EXPECT_EQ(call("poll_oneoff", {5000, 6000, 1, R}), ERRNO_SUCCESS);
  // Absolute monotonic: relative to the store's monotonic clock.
  EXPECT_EQ(call("clock_time_get", {CLOCKID_MONOTONIC, 0, 7000}), ERRNO_SUCCESS);
  memory[5040] = SUBCLOCKFLAGS_ABSTIME;
  put32(5016, CLOCKID_MONOTONIC);
  put64(5024, u64(7000) + 5'000'000);
  o = run("poll_oneoff", {5000, 6000, 1, R});
  ASSERT_EQ(o.outcome, HostOutcome::block);
  EXPECT_EQ(o.wake_ns, static_cast<std::int64_t>(clock.wall) + 5'000'000);
  clock.wall += 5'000'000;
  EXPECT_EQ(call("poll_oneoff", {5000, 6000, 1, R}), ERRNO_SUCCESS);
  // An fd subscription is ready at once, beside a long sleep; an unknown clock is an error event.
  std::memset(memory.data() + 5000, 0, 3 * SUBSCRIPTION_SIZE);
  memory[5008] = EVENTTYPE_CLOCK;
  put64(5024, 1'000'000'000'000);
  put64(5048, 5);
  memory[5056] = EVENTTYPE_FD_READ;
  put32(5064, 0);
  put64(5096, 6);
  memory[5104] = EVENTTYPE_FD_WRITE;
  put32(5112, 1234);
  EXPECT_EQ(call("poll_oneoff", {5000, 6000, 3, R}), ERRNO_SUCCESS);
  EXPECT_EQ(u32(R), 2u);
  EXPECT_EQ(u64(6000), 5u);
  EXPECT_EQ(u32(6008) & 0xffff, ERRNO_SUCCESS);
  EXPECT_EQ(u64(6032), 6u);
  EXPECT_EQ(u32(6040) & 0xffff, ERRNO_BADF);
  put32(5016, 42);  // no such clock
  EXPECT_EQ(call("poll_oneoff", {5000, 6000, 1, R}), ERRNO_SUCCESS);
  EXPECT_EQ(u32(6008) & 0xffff, ERRNO_INVAL);
  // Hostile arguments.
  EXPECT_EQ(call("poll_oneoff", {5000, 6000, 0, R}), ERRNO_INVAL);
  EXPECT_EQ(call("poll_oneoff", {5000, 6000, 1'000'000, R}), ERRNO_INVAL);
  EXPECT_EQ(call("poll_oneoff", {65000, 6000, 20, R}), ERRNO_FAULT);
  EXPECT_EQ(call("poll_oneoff", {5000, 65500, 2, R}), ERRNO_FAULT);
  EXPECT_EQ(call("poll_oneoff", {5000, 6000, 1, 65535}), ERRNO_FAULT);
}

TEST_F(WasiTest, ExitAndYield) {
  Outcome o = run("proc_exit", {42});
  EXPECT_EQ(o.outcome, HostOutcome::exit);
  EXPECT_EQ(o.exit_code, 42);
  EXPECT_EQ(run("proc_exit", {0xffffffffu}).exit_code, -1);
  EXPECT_EQ(call("sched_yield", {}), ERRNO_SUCCESS);
}

TEST_F(WasiTest, ADamagedStateTrapsWithTheReason) {
  engine_->set_host_state(store, wasi_module_name, vm_->new_binary(3));
  Outcome o = run("fd_write", {1, 2000, 0, R});
  EXPECT_EQ(o.outcome, HostOutcome::trap);
  EXPECT_NE(o.trap.find("WASI"), std::string::npos);
  EXPECT_FALSE(set_wasi_args(*engine_, store, std::vector<std::string>{"x"}, {}).ok());
}

// Every function with random arguments over a small memory: pointers and lengths near and beyond its
// end, fds in and out of range. Nothing may crash or touch memory outside the buffer (the buffer has
// guard bytes after the part the guest sees).
TEST_F(WasiTest, HostileArgumentsNeverCrash) {
  fs::create_directories(dir / "d");
  make_host_file("d/f", "data");
  std::uint32_t fd = open_fd("d/f");
  (void)fd;
  console.eof = true;
  std::mt19937_64 rng(12345);
  constexpr std::size_t visible = 4096;
  std::vector<std::uint8_t> guarded(visible + 64, 0xAB);
  auto pick = [&]() -> Cell {
    switch (rng() % 8) {
      case 0: return rng() % 8;                       // small: fds, flags
      case 1: return visible - rng() % 16;             // right at the end
      case 2: return rng() % visible;                  // anywhere inside
      case 3: return 0xffffffffu - rng() % 16;         // wrapping
      case 4: return rng() & 0xffffffffu;
      case 5: return rng();                            // 64-bit junk
      case 6: return 1ull << (rng() % 64);
      default: return 0;
    }
  };
  for (const HostFunction& f : module.functions) {
    if (f.name == "proc_exit") continue;
    for (int round = 0; round < 3000; ++round) {
      std::vector<Cell> args(f.type.params.size());
      for (Cell& a : args) a = pick();
      for (std::size_t i = 0; i < visible; ++i) guarded[i] = static_cast<std::uint8_t>(rng());
      Cell result = 0;
      HostCall c{*engine_, *vm_, call_ref, store, vm::raw_null, args, std::span<Cell>(&result, 1), guarded.data(), visible,
                 context.get()};
      HostOutcome out = f.fn(c);
      if (out == HostOutcome::done) {
        EXPECT_LE(result, 76u) << f.name;
      }
      for (std::size_t i = visible; i < guarded.size(); ++i) ASSERT_EQ(guarded[i], 0xAB) << f.name << " wrote past memory";
    }
  }
  // The sandbox is intact: nothing was made outside it.
  EXPECT_FALSE(fs::exists(dir.parent_path() / "f"));
}

}  // namespace
}  // namespace phantom::wasm
