import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  BatchWriteCommand,
  DeleteCommand,
  type DeleteCommandInput,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  type PutCommandInput,
  QueryCommand,
  type QueryCommandInput,
  TransactWriteCommand,
  type TransactWriteCommandInput,
  UpdateCommand,
  type UpdateCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { invalidParam, MlflowError } from '../../domain/errors.js';

export type Item = Record<string, unknown>;
export type Key = { PK: string; SK: string };

/** The table key of an item. */
export const keyOf = (i: Item): Key => ({ PK: i.PK as string, SK: i.SK as string });
interface Conditioned {
  ConditionExpression?: string;
  ExpressionAttributeNames?: Record<string, string>;
  ExpressionAttributeValues?: Record<string, unknown>;
}
/** One item of a TransactWriteItems call (the table is filled in by Ddb.transact). */
export type TransactItem =
  | { Put: { Item: Item } & Conditioned }
  | { Delete: { Key: Key } & Conditioned }
  | { Update: { Key: Key; UpdateExpression: string } & Conditioned }
  | { ConditionCheck: { Key: Key; ConditionExpression: string } & Conditioned };
type SdkTransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/** Capacity consumed through one Ddb, by operation (benchmark W12 reads it). */
export interface CapacityMeter {
  read: number;
  write: number;
  requests: Record<string, number>;
  /**
   * Write units by partition key. Single-item writes are attributed exactly; a batch or transaction's total is
   * split over its items in proportion to their encoded size (DynamoDB reports it per table only).
   */
  writeByPk: Map<string, number>;
}

const approxSize = (v: unknown): number =>
  v instanceof Uint8Array
    ? v.length
    : JSON.stringify(v, (_k, x) =>
        x instanceof Uint8Array ? 'x'.repeat(x.length) : x instanceof Set ? [...x] : x,
      ).length;

const TRANSIENT = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'InternalServerError',
  'InternalFailure',
  'ServiceUnavailable',
  'TransactionInProgressException',
  'LimitExceededException',
]);

/** True when a conditional write (or one item of a transaction) failed its condition. */
export function conditionFailed(e: unknown): boolean {
  const name = (e as { name?: string }).name;
  if (name === 'ConditionalCheckFailedException') return true;
  if (name !== 'TransactionCanceledException') return false;
  const reasons = (e as { CancellationReasons?: { Code?: string }[] }).CancellationReasons ?? [];
  return reasons.some((r) => r.Code === 'ConditionalCheckFailed');
}

/** Indexes (in TransactItems order) of the transaction items whose condition failed. */
export function failedConditions(e: unknown): number[] {
  const reasons = (e as { CancellationReasons?: { Code?: string }[] }).CancellationReasons ?? [];
  return reasons.flatMap((r, i) => (r.Code === 'ConditionalCheckFailed' ? [i] : []));
}

/** AWS errors → MLflow errors: throttling and outages are 503 (the client retries), oversize items are 400. */
export function translate(e: unknown): unknown {
  if (e instanceof MlflowError) return e;
  const err = e as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  const name = err.name ?? '';
  const status = err.$metadata?.httpStatusCode;
  const transientCancel =
    name === 'TransactionCanceledException' &&
    ((e as { CancellationReasons?: { Code?: string }[] }).CancellationReasons ?? []).some(
      (r) =>
        r.Code === 'TransactionConflict' ||
        r.Code === 'ThrottlingError' ||
        r.Code === 'ProvisionedThroughputExceeded',
    );
  const network = /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|socket hang up|EAI_AGAIN/.test(err.message ?? '');
  if (TRANSIENT.has(name) || transientCancel || network || (status !== undefined && status >= 500)) {
    const out = new MlflowError(
      'TEMPORARILY_UNAVAILABLE',
      `DynamoDB is temporarily unavailable, retry later: ${err.message ?? name}`,
    );
    out.cause = e;
    return out;
  }
  if (name === 'ValidationException' && /size has exceeded|Item size/i.test(err.message ?? '')) {
    return invalidParam(`The value is too large for DynamoDB's 400 KB item limit: ${err.message}`);
  }
  return e;
}

/**
 * The DynamoDB access of the store: the document client (plain JS values), consistent reads by default, all
 * pages of a query, batch reads/writes that retry unprocessed items, and AWS errors translated to MLflow's.
 */
export class Ddb {
  readonly doc: DynamoDBDocumentClient;
  readonly meter: CapacityMeter = { read: 0, write: 0, requests: {}, writeByPk: new Map() };
  /** Turned on by benchmark W12 only (it costs a JSON encoding per written item). */
  meterPartitions = false;

