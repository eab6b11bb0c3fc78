#!/usr/bin/env node
// `npx release-agent-import …` where the package is installed, or `npx . …` in a clone after `npm ci`:
// the import of the Python agent's state (import/cli.ts, docs/import.md), run through tsx.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../import/cli.ts');
process.exitCode = await main(process.argv.slice(2));
