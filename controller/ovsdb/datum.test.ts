import { describe, expect, it } from 'vitest';
import {
  DatumError,
  fromDatum,
  fromMap,
  fromMapEntries,
  fromOptional,
  fromSet,
  fromStringMap,
  isUuid,
  namedUuid,
  sameSet,
  toDatum,
  toMap,
  toSet,
  uuid,
  uuidOf,
} from './datum';

const U1 = '550e8400-e29b-41d4-a716-446655440000';
const U2 = '6ba7b810-9dad-11d1-80b4-00c04fd430c8';

describe('uuid atoms', () => {
  it('builds and recognises uuid and named-uuid', () => {
    expect(uuid(U1)).toEqual(['uuid', U1]);
    expect(uuid(U1.toUpperCase())).toEqual(['uuid', U1]);
    expect(namedUuid('new_port1')).toEqual(['named-uuid', 'new_port1']);
    expect(isUuid(uuid(U1))).toBe(true);
    expect(isUuid(namedUuid('x'))).toBe(false);
    expect(isUuid(U1)).toBe(false);
    expect(uuidOf(['uuid', U2])).toBe(U2);
  });

  it('rejects malformed ids', () => {
    expect(() => uuid('not-a-uuid')).toThrow(DatumError);
    expect(() => uuid(U1 + '0')).toThrow(DatumError);
    expect(() => namedUuid('1abc')).toThrow(DatumError);
    expect(() => namedUuid('a-b')).toThrow(DatumError);
    expect(() => uuidOf('x')).toThrow(DatumError);
  });
});

describe('sets', () => {
  it('encodes arrays as set datums', () => {
    expect(toSet(['OpenFlow10', 'OpenFlow13'])).toEqual(['set', ['OpenFlow10', 'OpenFlow13']]);
    expect(toSet([])).toEqual(['set', []]);
    expect(toSet([uuid(U1), 7, true])).toEqual(['set', [['uuid', U1], 7, true]]);
    expect(toSet(new Set(['a']))).toEqual(['set', ['a']]);
  });

  it('decodes set datums and the bare-atom form of a one-element set', () => {
    expect(fromSet(['set', ['a', 'b']])).toEqual(['a', 'b']);
    expect(fromSet(['set', []])).toEqual([]);
    expect(fromSet('secure')).toEqual(['secure']);
    expect(fromSet(['uuid', U1])).toEqual([['uuid', U1]]);
    expect(fromSet(['set', [['uuid', U1], ['uuid', U2]]]).map(uuidOf)).toEqual([U1, U2]);
  });

  it('decodes optional columns', () => {
    expect(fromOptional(['set', []])).toBeUndefined();
    expect(fromOptional(5)).toBe(5);
    expect(fromOptional(['set', ['x']])).toBe('x');
    expect(() => fromOptional(['set', ['x', 'y']])).toThrow(DatumError);
  });

  it('rejects non-atoms inside sets', () => {
    expect(() => fromSet(['set', [{ a: 1 }]])).toThrow(DatumError);
    expect(() => fromSet(['set', 'x'])).toThrow(DatumError);
    expect(() => fromSet(null)).toThrow(DatumError);
  });

  it('compares sets ignoring order and the one-element shorthand', () => {
    expect(sameSet(['set', ['b', 'a']], ['set', ['a', 'b']])).toBe(true);
    expect(sameSet('a', ['set', ['a']])).toBe(true);
    expect(sameSet(['set', ['a']], ['set', ['a', 'b']])).toBe(false);
    expect(sameSet(['set', [1]], ['set', ['1']])).toBe(false);
  });
});

describe('maps', () => {
  it('encodes objects, Maps and entry lists', () => {
    expect(toMap({ 'iface-id': 'p1', 'iface-status': 'active' })).toEqual(['map', [['iface-id', 'p1'], ['iface-status', 'active']]]);
    expect(toMap(new Map([[1, uuid(U1)]]))).toEqual(['map', [[1, ['uuid', U1]]]]);
    expect(toMap([['k', 'v']])).toEqual(['map', [['k', 'v']]]);
    expect(toMap({})).toEqual(['map', []]);
  });

  it('decodes map datums', () => {
    const d = ['map', [['remote_ip', '10.250.2.11'], ['key', '42']]];
    expect(fromStringMap(d)).toEqual({ remote_ip: '10.250.2.11', key: '42' });
    expect(fromMap(['map', [[7, true], [['uuid', U1], 'x']]])).toEqual({ '7': true, [U1]: 'x' });
    expect(fromMapEntries(['map', [[7, true]]])).toEqual([[7, true]]);
  });

  it('round-trips through toMap/fromStringMap', () => {
    const m = { 'attached-mac': '52:54:00:12:34:56', 'vm-uuid': U2, empty: '' };
    expect(fromStringMap(toMap(m))).toEqual(m);
  });

  it('rejects malformed maps', () => {
    expect(() => fromMap(['set', []])).toThrow(DatumError);
    expect(() => fromMap(['map', [['only-key']]])).toThrow(DatumError);
    expect(() => fromStringMap(['map', [['k', 1]]])).toThrow(DatumError);
  });
});

describe('generic conversion', () => {
  it('maps between JS shapes and datums', () => {
    expect(toDatum(['a'])).toEqual(['set', ['a']]);
    expect(toDatum({ a: 'b' })).toEqual(['map', [['a', 'b']]]);
    expect(toDatum(uuid(U1))).toEqual(['uuid', U1]);
    expect(toDatum(3)).toBe(3);
    expect(fromDatum(['set', [1, 2]])).toEqual([1, 2]);
    expect(fromDatum(['map', [['a', 'b']]])).toEqual({ a: 'b' });
    expect(fromDatum(['named-uuid', 'row'])).toEqual(['named-uuid', 'row']);
    expect(fromDatum('x')).toBe('x');
    expect(() => fromDatum({ x: 1 })).toThrow(DatumError);
  });
});
