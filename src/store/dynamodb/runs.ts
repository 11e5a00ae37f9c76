import { randomUUID } from 'node:crypto';
import type { KeyValue } from '../../domain/entities/common.js';
import { type Run, type RunInfo, type RunStatus, TAG_RUN_NAME } from '../../domain/entities/run.js';
import { invalidParam, notFound } from '../../domain/errors.js';
import { generateRunName } from '../../domain/run-names.js';
import { appendUriPath } from '../uri-path.js';
import type { DynamoConfig } from './config.js';
import { conditionFailed, type Ddb, type Item, type TransactItem } from './ddb.js';
import type { DynamoExperiments } from './experiments.js';
import { trigramDiff } from './fts.js';
import * as K from './keys.js';
import { readLatest } from './latest.js';
import { assembleRun, type RunMeta, toRunInfo } from './run-items.js';
import { setRunHeadTtl, setRunTtl } from './ttl.js';

/** A write to the run META alongside the version raise: extra SET/REMOVE clauses and tag changes to mirror. */
export interface MetaChange {
  set?: string[];
  remove?: string[];
  names?: Record<string, string>;
  values?: Item;
  /** Tags written (value) or deleted (null): mirrored into the META's denormalized `dtags` map. */
  tags?: ReadonlyMap<string, string | null>;
}

/** Complete runs by (run id, META ver); bounded, oldest dropped first. */
export class RunSnapshots {
  private readonly map = new Map<string, { ver: number; run: Run }>();
  constructor(private readonly max = 20_000) {}
  get(runId: string, ver: number): Run | undefined {
    const hit = this.map.get(runId);
    return hit !== undefined && hit.ver === ver ? hit.run : undefined;
  }
  set(runId: string, ver: number, run: Run): void {
    this.map.delete(runId);
    this.map.set(runId, { ver, run });
    if (this.map.size > this.max) this.map.delete(this.map.keys().next().value!);
  }
  invalidate(runId: string): void {
    this.map.delete(runId);
  }
  clear(): void {
    this.map.clear();
  }
}

const RUN_ID = /^[0-9a-f]{32}$/;

export class DynamoRuns {
  /** run id → experiment id (immutable), so most calls skip the pointer read. */
  private readonly experimentOf = new Map<string, string>();
  readonly snapshots = new RunSnapshots();

  constructor(
    readonly ddb: Ddb,
    private readonly experiments: DynamoExperiments,
    readonly config: DynamoConfig,
  ) {}

  async experimentIdOf(runId: string): Promise<string> {
    const known = this.experimentOf.get(runId);
    if (known !== undefined) return known;
    const ptr = RUN_ID.test(runId)
      ? await this.ddb.get<{ experiment_id: string }>(K.runPointer(runId))
      : undefined;
    if (ptr === undefined) throw notFound(`Run with id=${runId} not found`);
    if (this.experimentOf.size > 100_000) this.experimentOf.clear();
    this.experimentOf.set(runId, ptr.experiment_id);
    return ptr.experiment_id;
  }

  async meta(runId: string): Promise<RunMeta> {
    const exp = await this.experimentIdOf(runId);
    const m = await this.ddb.get<RunMeta>(K.run(exp, runId));
    if (m === undefined) throw notFound(`Run with id=${runId} not found`);
    return m;
  }

  /** The run's META, which must be active (MLflow's message otherwise). */
  async activeMeta(runId: string): Promise<RunMeta> {
    const m = await this.meta(runId);
    if (m.lifecycle_stage !== 'active') {
      throw invalidParam(
        `The run ${runId} must be in the 'active' state. Current state is ${m.lifecycle_stage}.`,
      );
    }
    return m;
  }

  /**
   * Raises the run's version after a write (so snapshots elsewhere go stale), applying `change` to the META in
   * the same update; the run must still be active. Tag changes keep the `dtags` map exact: they are mirrored only
   * when the map was built with this server's current patterns (`dph`), else the map is marked stale (REMOVE dph)
   * and searches read the tag items instead until `mltrack dynamodb tag backfill` rebuilds it.
   */
  async bump(m: RunMeta, change: MetaChange = {}): Promise<RunMeta> {
    this.snapshots.invalidate(m.run_id);
    const sets = ['ver = ver + :one', ...(change.set ?? [])];
    const removes = [...(change.remove ?? [])];
    const names: Record<string, string> = { ...(change.names ?? {}) };
    const values: Item = { ':one': 1, ':active': 'active', ...(change.values ?? {}) };
    let condition = 'lifecycle_stage = :active';
    if (change.tags !== undefined && change.tags.size > 0) {
      const hash = this.config.patternsHash();
      if (m.dph === hash) {
        let i = 0;
        for (const [key, value] of change.tags) {
          if (!this.config.denormalized(key)) continue;
          names[`#dt${i}`] = key;
          if (value === null) removes.push(`dtags.#dt${i}`);
          else {
            sets.push(`dtags.#dt${i} = :dt${i}`);
            values[`:dt${i}`] = value;
          }
          i++;
        }
        condition += ' AND dph = :dph';
        values[':dph'] = hash;
      } else if (m.dph !== undefined) removes.push('dph');
    }
    try {
      const out = await this.ddb.update<RunMeta>({
        Key: { PK: m.PK, SK: m.SK },
        UpdateExpression: `SET ${sets.join(', ')}${removes.length > 0 ? ` REMOVE ${removes.join(', ')}` : ''}`,
        ConditionExpression: condition,
        ...(Object.keys(names).length > 0 ? { ExpressionAttributeNames: names } : {}),
        ExpressionAttributeValues: values,
        ReturnValues: 'ALL_NEW',
      });
      return out!;
    } catch (e) {
      if (!conditionFailed(e)) throw e;
      const now = await this.meta(m.run_id);
      if (now.lifecycle_stage !== 'active') {
        throw invalidParam(`The run ${m.run_id} must be in the 'active' state. Current state is deleted.`);
      }
      return this.bump(now, change); // the map's patterns changed under us: decide again
    }
  }

