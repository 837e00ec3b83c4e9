#!/usr/bin/env -S node --liftoff-only
// The project pins Node 24 (the `node` dependency puts it first on PATH for npm scripts and npx).
// Started by another Node, say so plainly instead of failing on TypeScript syntax.
const major = Number(process.versions.node.split('.')[0]);
if (major < 24) {
  process.stderr.write(
    `ideamine needs Node.js 24 or newer; this is ${process.version}.\n` +
      'Run it through the project (npx ideamine …, npm run ideamine -- …), which uses the pinned Node 24,\n' +
      'or put node_modules/.bin first on PATH.\n',
  );
  process.exit(2);
}

// The embedded database is PostgreSQL compiled to WebAssembly (9 MB). V8 compiles it with its baseline
// compiler (Liftoff), then re-compiles hot functions with TurboFan in background threads: for this module
// that takes 300–600 MB for seconds and competes with the run for the CPU (measured: a main job's peak
// RSS 1.0 GB with it, 0.5 GB without). Liftoff code is fast enough for IdeaMine's small queries. The flag
// is a V8 flag, read only at start (setting it at run time has no effect, and NODE_OPTIONS refuses it),
// so the shebang passes it, and a start without it (`node bin/ideamine.js`) replaces itself once with a
// Node that has it. IDEAMINE_WASM_TIERUP=1 keeps V8's default.
const BASELINE_WASM = '--liftoff-only';
if (
  !process.execArgv.includes(BASELINE_WASM) &&
  process.env.IDEAMINE_WASM_TIERUP !== '1' &&
  typeof process.execve === 'function'
) {
  process.execve(process.execPath, [
    process.execPath,
    BASELINE_WASM,
    ...process.execArgv,
    ...process.argv.slice(1),
  ]);
}

// Caches Node's compiled (and type-stripped) modules across starts: about half of a cold start's module
// loading time. The cache lives in the OS temp dir and is keyed by file content, so an edit is never stale.
const { enableCompileCache } = await import('node:module');
enableCompileCache?.();

const { main } = await import('../src/cli/main.ts');
process.exit(await main(process.argv));
