import { describe, expect, it } from 'vitest';
import { LexError, type Token, tokenize } from '../../../src/domain/search/lexer.js';

const kinds = (input: string) => tokenize(input).map((t) => t.kind);
const only = (input: string): Token => {
  const tokens = tokenize(input);
  expect(tokens).toHaveLength(1);
  return tokens[0]!;
};

describe('tokenize', () => {
  it('returns nothing for blank input', () => {
    expect(tokenize('')).toEqual([]);
    expect(tokenize(' \t\n ')).toEqual([]);
  });

  it('reads dotted identifiers with quoted parts', () => {
    expect(only('metrics.acc')).toMatchObject({
      kind: 'ident',
      parts: [
        { name: 'metrics', quote: '' },
        { name: 'acc', quote: '' },
      ],
      text: 'metrics.acc',
    });
    expect(only('tags.mlflow.runName')).toMatchObject({
      kind: 'ident',
      parts: [{}, {}, { name: 'runName' }],
    });
    expect(only('metrics.`f1 score`')).toMatchObject({
      parts: [{ name: 'metrics' }, { name: 'f1 score', quote: '`' }],
    });
    expect(only('params."learning-rate"')).toMatchObject({
      parts: [{ name: 'params' }, { name: 'learning-rate', quote: '"' }],
    });
    expect(only("params.'lr'")).toMatchObject({ parts: [{ name: 'params' }, { name: 'lr', quote: "'" }] });
    expect(only('`metrics`.`a``b`')).toMatchObject({
      parts: [
        { name: 'metrics', quote: '`' },
        { name: 'a`b', quote: '`' },
      ],
    });
    expect(only('`run name`')).toMatchObject({ kind: 'ident', parts: [{ name: 'run name', quote: '`' }] });
    expect(only('metrics.précision_1')).toMatchObject({ parts: [{}, { name: 'précision_1' }] });
    expect(only('metrics.0_5')).toMatchObject({ parts: [{}, { name: '0_5' }] });
  });

  it('reads keywords case-insensitively, but not inside dotted names', () => {
    for (const kw of ['and', 'OR', 'Not', 'in', 'LIKE', 'ilike', 'is', 'null']) {
      expect(only(kw)).toMatchObject({ kind: 'keyword', value: kw.toUpperCase() });
    }
    expect(only('tags.in')).toMatchObject({ kind: 'ident' });
    expect(only('`and`')).toMatchObject({ kind: 'ident' });
    expect(only('android')).toMatchObject({ kind: 'ident' });
  });

  it('reads strings with SQL and backslash escapes', () => {
    expect(only("'abc'")).toMatchObject({ kind: 'string', value: 'abc', quote: "'" });
    expect(only('"abc"')).toMatchObject({ kind: 'string', value: 'abc', quote: '"' });
    expect(only("''")).toMatchObject({ kind: 'string', value: '' });
    expect(only("'it''s'")).toMatchObject({ value: "it's", text: "'it''s'" });
    expect(only('"say ""hi"""')).toMatchObject({ value: 'say "hi"' });
    expect(only("'it\\'s'")).toMatchObject({ value: "it's" });
    expect(only("'a\\\\'")).toMatchObject({ value: 'a\\' });
    expect(only("'%\\_%'")).toMatchObject({ value: '%\\_%' });
    expect(only("'a\"b'")).toMatchObject({ value: 'a"b' });
    expect(only("'a b;c AND d'")).toMatchObject({ value: 'a b;c AND d' });
  });

  it('reads numbers', () => {
    const num = (s: string) => {
      const t = only(s);
      expect(t.kind).toBe('number');
      return t.kind === 'number' ? t.value : Number.NaN;
    };
    expect(num('1')).toBe(1);
    expect(num('-1.5')).toBe(-1.5);
    expect(num('0.25')).toBe(0.25);
    expect(num('.5')).toBe(0.5);
    expect(num('5.')).toBe(5);
    expect(num('1e3')).toBe(1000);
    expect(num('1.5E-2')).toBe(0.015);
    expect(num('2e+2')).toBe(200);
    expect(num('1700000000000')).toBe(1700000000000);
  });

  it('reads operators and punctuation', () => {
    expect(tokenize('= != <> < <= > >= ==').map((t) => t.text)).toEqual([
      '=',
      '!=',
      '<>',
      '<',
      '<=',
      '>',
      '>=',
      '==',
    ]);
    expect(kinds("('a', 'b');")).toEqual(['lparen', 'string', 'comma', 'string', 'rparen', 'semicolon']);
    expect(kinds('metrics.a>-1')).toEqual(['ident', 'op', 'number']);
    expect(kinds("params.a='x'")).toEqual(['ident', 'op', 'string']);
  });

  it('records positions', () => {
    expect(tokenize('a  =  1').map((t) => t.pos)).toEqual([0, 3, 6]);
  });

  it('rejects what no grammar uses', () => {
    for (const bad of [
      "'abc",
      '"abc',
      '`abc',
      'a # b',
      'metrics.',
      'metrics. a',
      'a.b.',
      '1abc',
      '1.2.3',
      'a + 1',
      'x*',
    ]) {
      expect(() => tokenize(bad), bad).toThrow(LexError);
    }
  });
});