  /** Every item of the run (META first, then children in key order): one consistent query. */
  async items(runId: string): Promise<{ meta: RunMeta; children: Item[] }> {
    const exp = await this.experimentIdOf(runId);
    const items = await this.ddb.prefix(K.expPk(exp), K.runPrefix(runId));
    const meta = items.find((i) => i.SK === K.runPrefix(runId)) as RunMeta | undefined;
    if (meta === undefined) throw notFound(`Run with id=${runId} not found`);
    return { meta, children: items.filter((i) => i !== (meta as unknown)) };
  }

  async get(runId: string): Promise<Run> {
    const [{ meta, children }, latest] = await Promise.all([this.items(runId), readLatest(this.ddb, runId)]);
    const run = assembleRun(meta, children, latest);
    this.snapshots.set(runId, meta.ver, run);
    return run;
  }

  /** Complete runs for META items (in order), from snapshots where the version still matches. */
  async load(metas: readonly RunMeta[]): Promise<Run[]> {
    const out: Run[] = new Array(metas.length);
    const missing: number[] = [];
    metas.forEach((m, i) => {
      const hit = this.snapshots.get(m.run_id, m.ver);
      if (hit !== undefined) out[i] = hit;
      else missing.push(i);
    });
    let next = 0;
    const worker = async () => {
      while (next < missing.length) {
        const i = missing[next++]!;
        const m = metas[i]!;
        const [items, latest] = await Promise.all([
          this.ddb.prefix(m.PK, `${K.runPrefix(m.run_id)}#`),
          readLatest(this.ddb, m.run_id),
        ]);
        const run = assembleRun(m, items, latest);
        this.snapshots.set(m.run_id, m.ver, run);
        out[i] = run;
      }
    };
    await Promise.all(Array.from({ length: Math.min(16, missing.length) }, worker));
    return out;
  }

  async writeNameTrigrams(exp: string, runId: string, name: string, before?: string): Promise<string[]> {
    const { add, remove } = trigramDiff(before, name);
    await this.ddb.batchWrite(add.map((t) => ({ PK: K.expPk(exp), SK: `${K.runFtsPrefix}${t}#${runId}` })));
    return remove;
  }

  async dropNameTrigrams(exp: string, runId: string, stale: string[]): Promise<void> {
    await this.ddb.batchWrite(
      [],
      stale.map((t) => ({ PK: K.expPk(exp), SK: `${K.runFtsPrefix}${t}#${runId}` })),
    );
  }

  async create(input: {
    experimentId: string;
    userId: string;
    startTime: number | null;
    runName?: string;
    tags: KeyValue[];
  }): Promise<Run> {
    const exp = await this.experiments.requireActive(input.experimentId);
    const tags = [...input.tags];
    const tagName = tags.findLast((t) => t.key === TAG_RUN_NAME)?.value;
    if (input.runName && tagName && input.runName !== tagName) {
      throw invalidParam(
        `Both 'run_name' argument and 'mlflow.runName' tag are specified, but with different values (run_name='${input.runName}', mlflow.runName='${tagName}').`,
      );
    }
    const name = input.runName || tagName || generateRunName();
    if (!tagName) tags.push({ key: TAG_RUN_NAME, value: name });
    const byKey = new Map(tags.map((t) => [t.key, t.value]));
    const runId = randomUUID().replaceAll('-', '');
    const e = exp.experiment_id;
    const meta: RunMeta = {
      ...K.run(e, runId),
      run_id: runId,
      experiment_id: e,
      name,
      user_id: input.userId,
      status: 'RUNNING',
      start_time: input.startTime,
      end_time: null,
      deleted_time: null,
      lifecycle_stage: 'active',
      artifact_uri: appendUriPath(exp.artifact_location, runId, 'artifacts'),
      ver: 0,
      dtags: Object.fromEntries([...byKey].filter(([k]) => this.config.denormalized(k))),
      dph: this.config.patternsHash(),
    };
    const tagItems = [...byKey].map(([key, value]) => ({
      ...K.runTag(e, runId, key),
      key,
      value,
      lsi3sk: K.tagLsi3(key, value),
    }));
    await this.writeNameTrigrams(e, runId, name);
    const tx: TransactItem[] = [
      {
        ConditionCheck: {
          Key: K.experiment(e),
          ConditionExpression: 'lifecycle_stage = :active',
          ExpressionAttributeValues: { ':active': 'active' },
        },
      },
      {
        Put: {
          Item: { ...K.runPointer(runId), experiment_id: e },
          ConditionExpression: 'attribute_not_exists(PK)',
        },
      },
      { Put: { Item: { ...meta, lsi1sk: K.runLsi1('active', input.startTime, runId) } } },
      ...tagItems.slice(0, 97).map((Item) => ({ Put: { Item } })),
    ];
    try {
      await this.ddb.transact(tx);
    } catch (err) {
      if (conditionFailed(err)) {
        throw invalidParam(`The experiment ${e} must be in the 'active' state. Current state is deleted.`);
      }
      throw err;
    }
    // More tags than one transaction holds: the rest, then a version bump so no snapshot misses them.
    if (tagItems.length > 97) {
      await this.ddb.batchWrite(tagItems.slice(97));
      meta.ver = (await this.bump(meta)).ver;
    }
    this.experimentOf.set(runId, e);
    return this.get(runId);
  }

