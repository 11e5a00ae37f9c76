import { Worker } from 'node:worker_threads';

/**
 * WAL checkpoints off the request path. SQLite's automatic checkpoint runs inside the COMMIT of whichever write
 * crosses the threshold, so that request pays for copying the WAL into the database file (measured: a third of
 * ingest time). A worker thread with its own connection runs PASSIVE checkpoints instead; they never block writers
 * or readers, and once one completes the next write transaction restarts the WAL from its beginning, so the WAL
 * stays bounded. The write connection keeps a high automatic threshold as a safety net.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { DatabaseSync } = require('node:sqlite');
const db = new DatabaseSync(workerData.file, { timeout: 5000 });
const checkpoint = () => {
  try { db.exec('PRAGMA wal_checkpoint(PASSIVE)'); } catch { /* busy: try again next tick */ }
};
const timer = setInterval(checkpoint, workerData.intervalMs);
parentPort.on('message', (m) => {
  if (m === 'stop') { clearInterval(timer); checkpoint(); db.close(); parentPort.postMessage('stopped'); }
});
`;

export class Checkpointer {
  private readonly worker: Worker;

  constructor(file: string, intervalMs = 200) {
    this.worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { file, intervalMs } });
    this.worker.unref();
    this.worker.on('error', () => {
      // The write connection's automatic checkpoint still bounds the WAL if the worker dies.
    });
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => {
      const done = () => resolve();
      this.worker.once('message', done);
      this.worker.once('exit', done);
      this.worker.postMessage('stop');
      setTimeout(done, 2000).unref();
    });
    await this.worker.terminate();
  }
}
