// Plain-text renderings for the terminal. Pure functions of the data, so tests pin them exactly.

/** Left-aligned columns separated by two spaces; a header row first. */
export function table(header: string[], rows: (string | number | null | undefined)[][]): string {
  const cells = [header, ...rows.map((r) => r.map((c) => (c === null || c === undefined || c === "" ? "-" : String(c))))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? "").length)));
  return cells.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join("  ").trimEnd()).join("\n");
}

/** 0.042 → "42 ms", 3.5 → "3.50 s", 125 → "2 min 5 s". */
export function seconds(s: number): string {
  if (s < 1) return `${Math.round(s * 1000)} ms`;
  if (s < 60) return `${s.toFixed(2)} s`;
  return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
}

export function milliseconds(ms: number | null | undefined): string {
  return ms === null || ms === undefined ? "-" : seconds(ms / 1000);
}

export function mebibytes(bytes: number): string {
  const mib = bytes / 1024 / 1024;
  return mib >= 1024 ? `${(mib / 1024).toFixed(2)} GiB` : `${mib.toFixed(1)} MiB`;
}

/** "[########------------]  40%" — the fraction is clamped to 0…1. */
export function progressBar(fraction: number, width = 24): string {
  const f = Math.min(1, Math.max(0, Number.isFinite(fraction) ? fraction : 0));
  const filled = Math.round(f * width);
  return `[${"#".repeat(filled)}${"-".repeat(width - filled)}] ${String(Math.floor(f * 100)).padStart(3)}%`;
}

export interface PhaseView {
  name: string;
  status: string;
  startedAt: number | null;
  endedAt: number | null;
  detail: string | null;
}

const MARK: Record<string, string> = { done: "ok", failed: "FAILED", skipped: "skipped", active: "..", pending: "" };

/** Where a phase's detail starts, so its further lines (one per pre-check) line up under it. */
const DETAIL_COLUMN = 36;

/** "  ok      pre-copy          2.41 s  3 passes" */
export function phaseLine(p: PhaseView): string {
  const took = p.startedAt !== null && p.endedAt !== null ? seconds(Math.max(0, p.endedAt - p.startedAt) / 1000) : "";
  const detail = p.detail ? `  ${p.detail.trimEnd().split("\n").join(`\n${" ".repeat(DETAIL_COLUMN)}`)}` : "";
  return `  ${(MARK[p.status] ?? p.status).padEnd(7)} ${p.name.padEnd(14)} ${took.padStart(9)}${detail}`.trimEnd();
}

export interface SampleView {
  pass?: number;
  remainingBytes?: number;
  throughputBps?: number;
}

/** The live line under --watch on a terminal. */
export function progressLine(phase: string, fraction: number, sample?: SampleView): string {
  const parts = [`  ${phase.padEnd(14)}`, progressBar(fraction)];
  if (sample?.pass !== undefined) parts.push(`pass ${sample.pass}`);
  if (sample?.remainingBytes !== undefined) parts.push(`${mebibytes(sample.remainingBytes)} left`);
  if (sample?.throughputBps !== undefined) parts.push(`${mebibytes(sample.throughputBps)}/s`);
  return parts.join("  ");
}

export interface MigrationSummaryView {
  id: string;
  vmName: string;
  sourceHost: string;
  destHost: string;
  status: string;
  error: string | null;
  totalTimeMs: number | null;
  downtimeMs: number | null;
  switchoverMs: number | null;
  passes: number | null;
  transferredBytes: bigint | number | null;
}

export function migrationSummary(m: MigrationSummaryView): string {
  const head = `migration ${m.id}: ${m.vmName} ${m.sourceHost} → ${m.destHost} ${m.status}`;
  if (m.status !== "completed") return `${head}${m.error ? `: ${m.error}` : ""}`;
  const facts = [
    m.totalTimeMs !== null ? `total ${milliseconds(m.totalTimeMs)}` : null,
    m.downtimeMs !== null ? `downtime ${milliseconds(m.downtimeMs)}` : null,
    m.switchoverMs !== null ? `switchover ${milliseconds(m.switchoverMs)}` : null,
    m.passes !== null ? `${m.passes} pass${m.passes === 1 ? "" : "es"}` : null,
    m.transferredBytes !== null ? `${mebibytes(Number(m.transferredBytes))} sent` : null,
  ].filter(Boolean);
  return `${head} (${facts.join(", ")})`;
}

/** A controller event as one line: time, type, switch, summary. */
export function eventLine(e: { at: number; type: string; dpid: string | null; summary: string }): string {
  const t = new Date(e.at).toISOString().slice(11, 23);
  return `${t}  ${e.type.padEnd(19)} ${(e.dpid ?? "-").padEnd(16)}  ${e.summary}`;
}

/** JSON with bigints as decimal strings and dates as ISO text. */
export function toJson(value: unknown): string {
  return JSON.stringify(value, (_k, v) => (typeof v === "bigint" ? v.toString() : v), 2);
}
