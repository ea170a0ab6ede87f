// N-queens: counts the ways to place N queens on an N×N board so that none attacks another, by
// backtracking over bit masks, and prints the count for each placement of the first two queens as it
// goes. A WASI command for Phantom (README.md): killed with -9 and resumed, it continues mid-search.
//   queens [N]   (default 12; 1 <= N <= 16)

// AssemblyScript no longer ships WASI bindings, so the four calls this program needs are declared here
// by hand. They are all it imports: `abort` is replaced below, so nothing comes from "env".
@external("wasi_snapshot_preview1", "fd_write")
declare function fd_write(fd: u32, iovs: usize, iovs_len: u32, nwritten: usize): u16;
@external("wasi_snapshot_preview1", "args_sizes_get")
declare function args_sizes_get(argc: usize, argv_buf_size: usize): u16;
@external("wasi_snapshot_preview1", "args_get")
declare function args_get(argv: usize, argv_buf: usize): u16;
@external("wasi_snapshot_preview1", "proc_exit")
declare function proc_exit(code: u32): void;

// Replaces the default `env.abort` import (asc --use abort=...): a failed assertion prints and exits 70.
function abort(message: string | null, file: string | null, line: u32, column: u32): void {
  print("abort: " + (message !== null ? message : "") + " at " + (file !== null ? file : "") + ":" + line.toString());
  proc_exit(70);
}

function print(line: string): void {
  const bytes = String.UTF8.encode(line + "\n");
  const iov = heap.alloc(12);  // one iovec (pointer, length) and the count written
  store<u32>(iov, changetype<usize>(bytes));
  store<u32>(iov, bytes.byteLength, 4);
  fd_write(1, iov, 1, iov + 8);
  heap.free(iov);
}

// The board size from argv[1], or 12.
function boardSize(): i32 {
  const sizes = heap.alloc(8);
  args_sizes_get(sizes, sizes + 4);
  const argc = load<u32>(sizes), bufSize = load<u32>(sizes, 4);
  if (argc < 2) return 12;
  const argv = heap.alloc(argc * 4), buf = heap.alloc(bufSize);
  args_get(argv, buf);
  const arg = load<u32>(argv, 4);
  let n = 0;
  for (let p = arg; load<u8>(p) != 0; p++) n = n * 10 + (load<u8>(p) - 48);
  return n;
}

// Solutions that complete a board whose filled rows occupy `cols` and attack `left`/`right` diagonals
// in the next row (bit i = column i). Recursion is fine: Phantom keeps wasm frames in the world.
function complete(all: u32, cols: u32, left: u32, right: u32): u64 {
  if (cols == all) return 1;
  let free = all & ~(cols | left | right);
  let count: u64 = 0;
  while (free != 0) {
    const bit = free & (0 - free);
    free ^= bit;
    count += complete(all, cols | bit, ((left | bit) << 1) & all, (right | bit) >> 1);
  }
  return count;
}

function main(): void {
  const n = boardSize();
  if (n < 1 || n > 16) {
    print("queens: N must be between 1 and 16");
    proc_exit(2);
  }
  const all: u32 = (1 << n) - 1;
  let total: u64 = 0;
  for (let a = 0; a < n; a++) {
    const first: u32 = 1 << a;
    if (n == 1) { total += 1; break; }
    for (let b = 0; b < n; b++) {
      const second: u32 = 1 << b;
      if ((second & (first | (first << 1) | (first >> 1))) != 0) continue;  // attacked by the first
      const left = (((first << 1) | second) << 1) & all, right = ((first >> 1) | second) >> 1;
      const count = complete(all, first | second, left, right);
      total += count;
      print("queens at " + a.toString() + "," + b.toString() + ": " + count.toString() + " (total " + total.toString() + ")");
    }
  }
  print("result: " + total.toString() + " solutions for " + n.toString() + " queens");
}

// The module's top-level code, exported as the WASI entry point `_start` (asc --exportStart _start).
main();
