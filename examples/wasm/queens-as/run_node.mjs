// Runs queens.wasm under Node's node:wasi (V8), the reference for the kill test and a way to see that the
// module is plain WASI: node --experimental-wasi-unstable-preview1 run_node.mjs queens.wasm [N]
import { readFileSync } from 'node:fs';
import { WASI } from 'node:wasi';

const [program, ...args] = process.argv.slice(2);
const wasi = new WASI({ version: 'preview1', args: ['queens', ...args], env: {}, returnOnExit: true });
const module = await WebAssembly.compile(readFileSync(program));
const instance = await WebAssembly.instantiate(module, wasi.getImportObject());
process.exitCode = wasi.start(instance);
