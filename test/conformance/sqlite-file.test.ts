import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll } from 'vitest';
import { openSqliteTestStore } from '../helpers/sqlite.js';
import { describeTrackingStore } from './tracking-store.suite.js';

// The whole suite again on database files: the paths that differ from an in-memory database (the durable-commit
// wait, the WAL, the read-only connections that stream long results) run here.
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'mltrack-conf-'));
let n = 0;
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

describeTrackingStore({
  name: 'sqlite (file)',
  open: () => {
    const dir = path.join(root, String(n++));
    fs.mkdirSync(dir);
    return openSqliteTestStore(dir);
  },
});
