import { createHash } from 'node:crypto';

/**
 * Every key format of the single DynamoDB table, in one place (docs/dynamodb.md has the item catalogue).
 *
 * Table key `PK` / `SK` (strings). Indexes: `gsi1`…`gsi5` (`gsi<i>pk` / `gsi<i>sk`, strings) and `lsi1`…`lsi5`
 * (`PK` / `lsi<i>sk`; `lsi2sk` is a number, the others strings). Sparse: an item carries an index key only when the
 * index should hold it. MLflow keys (param/tag/metric names) never contain `#` (the API validates them), so `#`
 * separates key parts without escaping; free text (names, values) only appears as the last part of a key.
 */

export const DEFAULT_TABLE = 'mlflow';

/** Max bytes of an index sort-key value we build (DynamoDB's limit is 1024). */
const INDEX_KEY_BYTES = 1000;

/** The longest prefix of `s` that fits in `bytes` UTF-8 bytes without splitting a character. */
export function utf8Prefix(s: string, bytes: number): string {
  if (Buffer.byteLength(s, 'utf8') <= bytes) return s;
  let out = '';
  let used = 0;
  for (const ch of s) {
    const n = Buffer.byteLength(ch, 'utf8');
    if (used + n > bytes) break;
    out += ch;
    used += n;
  }
  return out;
}

/** `head` + as much of `tail` as fits an index sort key. */
export const indexKey = (head: string, tail: string): string =>
  head + utf8Prefix(tail, INDEX_KEY_BYTES - Buffer.byteLength(head, 'utf8'));

/** 20-digit zero-padded non-negative integer (ids, timestamps), so string order is numeric order. */
export const pad20 = (n: number | bigint | string): string => String(n).padStart(20, '0');

/**
 * A double as 16 hex digits whose string order is numeric order (IEEE-754 bits, sign flipped for positives,
 * all bits inverted for negatives). NaN sorts after every number (`z`).
 */
export function sortableNumber(v: number): string {
  if (Number.isNaN(v)) return 'z';
  const buf = Buffer.alloc(8);
  buf.writeDoubleBE(v === 0 ? 0 : v); // -0 → 0
  let bits = buf.readBigUInt64BE();
  bits = bits >> 63n === 1n ? ~bits & 0xffffffffffffffffn : bits | 0x8000000000000000n;
  return bits.toString(16).padStart(16, '0');
}

/** A signed 64-bit integer as 16 hex digits in numeric order. */
export function sortableInt(n: number): string {
  return (BigInt(Math.trunc(n)) + 0x8000000000000000n).toString(16).padStart(16, '0');
}

/**
 * The order key of MLflow's latest-metric rule: (step, timestamp, stored value) compared as one string, so a
 * conditional write can keep the greatest point (NaN counts as its stored value 0).
 */
export const latestOrder = (step: number, timestamp: number, storedValue: number): string =>
  sortableInt(step) + sortableInt(timestamp) + sortableNumber(storedValue);

// ---- global items -----------------------------------------------------------------------------------------------

export const CONFIG_PK = 'CONFIG';
export const config = {
  experimentSequence: { PK: CONFIG_PK, SK: 'SEQ#EXPERIMENT' },
  denormalizeTags: { PK: CONFIG_PK, SK: 'DENORMALIZE_TAGS' },
  denormalizeTagsFor: (exp: string) => ({ PK: CONFIG_PK, SK: `DENORMALIZE_TAGS#EXP#${exp}` }),
  ttlPolicy: { PK: CONFIG_PK, SK: 'TTL_POLICY' },
  ftsTrigramFields: { PK: CONFIG_PK, SK: 'FTS_TRIGRAM_FIELDS' },
  /** Server settings (e.g. the webhook secret key), one item each. */
  setting: (key: string) => ({ PK: CONFIG_PK, SK: `SETTING#${key}` }),
  /** The layout version of the table's items (docs/dynamodb.md "Versioning"). */
  layout: { PK: CONFIG_PK, SK: 'LAYOUT' },
} as const;

