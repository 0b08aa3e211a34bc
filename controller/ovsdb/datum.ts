/**
 * OVSDB datum notation (RFC 7047 section 5.1) <-> plain JS.
 *
 * Scalars map to themselves. UUID atoms stay in their wire form
 * (`["uuid", "…"]`) on the JS side too: a bare string would be ambiguous with a
 * string atom, and keeping the tuple lets values round-trip unchanged.
 * Integers beyond 2^53 lose precision (JSON.parse); no vswitch column needs them.
 */

export type UuidAtom = readonly ['uuid', string];
export type NamedUuidAtom = readonly ['named-uuid', string];
export type Atom = string | number | boolean | UuidAtom | NamedUuidAtom;
export type SetDatum = readonly ['set', readonly Atom[]];
export type MapDatum = readonly ['map', readonly (readonly [Atom, Atom])[]];
/** Any value a column can hold on the wire. */
export type Datum = Atom | SetDatum | MapDatum;
/** A row as sent or received: column name -> datum. */
export type Row = Record<string, Datum>;

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// RFC 7047: named-uuid is an <id>: letters, digits, underscore, not starting with a digit.
const ID_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;

export class DatumError extends Error {
  override readonly name = 'DatumError';
}

export function uuid(value: string): UuidAtom {
  if (!UUID_RE.test(value)) throw new DatumError(`not a UUID: ${JSON.stringify(value)}`);
  return ['uuid', value.toLowerCase()];
}

export function namedUuid(name: string): NamedUuidAtom {
  if (!ID_RE.test(name)) throw new DatumError(`not a valid uuid-name: ${JSON.stringify(name)}`);
  return ['named-uuid', name];
}

export function isUuid(v: unknown): v is UuidAtom {
  return Array.isArray(v) && v.length === 2 && v[0] === 'uuid' && typeof v[1] === 'string';
}

export function isNamedUuid(v: unknown): v is NamedUuidAtom {
  return Array.isArray(v) && v.length === 2 && v[0] === 'named-uuid' && typeof v[1] === 'string';
}

export function isAtom(v: unknown): v is Atom {
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' || isUuid(v) || isNamedUuid(v);
}

/** The UUID string of a uuid atom; throws for anything else. */
export function uuidOf(v: unknown): string {
  if (!isUuid(v)) throw new DatumError(`expected a uuid atom, got ${JSON.stringify(v)}`);
  return v[1];
}

function checkAtom(v: unknown, what: string): Atom {
  if (!isAtom(v)) throw new DatumError(`${what}: not an OVSDB atom: ${JSON.stringify(v)}`);
  return v;
}

export function toSet(values: Iterable<Atom>): SetDatum {
  return ['set', [...values].map((v) => checkAtom(v, 'set element'))];
}

/**
 * Set datum -> array. Accepts the bare-atom form the server uses for a
 * one-element set, so optional columns (`min 0, max 1`) decode too.
 */
export function fromSet(datum: unknown): Atom[] {
  if (Array.isArray(datum) && datum[0] === 'set') {
    const items = datum[1];
    if (datum.length !== 2 || !Array.isArray(items)) throw new DatumError(`malformed set: ${JSON.stringify(datum)}`);
    return items.map((v) => checkAtom(v, 'set element'));
  }
  return [checkAtom(datum, 'set')];
}

/** Optional column (`min 0, max 1`): empty set -> undefined, otherwise the single atom. */
export function fromOptional(datum: unknown): Atom | undefined {
  const items = fromSet(datum);
  if (items.length > 1) throw new DatumError(`expected at most one value, got ${items.length}`);
  return items[0];
}

export function toMap(entries: Record<string, Atom> | Map<Atom, Atom> | Iterable<readonly [Atom, Atom]>): MapDatum {
  const list: (readonly [Atom, Atom])[] = [];
  const source: Iterable<readonly [Atom, Atom]> =
    entries instanceof Map || Symbol.iterator in entries
      ? (entries as Iterable<readonly [Atom, Atom]>)
      : Object.entries(entries as Record<string, Atom>);
  for (const [k, v] of source) {
    if (v === undefined) continue;
    list.push([checkAtom(k, 'map key'), checkAtom(v, 'map value')]);
  }
  return ['map', list];
}

/** Map datum -> exact key/value pairs (keys may be any atom type). */
export function fromMapEntries(datum: unknown): [Atom, Atom][] {
  if (!Array.isArray(datum) || datum.length !== 2 || datum[0] !== 'map' || !Array.isArray(datum[1])) {
    throw new DatumError(`malformed map: ${JSON.stringify(datum)}`);
  }
  return datum[1].map((pair: unknown) => {
    if (!Array.isArray(pair) || pair.length !== 2) throw new DatumError(`malformed map pair: ${JSON.stringify(pair)}`);
    return [checkAtom(pair[0], 'map key'), checkAtom(pair[1], 'map value')];
  });
}

/** Map datum -> object. Non-string keys are stringified (uuid keys become their UUID). */
export function fromMap(datum: unknown): Record<string, Atom> {
  const out: Record<string, Atom> = {};
  for (const [k, v] of fromMapEntries(datum)) out[atomKey(k)] = v;
  return out;
}

/** Map datum whose keys and values are strings (external_ids, options, other_config…). */
export function fromStringMap(datum: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of fromMapEntries(datum)) {
    if (typeof k !== 'string' || typeof v !== 'string') throw new DatumError(`expected a string map, got ${JSON.stringify(datum)}`);
    out[k] = v;
  }
  return out;
}

function atomKey(a: Atom): string {
  return typeof a === 'object' ? a[1] : String(a);
}

/**
 * Generic decode: sets -> arrays, maps -> objects, atoms unchanged. Use
 * fromSet/fromOptional when the column type is known, since a one-element set
 * is indistinguishable from an atom here.
 */
export function fromDatum(datum: unknown): Atom | Atom[] | Record<string, Atom> {
  if (Array.isArray(datum) && datum[0] === 'set') return fromSet(datum);
  if (Array.isArray(datum) && datum[0] === 'map') return fromMap(datum);
  return checkAtom(datum, 'datum');
}

/** Generic encode: arrays -> sets, Map/plain objects -> maps, atoms unchanged. */
export function toDatum(value: Atom | readonly Atom[] | Map<Atom, Atom> | Record<string, Atom>): Datum {
  if (isAtom(value)) return value;
  if (Array.isArray(value)) return toSet(value as readonly Atom[]);
  if (value instanceof Map) return toMap(value);
  if (typeof value === 'object' && value !== null) return toMap(value as Record<string, Atom>);
  throw new DatumError(`cannot encode ${JSON.stringify(value)}`);
}

/** Order-insensitive comparison of two set datums (or bare atoms). */
export function sameSet(a: unknown, b: unknown): boolean {
  const ka = fromSet(a).map((x) => JSON.stringify(x)).sort();
  const kb = fromSet(b).map((x) => JSON.stringify(x)).sort();
  return ka.length === kb.length && ka.every((x, i) => x === kb[i]);
}
