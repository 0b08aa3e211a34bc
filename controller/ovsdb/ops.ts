/** Transaction operations and their results (RFC 7047 section 5.2). */
import type { Datum, Row, UuidAtom } from './datum';

export type ConditionFunction = '<' | '<=' | '==' | '!=' | '>=' | '>' | 'includes' | 'excludes';
export type Condition = readonly [column: string, fn: ConditionFunction, value: Datum];
export type Mutator = '+=' | '-=' | '*=' | '/=' | '%=' | 'insert' | 'delete';
export type Mutation = readonly [column: string, mutator: Mutator, value: Datum];

export interface InsertOp {
  op: 'insert';
  table: string;
  row: Row;
  'uuid-name'?: string;
}
export interface SelectOp {
  op: 'select';
  table: string;
  where: readonly Condition[];
  columns?: readonly string[];
}
export interface UpdateOp {
  op: 'update';
  table: string;
  where: readonly Condition[];
  row: Row;
}
export interface MutateOp {
  op: 'mutate';
  table: string;
  where: readonly Condition[];
  mutations: readonly Mutation[];
}
export interface DeleteOp {
  op: 'delete';
  table: string;
  where: readonly Condition[];
}
export interface WaitOp {
  op: 'wait';
  table: string;
  where: readonly Condition[];
  columns: readonly string[];
  until: '==' | '!=';
  rows: readonly Row[];
  /** Milliseconds; 0 fails at once, absent waits indefinitely. */
  timeout?: number;
}
export interface CommitOp {
  op: 'commit';
  durable: boolean;
}
export interface AbortOp {
  op: 'abort';
}
export interface CommentOp {
  op: 'comment';
  comment: string;
}
export interface AssertOp {
  op: 'assert';
  lock: string;
}

export type Operation =
  | InsertOp
  | SelectOp
  | UpdateOp
  | MutateOp
  | DeleteOp
  | WaitOp
  | CommitOp
  | AbortOp
  | CommentOp
  | AssertOp;

export interface InsertResult {
  uuid: UuidAtom;
}
export interface SelectResult {
  rows: Row[];
}
export interface CountResult {
  count: number;
}
export type EmptyResult = Record<string, never>;

export type ResultOf<O> = O extends InsertOp
  ? InsertResult
  : O extends SelectOp
    ? SelectResult
    : O extends UpdateOp | MutateOp | DeleteOp
      ? CountResult
      : EmptyResult;

export type ResultsOf<Ops extends readonly Operation[]> = { -readonly [K in keyof Ops]: ResultOf<Ops[K]> };

/** Small constructors so call sites read like the RFC and get literal `op` types. */
export const op = {
  insert: (table: string, row: Row, uuidName?: string): InsertOp =>
    uuidName === undefined ? { op: 'insert', table, row } : { op: 'insert', table, row, 'uuid-name': uuidName },
  select: (table: string, where: readonly Condition[] = [], columns?: readonly string[]): SelectOp =>
    columns === undefined ? { op: 'select', table, where } : { op: 'select', table, where, columns },
  update: (table: string, where: readonly Condition[], row: Row): UpdateOp => ({ op: 'update', table, where, row }),
  mutate: (table: string, where: readonly Condition[], mutations: readonly Mutation[]): MutateOp => ({
    op: 'mutate',
    table,
    where,
    mutations,
  }),
  delete: (table: string, where: readonly Condition[]): DeleteOp => ({ op: 'delete', table, where }),
  wait: (
    table: string,
    where: readonly Condition[],
    columns: readonly string[],
    until: '==' | '!=',
    rows: readonly Row[],
    timeout?: number,
  ): WaitOp =>
    timeout === undefined
      ? { op: 'wait', table, where, columns, until, rows }
      : { op: 'wait', table, where, columns, until, rows, timeout },
  commit: (durable: boolean): CommitOp => ({ op: 'commit', durable }),
  abort: (): AbortOp => ({ op: 'abort' }),
  comment: (comment: string): CommentOp => ({ op: 'comment', comment }),
  assert: (lock: string): AssertOp => ({ op: 'assert', lock }),
} as const;

/** `[column, '==', value]` shorthand. */
export function eq(column: string, value: Datum): Condition {
  return [column, '==', value];
}
