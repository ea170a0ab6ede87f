// Runs a WASI program under Node's node:wasi, the reference for the comparison test (wasi_compare.sh):
//   node run_node.mjs DIR PROGRAM.wasm [ARG...]
// DIR is preopened as "/" (as Phantom preopens the world's sandbox); the environment is the variables
// of this process whose names start with WASI_ENV_ (the prefix removed). Exits with the program's code.
import { readFileSync } from 'node:fs';
import { WASI } from 'node:wasi';

const [dir, program, ...args] = process.argv.slice(2);
const env = {};
for (const [k, v] of Object.entries(process.env)) if (k.startsWith('WASI_ENV_')) env[k.slice(9)] = v;
const wasi = new WASI({ version: 'preview1', args: [program.split('/').pop(), ...args], env,
                        preopens: { '/': dir }, returnOnExit: true });
const module = await WebAssembly.compile(readFileSync(program));
const instance = await WebAssembly.instantiate(module, wasi.getImportObject());
process.exitCode = wasi.start(instance);
