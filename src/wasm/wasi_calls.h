// The host functions of WASI preview 1 (wasm layer, internal): defined by topic in wasi.cc (process,
// clocks, randomness, poll), wasi_fd.cc (fds) and wasi_path.cc (names in the sandbox); wasi.cc lists
// them with their types in the module. Each returns with results[0] = the errno, except proc_exit.
#pragma once

#include "wasm/runtime.h"

namespace phantom::wasm::wasi {

// wasi.cc
HostOutcome args_get(HostCall& call);
HostOutcome args_sizes_get(HostCall& call);
HostOutcome environ_get(HostCall& call);
HostOutcome environ_sizes_get(HostCall& call);
HostOutcome clock_res_get(HostCall& call);
HostOutcome clock_time_get(HostCall& call);
HostOutcome random_get(HostCall& call);
HostOutcome poll_oneoff(HostCall& call);
HostOutcome proc_exit(HostCall& call);
HostOutcome sched_yield(HostCall& call);
HostOutcome not_implemented(HostCall& call);  // ERRNO_NOSYS

// wasi_fd.cc
HostOutcome fd_read(HostCall& call);
HostOutcome fd_pread(HostCall& call);
HostOutcome fd_write(HostCall& call);
HostOutcome fd_pwrite(HostCall& call);
HostOutcome fd_seek(HostCall& call);
HostOutcome fd_tell(HostCall& call);
HostOutcome fd_close(HostCall& call);
HostOutcome fd_renumber(HostCall& call);
HostOutcome fd_sync(HostCall& call);  // also fd_datasync
HostOutcome fd_advise(HostCall& call);
HostOutcome fd_fdstat_get(HostCall& call);
HostOutcome fd_fdstat_set_flags(HostCall& call);
HostOutcome fd_fdstat_set_rights(HostCall& call);
HostOutcome fd_filestat_get(HostCall& call);
HostOutcome fd_filestat_set_size(HostCall& call);
HostOutcome fd_prestat_get(HostCall& call);
HostOutcome fd_prestat_dir_name(HostCall& call);
HostOutcome fd_readdir(HostCall& call);

// wasi_path.cc
HostOutcome path_open(HostCall& call);
HostOutcome path_filestat_get(HostCall& call);
HostOutcome path_create_directory(HostCall& call);
HostOutcome path_unlink_file(HostCall& call);
HostOutcome path_remove_directory(HostCall& call);
HostOutcome path_rename(HostCall& call);

}  // namespace phantom::wasm::wasi
