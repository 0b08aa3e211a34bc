"use client";
// The signature screen: six phases, remaining-based progress, live figures, the pre-copy curve,
// the downtime, and what the network did at commitment. Live through the migration's room.
import { useEffect, useState } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useTRPC } from "../../../trpc";
import { useRealtime } from "../../../_components/realtime";
import { Card, ErrorBox, Loading, PageHeader, Pill } from "../../../_components/ui";
import { RelativeTime } from "../../../_components/time";
import type { MigrationEvent } from "@/server/migration/orchestrator";
import { NetworkPanel } from "./network-panel";

const PHASE_LABEL: Record<string, string> = {
  "pre-migration": "Pre-migration",
  reservation: "Reservation",
  "pre-copy": "Pre-copy",
  "stop-and-copy": "Stop-and-copy",
  commitment: "Commitment",
  activation: "Activation",
};
const ORDER = Object.keys(PHASE_LABEL);
const STATUS_TONE = { running: "running", completed: "ok", failed: "failed", cancelled: "warning" } as const;

function mib(bytes: bigint | number | null | undefined): string {
  if (bytes === null || bytes === undefined) return "—";
  return `${(Number(bytes) / 1048576).toFixed(1)} MiB`;
}

export function MigrationView({ id }: { id: string }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const { socket } = useRealtime();
  const me = useQuery(trpc.auth.me.queryOptions());
  const m = useQuery(trpc.migrations.get.queryOptions({ id }, { refetchInterval: (q) => (q.state.data?.status === "running" ? 2_000 : false) }));
  const [live, setLive] = useState<MigrationEvent | null>(null);
  const cancel = useMutation(trpc.migrations.cancel.mutationOptions());
  const force = useMutation(trpc.migrations.forceComplete.mutationOptions());

  useEffect(() => {
    if (!socket) return;
    const join = () => socket.emit("subscribe", `migration:${id}`, () => {});
    join();
    socket.on("connect", join);
    const onEvent = (e: MigrationEvent) => {
      if (e.id !== id) return;
      setLive(e);
      if (!e.sample) void qc.invalidateQueries({ queryKey: trpc.migrations.get.queryKey({ id }) });
    };
    socket.on("migration", onEvent);
    return () => {
      socket.off("migration", onEvent);
      socket.off("connect", join);
      socket.emit("unsubscribe", `migration:${id}`);
    };
  }, [socket, id, qc, trpc]);

  if (m.isPending) return <Loading />;
  if (m.error) return <ErrorBox error={m.error} />;
  const d = m.data;
  const phases = ORDER.map((name) => d.phases.find((p) => p.name === name)!).filter(Boolean);
  const status = live?.status ?? d.status;
  const samples = d.samples;
  const last = live?.sample ?? (samples.length ? { transferredBytes: Number(samples.at(-1)!.transferredBytes ?? 0), remainingBytes: Number(samples.at(-1)!.remainingBytes ?? 0), throughputBps: samples.at(-1)!.throughputBps ?? undefined, dirtyPagesRate: samples.at(-1)!.dirtyPagesRate ?? undefined, pass: samples.at(-1)!.pass ?? undefined } : null);
  const progress = status === "completed" ? 1 : (live?.progress ?? 0);
  const isAdmin = me.data?.role === "admin";
  const commitment = d.phases.find((p) => p.name === "commitment");
  const finished = status === "completed" || status === "failed" || status === "cancelled";
  const phaseMs = (name: string) => durationMs(d.phases.find((x) => x.name === name));
  const precopyMs = phaseMs("pre-copy");
  const copyMs = (precopyMs ?? 0) + (phaseMs("stop-and-copy") ?? 0);
  // Once it is over, what was sent over the time it took to send it: a real figure, not a sample.
  const averageBps = status === "completed" && d.transferredBytes && copyMs > 0 ? (Number(d.transferredBytes) / copyMs) * 1000 : null;
  const throughput = last?.throughputBps ? `${(last.throughputBps / 1e6).toFixed(1)} MB/s` : averageBps ? `${(averageBps / 1e6).toFixed(1)} MB/s (average)` : "—";

  return (
    <>
      <PageHeader
        title={`Migration of ${d.vmName}`}
        description={`${d.sourceHost} → ${d.destHost} · ${d.memoryMiB} MiB · started by ${d.startedBy}`}
        actions={
          isAdmin && status === "running" ? (
            <div className="flex gap-2">
              <button
                onClick={() => window.confirm(`Cancel the migration of ${d.vmName}? It keeps running on ${d.sourceHost}.`) && cancel.mutate({ id })}
                className="rounded border border-slate-300 bg-white px-3 py-1.5 text-sm hover:bg-slate-100"
              >
                Cancel
              </button>
              <button
                onClick={() => window.confirm(`Force ${d.vmName}'s migration to complete now? The VM pauses until the last round is sent.`) && force.mutate({ id })}
                className="rounded border border-slate-300 bg-white px-3 py-1.5 text-sm hover:bg-slate-100"
              >
                Force complete
              </button>
            </div>
          ) : null
        }
      />
      <div className="mb-4 flex items-center gap-3 text-sm" data-testid="migration-status">
        <Pill tone={STATUS_TONE[status as keyof typeof STATUS_TONE] ?? "neutral"}>{status}</Pill>
        <span className="text-slate-500">
          started <RelativeTime at={new Date(d.startedAt)} />
        </span>
        {(cancel.error || force.error) && <span className="text-red-700">{(cancel.error ?? force.error)!.message}</span>}
      </div>

      {d.error && (
        <div role="alert" className="mb-4 rounded-lg border border-red-200 bg-red-50 px-4 py-3 text-sm text-red-800">
          {d.error}
        </div>
      )}

      <ol className="mb-5 grid grid-cols-6 gap-1" data-testid="phase-timeline">
        {phases.map((p) => {
          const tone =
            p.status === "done" ? "bg-emerald-500" : p.status === "active" ? "animate-pulse bg-sky-500" : p.status === "failed" ? "bg-red-500" : "bg-slate-200";
          const ms = durationMs(p);
          return (
            <li key={p.name} data-phase={p.name} data-status={p.status} title={p.detail ?? undefined}>
              <div className={`h-2 rounded ${tone}`} />
              <div className="mt-1 text-xs font-medium text-slate-700">{PHASE_LABEL[p.name]}</div>
              <div className="text-xs text-slate-500">{p.status === "done" && ms !== null ? `${ms} ms` : p.status}</div>
            </li>
          );
        })}
      </ol>

      <div className="grid grid-cols-1 gap-4 lg:grid-cols-3">
        <Card title="Progress" className="lg:col-span-2">
          <div className="mb-2 h-3 overflow-hidden rounded bg-slate-100" role="progressbar" aria-valuenow={Math.round(progress * 100)} aria-valuemin={0} aria-valuemax={100}>
            <div className="h-full bg-accent-500 transition-all" style={{ width: `${Math.round(progress * 100)}%` }} />
          </div>
          <dl className="grid grid-cols-2 gap-y-1 text-sm md:grid-cols-5" data-testid="progress-figures">
            <Figure label="transferred" value={mib(d.transferredBytes ?? last?.transferredBytes)} />
            <Figure label="remaining" value={status === "completed" ? "0 MiB" : mib(last?.remainingBytes)} />
            <Figure label="throughput" value={throughput} />
            <Figure label="dirty rate" value={last?.dirtyPagesRate !== undefined ? `${Math.round(last.dirtyPagesRate)} pages/s` : "—"} />
            <Figure label="round" value={String(d.passes ?? last?.pass ?? "—")} />
          </dl>
          <RemainingChart
            samples={samples.filter((s) => s.remainingBytes !== null && s.remainingBytes !== undefined).map((s) => ({ at: new Date(s.at).getTime(), remaining: Number(s.remainingBytes ?? 0), dirty: s.dirtyPagesRate ?? 0 }))}
            finished={finished}
            precopyMs={precopyMs}
          />
        </Card>
        <Card title="Downtime">
          <div className="text-4xl font-semibold tabular-nums" data-testid="downtime">
            {d.downtimeMs === null ? "—" : `${Math.round(d.downtimeMs)} ms`}
          </div>
          <p className="mt-1 text-xs text-slate-500">the pause at stop-and-copy, as the hypervisor measured it</p>
          <dl className="mt-3 space-y-1 text-sm">
            <Figure label="total (Ferry)" value={d.totalTimeMs === null ? "—" : `${(d.totalTimeMs / 1000).toFixed(2)} s`} />
            <Figure label="total (hypervisor)" value={d.hypervisorTotalMs === null ? "—" : `${(d.hypervisorTotalMs / 1000).toFixed(2)} s`} />
            {d.hypervisorWallMs !== null && d.hypervisorWallMs !== undefined && <Figure label="virsh migrate, start to exit" value={`${(d.hypervisorWallMs / 1000).toFixed(2)} s`} />}
            {d.hypervisorTransferMs !== null && d.hypervisorTransferMs !== undefined && d.hypervisorTransferMs !== d.hypervisorTotalMs && (
              <Figure label="QEMU's transfer, set-up to completion" value={`${(d.hypervisorTransferMs / 1000).toFixed(2)} s`} />
            )}
            <Figure label="pause seen by the guest (Ferry)" value={d.pauseMs === null || d.pauseMs === undefined ? "—" : `${Math.round(d.pauseMs)} ms`} />
            <Figure label="network moved, after the pause began" value={d.switchoverMs === null ? "—" : `${Math.round(d.switchoverMs)} ms`} />
          </dl>
        </Card>
      </div>

      <NetworkPanel network={d.network} status={status} sourceHost={d.sourceHost} destHost={d.destHost} commitmentDetail={commitment?.detail ?? null} />
    </>
  );
}

