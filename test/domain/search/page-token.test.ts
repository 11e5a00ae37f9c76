import { describe, expect, it } from 'vitest';
import {
  decodeOffsetToken,
  encodeOffsetToken,
  encodePageToken,
  loggedModelTokenFields,
} from '../../../src/domain/search/page-token.js';
import { expectInvalid } from './helpers.js';

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

describe('encodePageToken', () => {
  it("matches Python's base64.b64encode(json.dumps(...))", () => {
    expect(encodeOffsetToken(100)).toBe('eyJvZmZzZXQiOiAxMDB9'); // {"offset": 100}
    expect(Buffer.from(encodePageToken({ a: [1, 'é'], b: null, c: true }), 'base64').toString()).toBe(
      '{"a": [1, "\\u00e9"], "b": null, "c": true}',
    );
  });

  it('round-trips', () => {
    for (const n of [0, 1, 1000, 2 ** 40]) expect(decodeOffsetToken(encodeOffsetToken(n))).toBe(n);
  });
});

describe('decodeOffsetToken', () => {
  it('gives 0 for absent or empty tokens', () => {
    expect(decodeOffsetToken(undefined)).toBe(0);
    expect(decodeOffsetToken('')).toBe(0);
  });

  it('accepts compact JSON and digit strings', () => {
    expect(decodeOffsetToken(b64('{"offset":7}'))).toBe(7);
    expect(decodeOffsetToken(b64('{"offset": "12"}'))).toBe(12);
  });

  it('rejects bad base64', () => {
    for (const bad of ['not base64!', 'abc', 'ab=c', '====', 'eyJvZmZzZXQiOiAxMDB9\n']) {
      expectInvalid(() => decodeOffsetToken(bad), 'Invalid page token, could not base64-decode');
    }
    expectInvalid(
      () => decodeOffsetToken(Buffer.from([0xff, 0xfe, 0x00]).toString('base64')),
      'could not base64-decode',
    );
  });

  it('rejects bad JSON and bad offsets', () => {
    expectInvalid(() => decodeOffsetToken(b64('hello')), 'Invalid page token, decoded value=hello');
    for (const json of [
      '5',
      '[1]',
      'null',
      '{}',
      '{"offset": -1}',
      '{"offset": 1.5}',
      '{"offset": "x"}',
      '{"offset": true}',
      '{"offset": 1e300}',
    ]) {
      expectInvalid(() => decodeOffsetToken(b64(json)), `Invalid page token, parsed value=${json}`);
    }
  });

  it('rejects overlong tokens', () => {
    expectInvalid(() => decodeOffsetToken('A'.repeat(4100)), 'Invalid page token');
  });

  it('checks the request fields a logged-model token carries', () => {
    const fields = loggedModelTokenFields(['1', '2'], "name = 'a'", [
      { field_name: 'name', ascending: true },
    ]);
    const token = encodePageToken({ ...fields, offset: 50 });
    expect(Buffer.from(token, 'base64').toString()).toBe(
      '{"experiment_ids": ["1", "2"], "filter_string": "name = \'a\'", ' +
        '"order_by": [{"field_name": "name", "ascending": true}], "offset": 50}',
    );
    expect(decodeOffsetToken(token, fields)).toBe(50);
    expectInvalid(
      () => decodeOffsetToken(token, { ...fields, experiment_ids: ['1'] }),
      'Experiment IDs in the page token do not match the requested experiment IDs',
    );
    expectInvalid(
      () => decodeOffsetToken(token, { ...fields, filter_string: null }),
      'Filter string in the page token does not match the requested filter string',
    );
    expectInvalid(
      () => decodeOffsetToken(token, { ...fields, order_by: [{ field_name: 'name', ascending: false }] }),
      'Order by in the page token does not match the requested order by',
    );
    expectInvalid(
      () => decodeOffsetToken(token, { other: 1 }),
      "Field 'other' in the page token does not match",
    );
  });

  it('treats absent, empty and null request fields alike', () => {
    const fields = loggedModelTokenFields(['1'], '', []);
    expect(fields).toEqual({ experiment_ids: ['1'], filter_string: null, order_by: null });
    const token = encodePageToken({ experiment_ids: ['1'], offset: 3 });
    expect(decodeOffsetToken(token, fields)).toBe(3);
    expect(decodeOffsetToken(token, loggedModelTokenFields(['1'], undefined, undefined))).toBe(3);
  });
});