export const workspace = (ws: string) => ({ PK: `WORKSPACE#${ws}`, SK: 'META' });

// ---- experiments ------------------------------------------------------------------------------------------------

export const expPk = (exp: string) => `EXP#${exp}`;
export const experiment = (exp: string) => ({ PK: expPk(exp), SK: 'E#META' });
/** GSI2 listing of a workspace's experiments: `EXPERIMENTS#<ws>` / `<lifecycle>#<pad20 id>`. */
export const experimentList = (ws: string) => `EXPERIMENTS#${ws}`;
export const experimentListSk = (lifecycle: string, exp: string) => `${lifecycle}#${pad20(exp)}`;
/** Uniqueness sentinel of an experiment name (holds the id); written in the experiment's transactions. */
export const experimentName = (ws: string, name: string) => ({ PK: `EXPNAME#${ws}#${name}`, SK: 'NAME' });
/** Trigram items of experiment names: one partition per workspace, `<trigram>#<pad20 id>`. */
export const experimentFtsPk = (ws: string) => `FTS#E#${ws}`;

// ---- runs (in their experiment's partition) ---------------------------------------------------------------------

export const run = (exp: string, runId: string) => ({ PK: expPk(exp), SK: `R#${runId}` });
/** SK prefix of a run's META and every child item. */
export const runPrefix = (runId: string) => `R#${runId}`;
export const runTag = (exp: string, runId: string, key: string) => ({
  PK: expPk(exp),
  SK: `R#${runId}#T#${key}`,
});
export const runParam = (exp: string, runId: string, key: string) => ({
  PK: expPk(exp),
  SK: `R#${runId}#P#${key}`,
});
export const runInput = (exp: string, runId: string, name: string, digest: string) => ({
  PK: expPk(exp),
  SK: `R#${runId}#I#${digest}#${name}`,
});
export const runModelInput = (exp: string, runId: string, modelId: string) => ({
  PK: expPk(exp),
  SK: `R#${runId}#MI#${modelId}`,
});
export const runOutput = (exp: string, runId: string, modelId: string) => ({
  PK: expPk(exp),
  SK: `R#${runId}#O#${modelId}`,
});
/** A dataset of the experiment (one per name + digest). */
export const dataset = (exp: string, name: string, digest: string) => ({
  PK: expPk(exp),
  SK: `D#${digest}#${name}`,
});
/** Run → experiment pointer (immutable), so a run id alone finds its partition with one consistent GetItem. */
export const runPointer = (runId: string) => ({ PK: `RUN#${runId}`, SK: 'RUN' });
/** Trigram items of run names, in the experiment partition: `F#R#<trigram>#<run>`. */
export const runFtsPrefix = 'F#R#';

/**
 * lsi1 of run META: `<lifecycle>#<inverted start_time>#<run id>`, so an ascending query walks MLflow's default
 * order (start_time DESC, run id ASC); a run without start_time sorts last.
 */
export function runLsi1(lifecycle: string, startTime: number | null, runId: string): string {
  const inv = startTime === null ? 'z' : pad20(BigInt(Number.MAX_SAFE_INTEGER) - BigInt(startTime));
  return `${lifecycle}#${inv}#${runId}`;
}
/** lsi3 of run children: values of one key across the experiment, for filters and ordering. */
export const paramLsi3 = (key: string, value: string) => indexKey(`P#${key}#`, value);
export const tagLsi3 = (key: string, value: string) => indexKey(`T#${key}#`, value);

// ---- metric history and latest values (one partition per run) --------------------------------------------

/**
 * `MH#<run>` holds everything a run's metric logging writes, so ingest into a run touches its own partition only:
 * - `K#<key>#<content hash>`: a packed chunk of one key's points (a key with many points in one batch);
 * - `B#<bucket>#<content hash>`: a packed chunk of several keys with few points each (bucket = keyBucket(key));
 * - `L#<shard>`: the latest value of every key whose latestShard(key) is that shard (a map, MLflow's latest rule).
 */
