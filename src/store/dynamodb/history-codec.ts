import { createHash } from 'node:crypto';
import { deflateRawSync, inflateRawSync } from 'node:zlib';

/**
 * Packed metric history. One item holds the points of one metric key from one log-batch call: a raw-deflated
 * array of (step int64, timestamp int64, value float64) little-endian records, 24 bytes each before compression
 * (NaN and ±Infinity are ordinary doubles here). A 1000-point chunk is ~24 KB raw and less compressed, far under
 * DynamoDB's 400 KB item limit; `MAX_POINTS` keeps any single chunk below it.
 *
 * The item's sort key carries a hash of the chunk's content, so a retried batch rewrites the same item instead of
 * adding a copy; readers still drop identical points across chunks, as the SQL stores' primary key does.
 */
export interface Point {
  step: number;
  timestamp: number;
  value: number;
}

export const RECORD_BYTES = 24;
/** Points per chunk: 16k × 24 B = 384 KB raw, so even incompressible data fits one item. */
export const MAX_POINTS = 16_000;

export function encodeChunk(points: readonly Point[]): Uint8Array {
  const buf = Buffer.alloc(points.length * RECORD_BYTES);
  points.forEach((p, i) => {
    const o = i * RECORD_BYTES;
    buf.writeBigInt64LE(BigInt(Math.trunc(p.step)), o);
    buf.writeBigInt64LE(BigInt(Math.trunc(p.timestamp)), o + 8);
    buf.writeDoubleLE(p.value, o + 16);
  });
  return deflateRawSync(buf);
}

export function decodeChunk(data: Uint8Array): Point[] {
  const buf = inflateRawSync(data);
  const out: Point[] = [];
  for (let o = 0; o + RECORD_BYTES <= buf.length; o += RECORD_BYTES) {
    out.push({
      step: Number(buf.readBigInt64LE(o)),
      timestamp: Number(buf.readBigInt64LE(o + 8)),
      value: buf.readDoubleLE(o + 16),
    });
  }
  return out;
}

/**
 * A bucket chunk: points of several keys, each record prefixed with the uint16 index of its key in `keys` (the
 * item's `k` attribute). 26 bytes a record before compression.
 */
export const BUCKET_RECORD_BYTES = 26;

export function encodeBucketChunk(entries: readonly { keyIndex: number; point: Point }[]): Uint8Array {
  const buf = Buffer.alloc(entries.length * BUCKET_RECORD_BYTES);
  entries.forEach(({ keyIndex, point: p }, i) => {
    const o = i * BUCKET_RECORD_BYTES;
    buf.writeUInt16LE(keyIndex, o);
    buf.writeBigInt64LE(BigInt(Math.trunc(p.step)), o + 2);
    buf.writeBigInt64LE(BigInt(Math.trunc(p.timestamp)), o + 10);
    buf.writeDoubleLE(p.value, o + 18);
  });
  return deflateRawSync(buf);
}

/** The points of key index `keyIndex` in a bucket chunk. */
export function decodeBucketChunk(data: Uint8Array, keyIndex: number): Point[] {
  const buf = inflateRawSync(data);
  const out: Point[] = [];
  for (let o = 0; o + BUCKET_RECORD_BYTES <= buf.length; o += BUCKET_RECORD_BYTES) {
    if (buf.readUInt16LE(o) !== keyIndex) continue;
    out.push({
      step: Number(buf.readBigInt64LE(o + 2)),
      timestamp: Number(buf.readBigInt64LE(o + 10)),
      value: buf.readDoubleLE(o + 18),
    });
  }
  return out;
}

/** Content id of a chunk (16 hex digits of SHA-256 over the run, key and encoded points). */
export function chunkId(runId: string, key: string, encoded: Uint8Array): string {
  return createHash('sha256')
    .update(runId)
    .update('\0')
    .update(key)
    .update('\0')
    .update(encoded)
    .digest('hex')
    .slice(0, 16);
}

/** Identity of a point for de-duplication (NaN payloads normalised). */
export const pointId = (p: Point): string =>
  `${p.step}|${p.timestamp}|${Number.isNaN(p.value) ? 'NaN' : Object.is(p.value, -0) ? '0' : String(p.value)}`;

/** Points in MLflow's history order: timestamp, step, value (NaN as the SQL stores sort it: as 0). */
export function historyOrder(a: Point, b: Point): number {
  const va = Number.isNaN(a.value) ? 0 : a.value;
  const vb = Number.isNaN(b.value) ? 0 : b.value;
  return a.timestamp - b.timestamp || a.step - b.step || (va < vb ? -1 : va > vb ? 1 : 0);
}

/** The sampling order of get-history-bulk-interval: step, timestamp, value. */
export function stepOrder(a: Point, b: Point): number {
  const va = Number.isNaN(a.value) ? 0 : a.value;
  const vb = Number.isNaN(b.value) ? 0 : b.value;
  return a.step - b.step || a.timestamp - b.timestamp || (va < vb ? -1 : va > vb ? 1 : 0);
}
