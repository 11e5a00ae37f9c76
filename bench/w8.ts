import path from 'node:path';
import type { BenchBackend } from './lib/backends.js';
import { type Contender, onFreshServer } from './lib/contenders.js';
import { HttpClient, type HttpResult } from './lib/http-client.js';
import type { PeerName } from './lib/peers.js';
import { sleep } from './lib/proc.js';
import type { BenchRecord } from './lib/record.js';
import { API, type RunSpec, seedRuns, settledRss } from './lib/series.js';
import { startTarget } from './lib/targets.js';
import type { W4Data } from './w4.js';
import { PEER_SCHEMA, seedW4Peer } from './w4-peer-seed.js';
import { DEFAULT_SLOW_TARGETS } from './w5.js';
import { historyPath, measureW8, type W8MeasureOptions, type W8Setup } from './w8-measure.js';

/** The W6 readers' series: runs × points of one key. */
export interface W8Series {
  w6Runs: number;
  w6Points: number;
}

export interface W8Options extends W8MeasureOptions, W8Series {
  backend: BenchBackend;
  /** mltrack first (on the prepared W4 data set), then the peers on this backend. */
  contenders: Contender[];
  /** The smaller series a slow peer gets (MLflow ingests ~1–3k points/s over HTTP); marked in its mixed rows. */
  slow: W8Series;
  /** Contenders that get `slow` (default: mlflow). */
  slowTargets?: readonly string[];
  workDir: string;
}

const SEED_CLIENTS = 4;

/**
 * The set-up's client: a request whose connection drops is sent again (up to 5 times). On a busy machine MLflow's
 * uvicorn supervisor restarts a worker that misses its 5 s health ping, and the requests it held are cut off; the
 * set-up is not measured, so it retries (a repeated log-batch stores nothing new: the points are identical). In the
 * measurement the same drops count as errors.
 */
class SetupClient extends HttpClient {
  constructor(
    baseUrl: string,
    maxSockets: number,
    private readonly log: (msg: string) => void,
  ) {
    super(baseUrl, maxSockets);
  }
  override async request(
    method: string,
    path: string,
    body?: Buffer | string,
    keepBody = false,
  ): Promise<HttpResult> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await super.request(method, path, body, keepBody);
      } catch (e) {
        if (attempt >= 5) throw e;
        this.log(`W8 set-up: ${method} ${path.split('?')[0]} failed (${String(e)}), retrying`);
        await sleep(1000 * attempt);
      }
    }
  }
}
const seriesText = (s: W8Series) => `${s.w6Runs} runs × ${s.w6Points} points`;

/**
 * W8 mixed read/write (benchmarks.md §6) against mltrack and each peer, on the W4 data set: mltrack on the
 * prepared database (`data`, seeded through its store), each peer on a fresh database of the backend where it
 * created its own schema, with the same runs written straight into that schema (bench/w4-peer-seed.ts). The
 * writers' run and the W6 series are then created over HTTP, and bench/w8-measure.ts measures W2 alone and W2 with
 * the readers. A peer without get-history-bulk-interval (FastTrackML) gets no series and its readers loop W4b only
 * (its rows say so); MLflow gets a smaller series (`slow`, marked `extra.reducedSize` on its mixed-phase rows).
 */