  async update(
    runId: string,
    patch: { status?: RunStatus; endTime?: number | null; runName?: string },
  ): Promise<RunInfo> {
    const m = await this.activeMeta(runId);
    const sets: string[] = [];
    const values: Item = {};
    const names: Record<string, string> = {};
    if (patch.status !== undefined) {
      sets.push('#st = :st');
      names['#st'] = 'status';
      values[':st'] = patch.status;
    }
    if (patch.endTime !== undefined && patch.endTime !== null) {
      sets.push('end_time = :et');
      values[':et'] = patch.endTime;
    }
    let stale: string[] = [];
    if (patch.runName) {
      sets.push('#nm = :nm');
      names['#nm'] = 'name';
      values[':nm'] = patch.runName;
      stale = await this.writeNameTrigrams(m.experiment_id, runId, patch.runName, m.name);
      await this.ddb.put({
        ...K.runTag(m.experiment_id, runId, TAG_RUN_NAME),
        key: TAG_RUN_NAME,
        value: patch.runName,
        lsi3sk: K.tagLsi3(TAG_RUN_NAME, patch.runName),
      });
    }
    const after = await this.bump(m, {
      set: sets,
      names,
      values,
      ...(patch.runName ? { tags: new Map([[TAG_RUN_NAME, patch.runName]]) } : {}),
    });
    if (stale.length > 0) await this.dropNameTrigrams(m.experiment_id, runId, stale);
    return toRunInfo(after);
  }

  /**
   * Soft delete / restore of one run. A delete on its own sets the retention TTL on everything of the run; as part
   * of an experiment's delete (`headOnly`) only on its META and pointer (see ttl.ts). A restore removes it.
   */
  async setLifecycle(runId: string, to: 'active' | 'deleted', headOnly = false): Promise<void> {
    const m = await this.meta(runId);
    const ttl = to === 'deleted' ? this.config.softDeleteTtl() : undefined;
    if (to === 'active' || ttl !== undefined) {
      await (headOnly ? setRunHeadTtl : setRunTtl)(this.ddb, m, ttl);
    }
    this.snapshots.invalidate(runId);
    await this.ddb.update({
      Key: { PK: m.PK, SK: m.SK },
      UpdateExpression:
        to === 'deleted'
          ? 'SET lifecycle_stage = :to, deleted_time = :now, lsi1sk = :sk, ver = ver + :one'
          : 'SET lifecycle_stage = :to, deleted_time = :null, lsi1sk = :sk, ver = ver + :one',
      ExpressionAttributeValues: {
        ':to': to,
        ':sk': K.runLsi1(to, m.start_time, runId),
        ':one': 1,
        ...(to === 'deleted' ? { ':now': Date.now() } : { ':null': null }),
      },
    });
  }

  /** Every run META of an experiment in one lifecycle stage, in MLflow's default order. */
  async metasOf(exp: string, stage: 'active' | 'deleted'): Promise<RunMeta[]> {
    return (await this.ddb.query({
      IndexName: 'lsi1',
      KeyConditionExpression: 'PK = :pk AND begins_with(lsi1sk, :s)',
      ExpressionAttributeValues: { ':pk': K.expPk(exp), ':s': `${stage}#` },
    })) as unknown as RunMeta[];
  }

  /** Experiment delete/restore: runs in `from` move to `to` (first, so a retry after a failure completes it). */
  async cascade(exp: string, from: 'active' | 'deleted', to: 'active' | 'deleted'): Promise<void> {
    const metas = await this.metasOf(exp, from);
    let next = 0;
    const worker = async () => {
      while (next < metas.length) await this.setLifecycle(metas[next++]!.run_id, to, true);
    };
    await Promise.all(Array.from({ length: Math.min(16, metas.length) }, worker));
  }
}
