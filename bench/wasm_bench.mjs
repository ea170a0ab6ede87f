// The Node side of wasm_bench: V8 (a JIT) runs a kernel's .wasm, its export run(n) called directly,
// and prints "<result> <median ms>" like the native harness. One untimed call first lets V8 tier up
// from its baseline compiler to the optimising one, as a long-running program would.
// usage: node wasm_bench.mjs KERNEL.wasm N REPS
import { readFileSync } from 'node:fs';

const [file, nText, repsText] = process.argv.slice(2);
const module = new WebAssembly.Module(readFileSync(file));
// A kernel imports nothing it calls; should wasi-libc add an import, a stub that fails loudly.
const imports = {};
for (const { module: from, name } of WebAssembly.Module.imports(module)) {
  imports[from] ??= {};
  imports[from][name] = () => { throw new Error(`wasm_bench: ${from}.${name} called`); };
}
const { exports } = new WebAssembly.Instance(module, imports);
exports._initialize?.();
const n = Number(nText);
exports.run(n);
const ms = [];
let result = 0;
for (let i = 0; i < Number(repsText); ++i) {
  const t0 = process.hrtime.bigint();
  result = exports.run(n) >>> 0;
  ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
}
ms.sort((a, b) => a - b);
console.log(`${result} ${ms[Math.floor(ms.length / 2)].toFixed(3)}`);