export async function runW8(o: W8Options, data: W4Data): Promise<BenchRecord[]> {
  const out: BenchRecord[] = [];
  const slow = o.slowTargets ?? DEFAULT_SLOW_TARGETS;
  for (const c of o.contenders) {
    const series: W8Series = slow.includes(c.name) ? o.slow : o;
    const reduced =
      series.w6Runs !== o.w6Runs || series.w6Points !== o.w6Points
        ? `a smaller W6 series for the readers (slow ingest over HTTP): ${seriesText(series)}; full size: ${seriesText(o)}`
        : undefined;
    if (c.name === 'mltrack') {
      const server = await startTarget(c.target, {
        storeUri: data.db.uri,
        artifactDir: path.join(o.workDir, 'w8-art'),
      });
      try {
        const setup = await setUp(o, c, server.baseUrl, data.experimentId, data.runs, series, reduced);
        out.push(...(await measureW8(o, c, server, data.db, setup)));
      } finally {
        await server.stop();
      }
      continue;
    }
    const { result } = await onFreshServer(
      c,
      o.backend,
      path.join(o.workDir, `w8-peer-${o.backend}`),
      async (server, db) => {
        // a multi-process peer answers /health before all its workers are up: let it settle (untimed)
        await settledRss(server.pid);
        const client = new SetupClient(server.baseUrl, 2, o.log);
        let experimentId: string;
        try {
          experimentId = (
            await client.json<{ experiment_id: string }>(`${API}/experiments/create`, { name: 'w4-search' })
          ).experiment_id;
        } finally {
          client.close();
        }
        const seed = await seedW4Peer(PEER_SCHEMA[c.name as PeerName], db, experimentId, data.runs);
        o.log(
          `W8 ${c.name} ${o.backend}: seeded ${data.runs} W4 runs in ${(seed.ms / 1000).toFixed(1)} s (not measured)`,
        );
        const setup = await setUp(o, c, server.baseUrl, experimentId, data.runs, series, reduced);
        return measureW8(o, c, server, db, setup);
      },
      async () => undefined,
    );
    out.push(...result);
  }
  return out;
}

/**
 * Untimed set-up over HTTP: an experiment `w8-mixed` with the writers' (empty) run; a probe of
 * get-history-bulk-interval on that run (404/405/501: unsupported, no series); else the W6 series in experiment
 * `w8-series`, seeded like W5/W6 (log-batch of 1000 points from 4 clients, bench/lib/series.ts).
 */
async function setUp(
  o: W8Options,
  c: Contender,
  baseUrl: string,
  w4ExperimentId: string,
  w4Runs: number,
  series: W8Series,
  reduced: string | undefined,
): Promise<W8Setup> {
  const client = new SetupClient(baseUrl, SEED_CLIENTS, o.log);
  try {
    const exp = await client.json<{ experiment_id: string }>(`${API}/experiments/create`, {
      name: 'w8-mixed',
    });
    const writer = await client.json<{ run: { info: { run_id: string } } }>(`${API}/runs/create`, {
      experiment_id: exp.experiment_id,
      run_name: 'w8-writers',
      start_time: Date.now(),
    });
    const setup: W8Setup = {
      w4ExperimentId,
      w4Runs,
      writerRunId: writer.run.info.run_id,
      seriesRunIds: [],
      seriesPoints: series.w6Points,
    };
    const probe = await client.request('GET', historyPath([setup.writerRunId]), undefined, true);
    if ([404, 405, 501].includes(probe.status)) {
      const body = probe.body?.toString('utf8').replace(/\s+/g, ' ').slice(0, 120) ?? '';
      o.log(`W8 ${c.name}: get-history-bulk-interval answers ${probe.status} ${body}: readers loop W4b only`);
      setup.historyUnsupported = String(probe.status);
      return setup;
    }
    const runs: RunSpec[] = Array.from({ length: series.w6Runs }, (_, i) => ({
      name: `w8-series-${i}`,
      keys: [{ key: 'loss', points: series.w6Points }],
    }));
    const seeded = await seedRuns(client, 'w8-series', runs, SEED_CLIENTS);
    o.log(
      `W8 ${c.name}: seeded ${seriesText(series)} in ${(seeded.ms / 1000).toFixed(1)} s ` +
        `(${Math.round(seeded.points / (seeded.ms / 1000))} points/s over HTTP; not measured)`,
    );
    setup.seriesRunIds = seeded.runIds;
    if (reduced !== undefined) setup.mixedExtra = { reducedSize: reduced };
    return setup;
  } finally {
    client.close();
  }
}