/** A phase's duration once it has ended; null while it runs or if it never started. */
function durationMs(p: { startedAt?: string | Date | null; endedAt?: string | Date | null } | undefined): number | null {
  return p?.startedAt && p.endedAt ? new Date(p.endedAt).getTime() - new Date(p.startedAt).getTime() : null;
}

function Figure({ label, value }: { label: string; value: string }) {
  return (
    <div>
      <dt className="text-xs text-slate-500">{label}</dt>
      <dd className="font-medium tabular-nums">{value}</dd>
    </div>
  );
}

/** Remaining bytes per sample: the shape of pre-copy convergence. */
function RemainingChart({ samples, finished, precopyMs }: { samples: { at: number; remaining: number; dirty: number }[]; finished: boolean; precopyMs: number | null }) {
  if (samples.length < 2) {
    const n = `${samples.length} progress sample${samples.length === 1 ? "" : "s"}`;
    const text = !finished
      ? "The pre-copy curve appears as samples arrive."
      : precopyMs !== null
        ? `No pre-copy curve: pre-copy took ${precopyMs} ms, and ${n} arrived in that time.`
        : `No pre-copy curve: ${n} arrived before the migration ended.`;
    return (
      <p className="mt-3 text-xs text-slate-500" data-testid="precopy-curve-empty">
        {text}
      </p>
    );
  }
  const w = 560;
  const h = 120;
  const t0 = samples[0]!.at;
  const t1 = samples.at(-1)!.at || t0 + 1;
  const max = Math.max(1, ...samples.map((s) => s.remaining));
  const x = (t: number) => ((t - t0) / Math.max(1, t1 - t0)) * (w - 40) + 36;
  const y = (v: number) => h - 16 - (v / max) * (h - 28);
  return (
    <svg viewBox={`0 0 ${w} ${h}`} className="mt-3 w-full" role="img" aria-label="remaining memory per sample">
      <line x1="36" y1={h - 16} x2={w - 4} y2={h - 16} stroke="#cbd5e1" />
      <text x="2" y="14" fontSize="10" fill="#64748b">{(max / 1048576).toFixed(0)} MiB</text>
      <text x="2" y={h - 18} fontSize="10" fill="#64748b">0</text>
      <text x={w - 60} y={h - 2} fontSize="10" fill="#64748b">{((t1 - t0) / 1000).toFixed(1)} s</text>
      <polyline points={samples.map((s) => `${x(s.at)},${y(s.remaining)}`).join(" ")} fill="none" stroke="#2f7de1" strokeWidth="2" />
    </svg>
  );
}
