import { describe, expect, it } from 'vitest';
import {
  parseFilterString,
  parseOrderByClause,
  pyList,
  splitIdentifier,
} from '../../../src/domain/search/parser.js';
import { expectInvalid } from './helpers.js';

const simple = (filter: string) =>
  parseFilterString(filter).map((c) => ({ id: c.identifier.text, op: c.op, value: c.value }));

describe('parseFilterString', () => {
  it('gives [] for absent, empty and blank filters', () => {
    expect(parseFilterString(undefined)).toEqual([]);
    expect(parseFilterString('')).toEqual([]);
    expect(parseFilterString('   \n\t')).toEqual([]);
  });

  it('parses AND-ed comparisons (AND in any case)', () => {
    expect(simple('metrics.acc >= 0.9 AND params.model = \'lr\' and tags.x != "y"')).toEqual([
      { id: 'metrics.acc', op: '>=', value: { kind: 'number', value: 0.9, text: '0.9' } },
      { id: 'params.model', op: '=', value: { kind: 'string', value: 'lr', text: "'lr'" } },
      { id: 'tags.x', op: '!=', value: { kind: 'string', value: 'y', text: '"y"' } },
    ]);
  });

  it('parses every operator form', () => {
    const ops = (f: string) => parseFilterString(f).map((c) => c.op);
    expect(ops('a = 1 AND a != 1 AND a < 1 AND a <= 1 AND a > 1 AND a >= 1 AND a <> 1 AND a == 1')).toEqual([
      '=',
      '!=',
      '<',
      '<=',
      '>',
      '>=',
      '<>',
      '==',
    ]);
    expect(ops("a like 'x' AND a ILike 'x' AND a in ('x') AND a not IN ('x')")).toEqual([
      'LIKE',
      'ILIKE',
      'IN',
      'NOT IN',
    ]);
    expect(simple('tags.a IS NULL AND tags.b is not null')).toEqual([
      { id: 'tags.a', op: 'IS NULL', value: { kind: 'none', text: '' } },
      { id: 'tags.b', op: 'IS NOT NULL', value: { kind: 'none', text: '' } },
    ]);
  });

  it('takes a double-quoted string on the left as a key and a bare word on the right as a bare value', () => {
    const [c] = parseFilterString('"run name" = RUNNING');
    expect(c?.identifier.parts).toEqual([{ name: 'run name', quote: '"' }]);
    expect(c?.value).toEqual({ kind: 'bare', text: 'RUNNING' });
  });

  it('parses IN lists', () => {
    expect(simple("run_id IN ('a', \"b\",'c',)")[0]?.value).toEqual({
      kind: 'list',
      values: ['a', 'b', 'c'],
      text: "('a', \"b\",'c',)",
    });
    expect(simple("run_id IN ('a')")[0]?.value).toMatchObject({ values: ['a'] });
  });

  it('rejects bad IN lists', () => {
    expectInvalid(() => parseFilterString('run_id IN ()'), 'but got empty list');
    expectInvalid(() => parseFilterString("run_id IN ('a', 1)"), 'but got different type in list');
    expectInvalid(() => parseFilterString("run_id IN ('a' 'b')"), 'ill-formed list');
    expectInvalid(() => parseFilterString("run_id IN ('a',, 'b')"), 'ill-formed list');
    expectInvalid(() => parseFilterString("run_id IN ('a'"), 'ill-formed list');
    expectInvalid(() => parseFilterString('run_id IN (a)'), 'ill-formed list');
    expectInvalid(() => parseFilterString("run_id IN 'a'"), 'Invalid clause(s) in filter string');
    expectInvalid(() => parseFilterString("run_id = ('a')"), 'Invalid clause(s) in filter string');
  });

  it('rejects several statements', () => {
    expectInvalid(
      () => parseFilterString('metrics.acc >= 0.94; metrics.rmse < 1'),
      "Search filter contained multiple expression 'metrics.acc >= 0.94; metrics.rmse < 1'. Provide AND-ed expression list.",
    );
    expectInvalid(() => parseFilterString('metrics.acc >= 0.94;'), "Invalid clause(s) in filter string: ';'");
  });

  it.each([
    ["metrics.A > 0.1 OR params.B = 'LR'", "'OR params.B = 'LR''"],
    ["metrics.A > 0.1 NAND params.B = 'LR'", "'NAND params.B = 'LR''"],
    ["metrics.A > 0.1 AND (params.B = 'LR')", "'(params.B = 'LR')'"],
    ["NOT params.B = 'LR'", "'NOT params.B = 'LR''"],
    ["params.B NOT LIKE 'LR'", "'params.B NOT LIKE 'LR''"],
    ['metrics.A > 0.1 AND', "'AND'"],
    ['AND metrics.A > 0.1', "'AND metrics.A > 0.1'"],
    ['metrics.A > 0.1 AND AND metrics.B > 1', "'AND metrics.B > 1'"],
    ['metrics.A > 0.1 metrics.B > 1', "'metrics.B > 1'"],
    ['metrics.A >', "'metrics.A >'"],
    ['metrics.A', "'metrics.A'"],
    ['metrics.A 1', "'metrics.A 1'"],
    ['tags.a IS', "'tags.a IS'"],
    ['tags.a IS NOT', "'tags.a IS NOT'"],
    ["tags.a = NULL AND tags.b = 'x'", "'tags.a = NULL'"],
    ['1 = 1', "'1 = 1'"],
    ["'a' = 'b'", "''a' = 'b''"],
    ['`metrics.A > 0.1', "'`metrics.A > 0.1'"],
    ['param`.A > 0.1', "'`.A > 0.1'"],
    ['metrics.a > 1 # comment', "'# comment'"],
  ])('rejects %s', (filter, quoted) => {
    expectInvalid(() => parseFilterString(filter), `Invalid clause(s) in filter string: ${quoted}`);
  });
});