  /** Splits one request's write units over the items it wrote (by encoded size). */
  private attribute(items: readonly { PK?: unknown }[], units: number): void {
    if (!this.meterPartitions || items.length === 0) return;
    const sizes = items.map(approxSize);
    const total = sizes.reduce((a, b) => a + b, 0) || 1;
    items.forEach((it, i) => {
      const pk = String(it.PK);
      this.meter.writeByPk.set(pk, (this.meter.writeByPk.get(pk) ?? 0) + (units * sizes[i]!) / total);
    });
  }

  constructor(
    readonly table: string,
    clientConfig: DynamoDBClientConfig,
    readonly raw = new DynamoDBClient(clientConfig),
  ) {
    this.doc = DynamoDBDocumentClient.from(raw, {
      // Numbers beyond 2^53 arrive from JSON already rounded; store them as the doubles they are.
      marshallOptions: { removeUndefinedValues: true, allowImpreciseNumbers: true },
    });
  }

  private count(op: string, consumed: unknown): number {
    const writeBefore = this.meter.write;
    this.meter.requests[op] = (this.meter.requests[op] ?? 0) + 1;
    const list = Array.isArray(consumed) ? consumed : consumed === undefined ? [] : [consumed];
    for (const c of list as {
      ReadCapacityUnits?: number;
      WriteCapacityUnits?: number;
      CapacityUnits?: number;
    }[]) {
      this.meter.read += c.ReadCapacityUnits ?? 0;
      this.meter.write += c.WriteCapacityUnits ?? 0;
      if (c.ReadCapacityUnits === undefined && c.WriteCapacityUnits === undefined) {
        // Some emulators only report CapacityUnits: reads and writes are told apart by the operation.
        if (/Get|Query/.test(op)) this.meter.read += c.CapacityUnits ?? 0;
        else this.meter.write += c.CapacityUnits ?? 0;
      }
    }
    return this.meter.write - writeBefore;
  }

  private async send<T extends { ConsumedCapacity?: unknown }>(
    op: string,
    fn: () => Promise<T>,
    written?: readonly { PK?: unknown }[],
  ): Promise<T> {
    try {
      const out = await fn();
      const units = this.count(op, out.ConsumedCapacity);
      if (written !== undefined) this.attribute(written, units);
      return out;
    } catch (e) {
      throw translate(e);
    }
  }

  async get<T = Item>(key: Key, consistent = true): Promise<T | undefined> {
    const out = await this.send('GetItem', () =>
      this.doc.send(
        new GetCommand({
          TableName: this.table,
          Key: key,
          ConsistentRead: consistent,
          ReturnConsumedCapacity: 'TOTAL',
        }),
      ),
    );
    return out.Item as T | undefined;
  }

  async put(item: Item, extra: Omit<PutCommandInput, 'TableName' | 'Item'> = {}): Promise<void> {
    await this.send(
      'PutItem',
      () =>
        this.doc.send(
          new PutCommand({ TableName: this.table, Item: item, ReturnConsumedCapacity: 'TOTAL', ...extra }),
        ),
      [item],
    );
  }

  async update<T = Item>(input: Omit<UpdateCommandInput, 'TableName'>): Promise<T | undefined> {
    const out = await this.send(
      'UpdateItem',
      () =>
        this.doc.send(
          new UpdateCommand({ TableName: this.table, ReturnConsumedCapacity: 'TOTAL', ...input }),
        ),
      [input.Key as Key],
    );
    return out.Attributes as T | undefined;
  }

  async delete(
    key: Key,
    extra: Omit<DeleteCommandInput, 'TableName' | 'Key'> = {},
  ): Promise<Item | undefined> {
    const out = await this.send(
      'DeleteItem',
      () =>
        this.doc.send(
          new DeleteCommand({ TableName: this.table, Key: key, ReturnConsumedCapacity: 'TOTAL', ...extra }),
        ),
      [key],
    );
    return out.Attributes;
  }

  /** One page of a query. */
  async queryPage(
    input: Omit<QueryCommandInput, 'TableName'>,
  ): Promise<{ items: Item[]; lastKey?: Record<string, unknown> }> {
    const consistent = input.IndexName === undefined || input.IndexName.startsWith('lsi');
    const out = await this.send('Query', () =>
      this.doc.send(
        new QueryCommand({
          TableName: this.table,
          ConsistentRead: consistent,
          ReturnConsumedCapacity: 'TOTAL',
          ...input,
        }),
      ),
    );
    const page: { items: Item[]; lastKey?: Record<string, unknown> } = { items: out.Items ?? [] };
    if (out.LastEvaluatedKey !== undefined) page.lastKey = out.LastEvaluatedKey;
    return page;
  }