export const historyPk = (runId: string) => `MH#${runId}`;
export const historyOwnSk = (key: string, chunkId: string) => `K#${key}#${chunkId}`;
export const historyBucketSk = (bucket: number, chunkId: string) => `B#${bucket}#${chunkId}`;
export const HISTORY_BUCKETS = 4;
export const LATEST_SHARDS = 4;
export const latestShardKey = (runId: string, shard: number) => ({ PK: historyPk(runId), SK: `L#${shard}` });

/** FNV-1a of a metric key: its history bucket and latest shard (fixed forever: readers depend on it). */
function fnv(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}
export const keyBucket = (key: string) => fnv(key) % HISTORY_BUCKETS;
export const latestShard = (key: string) => (fnv(key) >>> 8) % LATEST_SHARDS;

// ---- logged models (in their experiment's partition) ------------------------------------------------------------

/** SK prefix of every logged-model item of an experiment (META and children). */
export const loggedModelsPrefix = 'LM#';
/** SK of a logged model's META; it is also the prefix of the model's child items (`LM#<model>#...`). */
export const loggedModelSk = (modelId: string) => `LM#${modelId}`;
export const loggedModel = (exp: string, modelId: string) => ({ PK: expPk(exp), SK: loggedModelSk(modelId) });
export const loggedModelTag = (exp: string, modelId: string, key: string) => ({
  PK: expPk(exp),
  SK: `LM#${modelId}#T#${key}`,
});
export const loggedModelParam = (exp: string, modelId: string, key: string) => ({
  PK: expPk(exp),
  SK: `LM#${modelId}#P#${key}`,
});
/** One metric point of a model: unique per (metric name, timestamp, step, run), as the SQL primary key. */
export const loggedModelMetric = (
  exp: string,
  modelId: string,
  name: string,
  timestamp: number,
  step: number,
  runId: string,
) => ({
  PK: expPk(exp),
  SK: `LM#${modelId}#M#${name}#${sortableInt(timestamp)}#${sortableInt(step)}#${runId}`,
});
/** Model → experiment pointer (immutable, written with the META in one transaction; neither is ever deleted). */
export const loggedModelPointer = (modelId: string) => ({ PK: `LMODEL#${modelId}`, SK: 'LMODEL' });
/**
 * lsi4 of a live model's META (removed when the model is deleted): `LM#<inverted creation ms>#<model id>`, so an
 * ascending query walks the default order (creation_timestamp_ms DESC, model_id ASC).
 */
export const loggedModelLsi4 = (creationMs: number, modelId: string) =>
  `LM#${pad20(BigInt(Number.MAX_SAFE_INTEGER) - BigInt(creationMs))}#${modelId}`;

// ---- webhooks (one partition per workspace) ---------------------------------------------------------------------

export const webhooksPk = (ws: string) => `WEBHOOKS#${ws}`;
/** A webhook's META (soft-deleted ones stay, with `deleted_timestamp` and without lsi1sk). */
export const webhook = (ws: string, id: string) => ({ PK: webhooksPk(ws), SK: `W#${id}` });
/** lsi1 of a live webhook's META: `W#<inverted creation ms>#<id>`, newest first (ties by id) in ascending order. */
export const webhookLsi1 = (creationMs: number, id: string) =>
  `W#${pad20(BigInt(Number.MAX_SAFE_INTEGER) - BigInt(creationMs))}#${id}`;
/** Subscription of a live webhook to one event: `EV#<entity>#<action>#<id>` (deleted with the subscription). */
export const webhookEventPrefix = (entity: string, action: string) => `EV#${entity}#${action}#`;
export const webhookEvent = (ws: string, entity: string, action: string, id: string) => ({
  PK: webhooksPk(ws),
  SK: `${webhookEventPrefix(entity, action)}${id}`,
});

/** One packed chunk of a key's points: `<key>#<content hash>` (a retried batch rewrites the same item). */
export const historySk = (key: string, chunkId: string) => `${key}#${chunkId}`;

