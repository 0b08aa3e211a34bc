"use client";
// The live event stream. The server batches every 250 ms with exact counts and a bounded sample,
// so the page re-renders at most four times a second whatever the packet-in rate.
import { useEffect, useMemo, useRef, useState } from "react";
import { useRealtime } from "../../_components/realtime";
import { EmptyState, Pill } from "../../_components/ui";
import type { ServerToClientEvents } from "@/server/realtime/events";

type Batch = Parameters<ServerToClientEvents["eventBatch"]>[0];
type Ev = Batch["events"][number];
const TYPES = ["packet_in", "flow_mod", "flow_removed", "port_status", "switch_connected", "switch_disconnected", "error", "relocation"] as const;
const KEEP = 2000;
const TONE: Record<string, "running" | "ok" | "warning" | "failed" | "neutral"> = {
  packet_in: "running",
  flow_mod: "ok",
  flow_removed: "neutral",
  port_status: "warning",
  switch_connected: "ok",
  switch_disconnected: "failed",
  error: "failed",
  relocation: "warning",
};

export function EventStream() {
  const { socket, state } = useRealtime();
  const [events, setEvents] = useState<(Ev & { seq: number })[]>([]);
  const [totals, setTotals] = useState<Batch["totals"] | null>(null);
  const [rates, setRates] = useState<Record<string, number[]>>({});
  const [paused, setPaused] = useState(false);
  const [type, setType] = useState<string>("");
  const [mac, setMac] = useState("");
  const [dpid, setDpid] = useState("");
  const pausedRef = useRef(paused);
  pausedRef.current = paused;
  const seq = useRef(0);

  useEffect(() => {
    if (!socket) return;
    const join = () => socket.emit("subscribe", "events", () => {});
    join();
    socket.on("connect", join);
    const onBatch = (b: Batch) => {
      setTotals(b.totals);
      // Per-type rate per second from the exact counts, last 40 windows (10 s) for the sparkline.
      setRates((prev) => {
        const next: Record<string, number[]> = {};
        for (const t of TYPES) next[t] = [...(prev[t] ?? []), ((b.counts[t] ?? 0) * 1000) / b.windowMs].slice(-40);
        return next;
      });
      if (pausedRef.current) return;
      setEvents((prev) => [...b.events.map((e) => ({ ...e, seq: ++seq.current })).reverse(), ...prev].slice(0, KEEP));
    };
    socket.on("eventBatch", onBatch);
    return () => {
      socket.off("eventBatch", onBatch);
      socket.off("connect", join);
      socket.emit("unsubscribe", "events");
    };
  }, [socket]);

  const shown = useMemo(() => {
    const m = mac.trim().toLowerCase();
    return events.filter((e) => (!type || e.type === type) && (!dpid || e.dpid === dpid) && (!m || e.macs.some((x) => x.includes(m))));
  }, [events, type, mac, dpid]);
  const switches = useMemo(() => [...new Set(events.map((e) => e.dpid).filter(Boolean))] as string[], [events]);

  return (
    <div className="space-y-3">
      <div className="grid grid-cols-2 gap-2 md:grid-cols-4 lg:grid-cols-8" data-testid="event-rates">
        {TYPES.map((t) => {
          const series = rates[t] ?? [];
          const now = series[series.length - 1] ?? 0;
          return (
            <div key={t} className="rounded-lg border border-slate-200 bg-white px-3 py-2">
              <div className="text-xs text-slate-500">{t.replace("_", " ")}</div>
              <div className="flex items-end justify-between">
                <span className="text-lg font-semibold tabular-nums">{now.toFixed(0)}<span className="text-xs font-normal text-slate-500">/s</span></span>
                <Sparkline values={series} />
              </div>
              <div className="text-xs tabular-nums text-slate-500">total {totals?.[t] ?? 0}</div>
            </div>
          );
        })}
      </div>

      <div className="flex flex-wrap items-center gap-2">
        <button onClick={() => setPaused((p) => !p)} className="rounded border border-slate-300 bg-white px-3 py-1.5 text-sm hover:bg-slate-100" aria-pressed={paused}>
          {paused ? "Resume" : "Pause"}
        </button>
        <select value={type} onChange={(e) => setType(e.target.value)} className="rounded border border-slate-300 bg-white px-2 py-1.5 text-sm" aria-label="Event type">
          <option value="">All types</option>
          {TYPES.map((t) => (
            <option key={t} value={t}>
              {t}
            </option>
          ))}
        </select>
        <select value={dpid} onChange={(e) => setDpid(e.target.value)} className="rounded border border-slate-300 bg-white px-2 py-1.5 font-mono text-sm" aria-label="Switch">
          <option value="">All switches</option>
          {switches.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
        <input value={mac} onChange={(e) => setMac(e.target.value)} placeholder="MAC address" aria-label="Filter by MAC" className="w-48 rounded border border-slate-300 bg-white px-3 py-1.5 font-mono text-sm" />
        <span className="text-xs text-slate-500">
          {paused ? "paused — counts keep running" : state === "live" ? "live" : "reconnecting…"} · showing {shown.length} of the last {events.length}
        </span>
      </div>

      {shown.length === 0 ? (
        <EmptyState title={events.length === 0 ? "No events yet" : "No event matches the filters"}>
          {events.length === 0 ? "Events stream in here as switches connect and traffic reaches the controller." : undefined}
        </EmptyState>
      ) : (
        <div className="max-h-[60vh] overflow-y-auto rounded-lg border border-slate-200 bg-white">
          <table className="w-full text-sm" data-testid="event-table">
            <thead className="sticky top-0 bg-slate-50 text-left text-xs font-medium uppercase tracking-wide text-slate-500">
              <tr>
                <th className="px-3 py-2">Time</th>
                <th className="px-3 py-2">Switch</th>
                <th className="px-3 py-2">Type</th>
                <th className="px-3 py-2">Summary</th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100">
              {shown.slice(0, 500).map((e) => (
                <tr key={e.seq}>
                  <td className="whitespace-nowrap px-3 py-1 font-mono text-xs text-slate-600" title={new Date(e.at).toISOString()}>
                    {new Date(e.at).toLocaleTimeString(undefined, { hour12: false })}.{String(e.at % 1000).padStart(3, "0")}
                  </td>
                  <td className="px-3 py-1 font-mono text-xs">{e.dpid ?? "—"}</td>
                  <td className="px-3 py-1">
                    <Pill tone={TONE[e.type] ?? "neutral"}>{e.type}</Pill>
                  </td>
                  <td className="px-3 py-1 font-mono text-xs">{e.summary}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}

function Sparkline({ values }: { values: number[] }) {
  if (values.length < 2) return <svg width="60" height="18" aria-hidden="true" />;
  const max = Math.max(1, ...values);
  const pts = values.map((v, i) => `${(i / (values.length - 1)) * 60},${18 - (v / max) * 16 - 1}`).join(" ");
  return (
    <svg width="60" height="18" aria-hidden="true">
      <polyline points={pts} fill="none" stroke="#2f7de1" strokeWidth="1.5" />
    </svg>
  );
}
