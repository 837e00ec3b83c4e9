#!/usr/bin/env node
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
const { main } = await import('../src/cli/main.ts');
process.exit(await main(process.argv));