describe('parseOrderByClause', () => {
  it('parses identifiers with optional direction', () => {
    expect(parseOrderByClause('metrics.acc')).toMatchObject({
      identifier: { text: 'metrics.acc' },
      ascending: true,
    });
    expect(parseOrderByClause('metrics.acc ASC').ascending).toBe(true);
    expect(parseOrderByClause('metrics.acc desc').ascending).toBe(false);
    expect(parseOrderByClause('  metrics.`m 1`   DeSc ').identifier.parts[1]).toEqual({
      name: 'm 1',
      quote: '`',
    });
    expect(parseOrderByClause('"run name" DESC').identifier.parts).toEqual([
      { name: 'run name', quote: '"' },
    ]);
  });

  it('rejects bad clauses', () => {
    expectInvalid(
      () => parseOrderByClause('metrics.acc sideways'),
      "Invalid ordering key in order_by clause 'metrics.acc sideways'.",
    );
    expectInvalid(() => parseOrderByClause('metrics.acc IN'), 'Invalid ordering key');
    for (const bad of [
      '',
      '  ',
      'metrics.acc DESC ASC',
      "'metrics.acc'",
      'metrics.acc 1',
      'metrics.acc > 1',
      '`x',
      'a; b',
    ]) {
      expectInvalid(() => parseOrderByClause(bad), `Invalid order_by clause '${bad}'. Could not be parsed.`);
    }
  });
});

describe('helpers', () => {
  it('splits identifiers into prefix and key', () => {
    const id = (f: string) => parseFilterString(`${f} = 1`)[0]!.identifier;
    expect(splitIdentifier(id('status'))).toEqual({ prefix: undefined, key: 'status' });
    expect(splitIdentifier(id('tags.mlflow.runName'))).toEqual({
      prefix: { name: 'tags', quote: '' },
      key: 'mlflow.runName',
    });
    expect(splitIdentifier(id('`tags`.`a.b`'))).toEqual({ prefix: { name: 'tags', quote: '`' }, key: 'a.b' });
  });

  it('formats Python lists', () => {
    expect(pyList(['a', 'b'])).toBe("['a', 'b']");
  });
});
