import { randomUUID } from 'node:crypto';
import type { KeyValue } from '../../domain/entities/common.js';
import { MlflowError } from '../../domain/errors.js';
import { conditionFailed, type Ddb, failedConditions, type TransactItem } from './ddb.js';
import * as K from './keys.js';
import { resolveModel } from './registry-items.js';

/**
 * How the model registry writes: transactions sized to DynamoDB's limits, retried while they conflict with
 * concurrent transactions on the same items, and always conditioned on the model's META, so a write resolves the
 * model's name again when the model was renamed or deleted under it.
 */

/** Items of one TransactWriteItems besides the fixed ones (DynamoDB allows 100 actions and 4 MB). */
export const TX_MAX_EXTRA = 90;
const TX_MAX_BYTES = 3_000_000;

/** How many of `tags` fit in a transaction next to a few fixed items (count and size). */
export function tagsFittingTx(tags: readonly KeyValue[]): number {
  let bytes = 0;
  for (const [i, t] of tags.entries()) {
    bytes += Buffer.byteLength(t.key, 'utf8') * 2 + Buffer.byteLength(t.value, 'utf8') + 200;
    if (i >= TX_MAX_EXTRA || bytes > TX_MAX_BYTES) return i;
  }
  return tags.length;
}

/** A transaction that another transaction or write on the same items cancelled (nothing was written). */
function conflicted(e: unknown): boolean {
  const err = (e instanceof MlflowError ? e.cause : e) as
    | { name?: string; CancellationReasons?: { Code?: string }[] }
    | undefined;
  if (err === undefined || err === null) return false;
  if (err.name === 'TransactionConflictException') return true;
  return (
    err.name === 'TransactionCanceledException' &&
    (err.CancellationReasons ?? []).some((r) => r.Code === 'TransactionConflict')
  );
}

/**
 * Runs one DynamoDB write, retrying while it conflicts with a concurrent transaction on the same items (writers of
 * one model all touch its META). A conflicted write wrote nothing, so the retry is safe.
 */
export async function retryConflicts<T>(write: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await write();
    } catch (e) {
      if (!conflicted(e)) throw e;
      if (attempt >= 12) throw contention();
      await pause(attempt);
    }
  }
}

/** Jittered exponential pause before attempt `attempt + 1` of a write that lost a race. */
export const pause = (attempt: number): Promise<void> =>
  new Promise((r) => setTimeout(r, Math.min(500, 5 * 2 ** attempt) * (0.5 + Math.random())));

/** 503 for a write that kept losing races with other writers of the same model (the client retries). */
export const contention = (): MlflowError =>
  new MlflowError(
    'TEMPORARILY_UNAVAILABLE',
    'Too many concurrent changes to this registered model, retry later.',
  );

/** TransactWriteItems with conflict retries; each attempt has its own idempotency token (SDK retries reuse it). */
export const transact = (ddb: Ddb, items: TransactItem[]): Promise<void> =>
  retryConflicts(() => ddb.transact(items, randomUUID()));

/** Thrown when the model changed (renamed or deleted) between resolving its name and writing: resolve again. */
export class StaleModel extends Error {}

/** True when the failure is the model's META condition (index 0 of the transaction, or a single-item update). */
export function metaConditionFailed(e: unknown): boolean {
  if (!conditionFailed(e)) return false;
  return (
    (e as { name?: string }).name === 'ConditionalCheckFailedException' || failedConditions(e).includes(0)
  );
}

/** The condition on a model's META that every write into its partition carries (exists, still this name). */
export function metaCheck(id: string, name: string): TransactItem {
  return {
    ConditionCheck: {
      Key: K.modelMeta(id),
      ConditionExpression: 'attribute_exists(PK) AND #n = :name',
      ExpressionAttributeNames: { '#n': 'name' },
      ExpressionAttributeValues: { ':name': name },
    },
  };
}

/**
 * Runs `op` for the model the name resolves to; when the model was renamed or deleted under it (StaleModel, or a
 * failed META condition) the name is resolved again, so the outcome is that of `op` before or after the change.
 */
export async function onModel<T>(
  ddb: Ddb,
  name: string,
  missing: () => Error,
  op: (id: string) => Promise<T>,
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    const id = await resolveModel(ddb, name);
    if (id === undefined) throw missing();
    try {
      return await op(id);
    } catch (e) {
      if (!(e instanceof StaleModel || metaConditionFailed(e))) throw e;
      if (attempt >= 20) throw contention();
    }
  }
}

/** The META update every version write that bumps the model carries (index 0 of its transaction). */
export function touchMeta(id: string, name: string, now: number): TransactItem {
  return {
    Update: {
      Key: K.modelMeta(id),
      UpdateExpression: 'SET last_updated_time = :now',
      ConditionExpression: 'attribute_exists(PK) AND #n = :name',
      ExpressionAttributeNames: { '#n': 'name' },
      ExpressionAttributeValues: { ':now': now, ':name': name },
    },
  };
}

/** True when only the version's condition (index 1) failed: the version is missing or not live. */
export const versionConditionFailed = (e: unknown): boolean =>
  conditionFailed(e) && failedConditions(e).includes(1) && !failedConditions(e).includes(0);

/** Attempts of a write whose conditions a concurrent writer of the same model can spoil (each failure = progress). */
export const MAX_ATTEMPTS = 25;