// ---- model registry ---------------------------------------------------------------------------------------------
//
// A registered model is one partition `RM#<id>` (an opaque id fixed at creation, so a rename moves no item):
//   META                     the model (name, times, description, version counter, stage epoch, prompt flag)
//   A#<alias>                an alias → version number
//   T#<key>                  a model tag
//   V#<pad8 version>         a version
//   V#<pad8 version>#T#<key> a tag of that version
// SK order puts A# < META < T# < V#, so `SK < 'V#'` reads the model without its versions and `V#<pad8>` prefixes
// read one version with its tags. Names reach the partition through a sentinel item; listings, run-id lookups and
// substring search go through indexes.

/** Zero-padded version number (8 digits), so SK order is numeric order. */
export const pad8 = (n: number): string => String(n).padStart(8, '0');

export const modelPk = (id: string) => `RM#${id}`;
export const modelMeta = (id: string) => ({ PK: modelPk(id), SK: 'META' });
export const modelTag = (id: string, key: string) => ({ PK: modelPk(id), SK: `T#${key}` });
export const modelAlias = (id: string, alias: string) => ({ PK: modelPk(id), SK: `A#${alias}` });
export const modelVersionSk = (version: number) => `V#${pad8(version)}`;
export const modelVersion = (id: string, version: number) => ({
  PK: modelPk(id),
  SK: modelVersionSk(version),
});
export const modelVersionTag = (id: string, version: number, key: string) => ({
  PK: modelPk(id),
  SK: `${modelVersionSk(version)}#T#${key}`,
});
/** SK bounds: everything of a model before its versions; the alias items through META. */
export const MODEL_VERSIONS_FROM = 'V#';
export const MODEL_ALIASES_FROM = 'A#';

/**
 * Uniqueness sentinel of a registered model name (holds the model id); written, moved and deleted only in the
 * model's transactions. Names have no length limit, so a name too long for a partition key is stored by its
 * SHA-256 under another SK (`NAME` vs `HASH` keeps the two forms apart).
 */
export function modelName(ws: string, name: string): { PK: string; SK: string } {
  if (Buffer.byteLength(name, 'utf8') <= INDEX_KEY_BYTES) return { PK: `RMNAME#${ws}#${name}`, SK: 'NAME' };
  const digest = createHash('sha256').update(name, 'utf8').digest('hex');
  return { PK: `RMNAME#${ws}#${digest}`, SK: 'HASH' };
}

/** GSI2 listing of a workspace's registered models (META items): `MODELS#<ws>` / name (truncated to fit). */
export const modelList = (ws: string) => `MODELS#${ws}`;
export const modelListSk = (name: string) => indexKey('', name);

/**
 * lsi1 of live version items (not deleted, not pending): `<stage>#<pad8 version>`, so a descending query on one
 * stage's prefix finds its latest version.
 */
export const versionStageLsi1 = (stage: string, version: number) => `${stage}#${pad8(version)}`;

/** GSI3 of live versions with a run id: `MVRUN#<ws>#<run id>` / `<model id>#<pad8 version>`. */
export const versionRunGsi3 = (ws: string, runId: string) => indexKey(`MVRUN#${ws}#`, runId);
export const versionRunGsi3Sk = (id: string, version: number) => `${id}#${pad8(version)}`;

/** Trigram items of registered model names: one partition per workspace, `<trigram>#<model id>`. */
export const modelFtsPk = (ws: string) => `FTS#RM#${ws}`;
export const modelFtsSk = (trigram: string, id: string) => `${trigram}#${id}`;
/** Models whose names are too long to index by trigrams (always substring-search candidates): SK = model id. */
export const modelFtsLongPk = (ws: string) => `FTSLONG#RM#${ws}`;

/** A deleted model whose items are still being removed (its id and last name); gone when cleanup completes. */
export const modelTombstonePk = (ws: string) => `RMDEL#${ws}`;
export const modelTombstone = (ws: string, id: string) => ({ PK: modelTombstonePk(ws), SK: id });