  /** Every item of a query (all pages), up to `max` items when given. */
  async query(input: Omit<QueryCommandInput, 'TableName'>, max = Number.POSITIVE_INFINITY): Promise<Item[]> {
    const items: Item[] = [];
    let start = input.ExclusiveStartKey;
    do {
      const page = await this.queryPage(start === undefined ? input : { ...input, ExclusiveStartKey: start });
      items.push(...page.items);
      start = page.lastKey;
    } while (start !== undefined && items.length < max);
    return items.length > max ? items.slice(0, max) : items;
  }

  /** Items of a partition whose SK starts with `prefix` (consistent). */
  prefix(pk: string, prefix: string, extra: Omit<QueryCommandInput, 'TableName'> = {}): Promise<Item[]> {
    return this.query({
      KeyConditionExpression: 'PK = :pk AND begins_with(SK, :p)',
      ExpressionAttributeValues: { ':pk': pk, ':p': prefix },
      ...extra,
    });
  }

  async transact(items: TransactItem[], token?: string): Promise<void> {
    if (items.length === 0) return;
    const withTable = items.map((i) => {
      const [kind, body] = Object.entries(i)[0] as [string, Item];
      return { [kind]: { TableName: this.table, ...body } } as SdkTransactItem;
    });
    const touched = items.map((i) => {
      const body = Object.values(i)[0] as { Item?: Item; Key?: Key };
      return (body.Item ?? body.Key)!;
    });
    await this.send(
      'TransactWriteItems',
      () =>
        this.doc.send(
          new TransactWriteCommand({
            TransactItems: withTable,
            ReturnConsumedCapacity: 'TOTAL',
            ...(token === undefined ? {} : { ClientRequestToken: token }),
          }),
        ),
      touched,
    );
  }

  /** Consistent reads of many keys (100 per request), unprocessed keys retried; missing items are absent. */
  async batchGet(keys: Key[]): Promise<Item[]> {
    const out: Item[] = [];
    for (let i = 0; i < keys.length; i += 100) {
      let pending: Key[] = keys.slice(i, i + 100);
      for (let attempt = 0; pending.length > 0; attempt++) {
        const res = await this.send('BatchGetItem', () =>
          this.doc.send(
            new BatchGetCommand({
              RequestItems: { [this.table]: { Keys: pending, ConsistentRead: true } },
              ReturnConsumedCapacity: 'TOTAL',
            }),
          ),
        );
        out.push(...(res.Responses?.[this.table] ?? []));
        pending = (res.UnprocessedKeys?.[this.table]?.Keys ?? []) as Key[];
        if (pending.length > 0) await backoff(attempt);
      }
    }
    return out;
  }

  /** Puts and deletes, 25 per request, unprocessed ones retried. Not atomic: every write must be idempotent. */
  async batchWrite(puts: Item[], deletes: Key[] = []): Promise<void> {
    const reqs = [
      ...puts.map((Item) => ({ PutRequest: { Item } })),
      ...deletes.map((Key) => ({ DeleteRequest: { Key } })),
    ];
    for (let i = 0; i < reqs.length; i += 25) {
      let pending: typeof reqs = reqs.slice(i, i + 25);
      for (let attempt = 0; pending.length > 0; attempt++) {
        const sent = pending.map(
          (r) => ('PutRequest' in r ? r.PutRequest!.Item : r.DeleteRequest!.Key) as Item,
        );
        const res = await this.send(
          'BatchWriteItem',
          () =>
            this.doc.send(
              new BatchWriteCommand({
                RequestItems: { [this.table]: pending },
                ReturnConsumedCapacity: 'TOTAL',
              }),
            ),
          sent,
        );
        pending = (res.UnprocessedItems?.[this.table] ?? []) as typeof reqs;
        if (pending.length > 0) {
          if (attempt >= 8)
            throw translate({ name: 'ThrottlingException', message: 'unprocessed batch writes' });
          await backoff(attempt);
        }
      }
    }
  }

  close(): void {
    this.doc.destroy();
    this.raw.destroy();
  }
}

const backoff = (attempt: number) =>
  new Promise((r) => setTimeout(r, Math.min(1000, 20 * 2 ** attempt) * (0.5 + Math.random() / 2)));
