import path from 'node:path';
import type { BenchBackend } from './lib/backends.js';
import { type Contender, contenderExtra, onFreshServer } from './lib/contenders.js';
import { CpuMeter, cpuExtra } from './lib/cpu.js';
import type { BenchEnv } from './lib/env.js';
import { HttpClient } from './lib/http-client.js';
import type { PeerName } from './lib/peers.js';
import { memOf, RssSampler, stampServerMemory } from './lib/proc.js';
import { type BenchRecord, makeRecord, type RecordInit } from './lib/record.js';
import { median, round } from './lib/stats.js';
import { startOnDataRecord, timeRestart } from './start-on-data.js';
import { PEER_SCHEMA, seedW4Peer } from './w4-peer-seed.js';
import { latencyOf, timePaging, timeQuery, w4Queries } from './w4-search.js';

const API = '/api/2.0/mlflow';
const ms = (v: number) => round(v, 2);

/**
 * W4 against each peer: the peer starts on a fresh database (creating its own schema), the experiment is created
 * over HTTP, the same runs as mltrack's W4 data set are written straight into the peer's schema (untimed,
 * bench/w4-peer-seed.ts), then queries (a), (b), (d), (e) at c=1 and one paging pass (c) are timed. Peers get
 * `iterations` (a few: MLflow answers in seconds) after one warm-up.
 */
export async function runW4Peers(o: {
  backend: BenchBackend;
  peers: Contender[];
  runs: number;
  iterations: number;
  size: string;
  workDir: string;
  env: BenchEnv;
  log: (msg: string) => void;
  quiet: (what: string) => Promise<void>;
}): Promise<BenchRecord[]> {
  const all: BenchRecord[] = [];
  for (const c of o.peers) {
    const schema = PEER_SCHEMA[c.name as PeerName];
    const { result } = await onFreshServer(
      c,
      o.backend,
      path.join(o.workDir, `w4-peer-${o.backend}`),
      async (server, db) => {
        const out: BenchRecord[] = [];
        const client = new HttpClient(server.baseUrl, 2);
        const sampler = new RssSampler(server.pid, 100);
        const rssAtStart = memOf(server.pid).rssMB;
        try {
          const exp = await client.json<{ experiment_id: string }>(`${API}/experiments/create`, {
            name: 'w4-search',
          });
          const seed = await seedW4Peer(schema, db, exp.experiment_id, o.runs);
          const dbBytes = await db.bytes();
          o.log(
            `W4 ${c.name} ${o.backend}: seeded ${o.runs} runs in ${(seed.ms / 1000).toFixed(1)} s (not measured)`,
          );
          await o.quiet(`W4 ${c.name} queries`);
          const rec = (r: Omit<RecordInit, 'backend' | 'server'>) =>
            makeRecord(o.env, o.size, { ...r, backend: o.backend, server: c.name, dbBytes });
          for (const q of w4Queries(exp.experiment_id)) {
            const meter = new CpuMeter([server.pid]);
            let t: Awaited<ReturnType<typeof timeQuery>>;
            try {
              t = await timeQuery(client, q.body, 1, o.iterations);
            } catch (e) {
              const why = e instanceof Error ? e.message.slice(0, 200) : String(e);
              o.log(`${q.id} ${c.name}: not answered: ${why}`);
              out.push(
                rec({
                  workload: q.id,
                  throughput: null,
                  throughputUnit: '',
                  errors: 1,
                  extra: { query: q.label, unsupported: `not answered: ${why}`, ...contenderExtra(c) },
                }),
              );
              continue;
            }
            const cpu = meter.stop();
            const l = latencyOf(t.lat);
            o.log(`${q.id} ${c.name}: p50 ${l.p50.toFixed(1)} ms, ${t.runsReturned} runs, ${t.bytes} bytes`);
            out.push(
              rec({
                workload: q.id,
                throughput: round(t.lat.length / (t.wallMs / 1000)),
                throughputUnit: 'req/s (c=1)',
                p50: ms(l.p50),
                p95: ms(l.p95),
                p99: ms(l.p99),
                errors: t.errors,
                extra: {
                  query: q.label,
                  concurrency: 1,
                  iterations: t.lat.length,
                  runsReturned: t.runsReturned,
                  responseBytes: t.bytes,
                  ...contenderExtra(c),
                  ...cpuExtra(cpu),
                },
              }),
            );
          }
          const pm = new CpuMeter([server.pid]);
          const p = await timePaging(client, exp.experiment_id, 1000, 0, 1);
          const pcpu = pm.stop();
          const lp = latencyOf(p.pageLat);
          const pass = median(p.passMs);
          o.log(`W4c ${c.name}: ${p.pages} pages, ${p.runs} runs, pass ${(pass / 1000).toFixed(2)} s`);
          if (p.runs !== o.runs) o.log(`W4c ${c.name}: WARNING paging returned ${p.runs} of ${o.runs} runs`);
          out.push(
            rec({
              workload: 'W4c',
              throughput: round(p.runs / (pass / 1000)),
              throughputUnit: 'runs/s (c=1)',
              p50: ms(lp.p50),
              p95: ms(lp.p95),
              p99: ms(lp.p99),
              errors: p.errors,
              extra: {
                query: 'page through all runs, pages of 1000 (latencies are per page)',
                passes: 1,
                pages: p.pages,
                runsReturned: p.runs,
                returned: p.runs === o.runs ? null : `PAGING STOPPED EARLY: ${p.runs} of ${o.runs} runs`,
                totalMsMedian: ms(pass),
                ...contenderExtra(c),
                ...cpuExtra(pcpu),
              },
            }),
          );
        } finally {
          client.close();
          stampServerMemory(out, server, sampler.stop(), rssAtStart);
        }
        const startupMs = await timeRestart(
          c,
          server,
          db.uri,
          path.join(o.workDir, `w4-peer-${o.backend}`, `${c.name}-art`),
        );
        o.log(`W4 ${c.name} ${o.backend}: restart on the W4 data set ${startupMs.toFixed(0)} ms`);
        out.push(
          startOnDataRecord({
            env: o.env,
            size: o.size,
            backend: o.backend,
            contender: c,
            startupMs,
            runs: o.runs,
            dbBytes: await db.bytes(),
          }),
        );
        return out;
      },
      async () => undefined,
    );
    all.push(...result);
  }
  return all;
}
