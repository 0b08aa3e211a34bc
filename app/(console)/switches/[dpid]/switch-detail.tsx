"use client";
// One switch: its ports with counters and its live flow table in ovs-ofctl columns. Changes pushed
// by the server (room switch:<dpid>) are applied in place; changed rows flash, removed rows fade
// out. The table is virtualised: only the rows in view are in the DOM, so 10,000 flows stay smooth.
import Link from "next/link";
import { useEffect, useMemo, useRef, useState } from "react";
import { useVirtualizer } from "@tanstack/react-virtual";
import { useQuery } from "@tanstack/react-query";
import { useTRPC, type RouterOutputs } from "../../../trpc";
import { useRealtime } from "../../../_components/realtime";
import { Card, EmptyState, ErrorBox, Loading, PageHeader, Pill } from "../../../_components/ui";
import { Mono } from "../../../_components/copy";

type Flow = RouterOutputs["switches"]["get"]["flows"][number];
type Mark = "added" | "modified" | "removed";

export function SwitchDetail({ dpid }: { dpid: string }) {
  const trpc = useTRPC();
  const { socket } = useRealtime();
  const [refresh, setRefresh] = useState(0);
  const sw = useQuery(trpc.switches.get.queryOptions({ dpid, refresh: refresh > 0 }, { refetchInterval: 15_000 }));
  const [flows, setFlows] = useState<Map<string, Flow>>(new Map());
  const [marks, setMarks] = useState<Map<string, Mark>>(new Map());
  const [filter, setFilter] = useState("");
  const [sort, setSort] = useState<SortKey>("priority");
  const [desc, setDesc] = useState(true);

  useEffect(() => {
    if (sw.data) setFlows(new Map(sw.data.flows.map((f) => [f.key, f])));
  }, [sw.data]);

  useEffect(() => {
    if (!socket) return;
    socket.emit("subscribe", `switch:${dpid}`, () => {});
    const onTable = (ev: { dpid: string; changes: { kind: Mark; flow: Flow }[] }) => {
      if (ev.dpid !== dpid) return;
      setFlows((prev) => {
        const next = new Map(prev);
        for (const c of ev.changes) next.set(c.flow.key, c.flow);
        return next;
      });
      setMarks((prev) => {
        const next = new Map(prev);
        for (const c of ev.changes) next.set(c.flow.key, c.kind);
        return next;
      });
      // Removed rows stay visible, faded, for a moment; marks clear after the flash.
      setTimeout(() => {
        setFlows((prev) => {
          const next = new Map(prev);
          for (const c of ev.changes) if (c.kind === "removed") next.delete(c.flow.key);
          return next;
        });
        setMarks((prev) => {
          const next = new Map(prev);
          for (const c of ev.changes) next.delete(c.flow.key);
          return next;
        });
      }, 1500);
    };
    socket.on("flowTable", onTable);
    return () => {
      socket.off("flowTable", onTable);
      socket.emit("unsubscribe", `switch:${dpid}`);
    };
  }, [socket, dpid]);

  const rows = useMemo(() => {
    const q = filter.trim().toLowerCase();
    const list = [...flows.values()].filter((f) => !q || f.match.toLowerCase().includes(q) || f.actions.toLowerCase().includes(q) || f.cookie.includes(q));
    const by = SORTS[sort];
    const dir = desc ? -1 : 1;
    return list.sort((a, b) => dir * by(a, b) || a.key.localeCompare(b.key));
  }, [flows, filter, sort, desc]);

  if (sw.isPending) return <Loading />;
  if (sw.error) {
    return (
      <>
        <PageHeader title={`Switch ${dpid}`} />
        <ErrorBox error={sw.error} />
        <p className="mt-3 text-sm">
          <Link className="text-accent-700 hover:underline" href="/switches">
            Back to switches
          </Link>
        </p>
      </>
    );
  }
  const d = sw.data;
  return (
    <>
      <PageHeader
        title={`Switch ${d.dpid}`}
        description={`OpenFlow ${d.version} · ${d.remote}`}
        actions={
          <button onClick={() => setRefresh((n) => n + 1)} className="rounded border border-slate-300 bg-white px-3 py-1.5 text-sm hover:bg-slate-100">
            Re-read flow table
          </button>
        }
      />
      <div className="space-y-5">
        <PortsCard dpid={d.dpid} ports={d.ports} />

        <Card title={`Flow table (${flows.size.toLocaleString("en-US")})`}>
          <div className="mb-3 flex items-center gap-2">
            <input
              type="search"
              value={filter}
              onChange={(e) => setFilter(e.target.value)}
              placeholder="Filter by MAC, port (in_port=1, output:2), cookie or action"
              aria-label="Filter flows"
              className="w-96 rounded border border-slate-300 px-3 py-1.5 text-sm"
            />
            <span className="text-xs text-slate-500" data-testid="flow-count" data-count={rows.length}>
              {rows.length === flows.size ? `${flows.size.toLocaleString("en-US")} flow${flows.size === 1 ? "" : "s"}` : `${rows.length.toLocaleString("en-US")} of ${flows.size.toLocaleString("en-US")} flows`}
            </span>
          </div>
          {rows.length === 0 ? (
            <EmptyState title={flows.size === 0 ? "No flows installed" : "No flow matches the filter"}>
              {flows.size === 0 ? "Flows appear as the learning switch sees traffic." : undefined}
            </EmptyState>
          ) : (
            <FlowTable rows={rows} marks={marks} sort={sort} desc={desc} onSort={(k) => (k === sort ? setDesc(!desc) : (setSort(k), setDesc(k !== "cookie")))} />
          )}
        </Card>

        <Card title={`Learned MAC addresses (${d.fdb.length})`}>
          {d.fdb.length === 0 ? (
            <p className="text-sm text-slate-500">Nothing learned yet.</p>
          ) : (
            <ul className="grid grid-cols-1 gap-1 text-sm md:grid-cols-2">
              {d.fdb.map((e) => (
                <li key={e.mac}>
                  <Mono value={e.mac} /> <span className="text-slate-500">on port {e.port}, seen {Math.round(e.ageMs / 1000)} s ago</span>
                </li>
              ))}
            </ul>
          )}
        </Card>
      </div>
    </>
  );
}

type SortKey = "cookie" | "duration" | "table" | "priority" | "packets" | "bytes";

// Ascending comparators; the header flips the direction. Counters are decimal strings (64-bit).
const SORTS: Record<SortKey, (a: Flow, b: Flow) => number> = {
  cookie: (a, b) => a.cookie.length - b.cookie.length || a.cookie.localeCompare(b.cookie),
  duration: (a, b) => a.durationS - b.durationS,
  table: (a, b) => a.tableId - b.tableId,
  priority: (a, b) => a.priority - b.priority,
  packets: (a, b) => a.packets.length - b.packets.length || a.packets.localeCompare(b.packets),
  bytes: (a, b) => a.bytes.length - b.bytes.length || a.bytes.localeCompare(b.bytes),
};

const COLUMNS: { label: string; sort?: SortKey; right?: boolean; width: string }[] = [
  { label: "cookie", sort: "cookie", width: "9rem" },
  { label: "duration", sort: "duration", right: true, width: "6rem" },
  { label: "table", sort: "table", right: true, width: "3.5rem" },
  { label: "priority", sort: "priority", right: true, width: "4.5rem" },
  { label: "n_packets", sort: "packets", right: true, width: "6rem" },
  { label: "n_bytes", sort: "bytes", right: true, width: "7rem" },
  { label: "idle/hard", right: true, width: "5rem" },
  { label: "match", width: "auto" },
  { label: "actions", width: "13rem" },
];

/** The flow rows, virtualised: a fixed-layout table whose spacer rows stand in for the rows out of view. */
function FlowTable({ rows, marks, sort, desc, onSort }: { rows: Flow[]; marks: Map<string, Mark>; sort: SortKey; desc: boolean; onSort: (k: SortKey) => void }) {
  const scroller = useRef<HTMLDivElement>(null);
  const virtual = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => 25,
    overscan: 12,
    getItemKey: (i) => rows[i]!.key,
  });
  const items = virtual.getVirtualItems();
  const top = items[0]?.start ?? 0;
  const bottom = virtual.getTotalSize() - (items.at(-1)?.end ?? 0);
  return (
    <div ref={scroller} className="max-h-[65vh] overflow-auto rounded border border-slate-100" data-testid="flow-scroller">
      <table className="w-full table-fixed font-mono text-xs" data-testid="flow-table" aria-rowcount={rows.length + 1}>
        <colgroup>
          {COLUMNS.map((c) => (
            <col key={c.label} style={{ width: c.width }} />
          ))}
        </colgroup>
        <thead className="sticky top-0 z-10 bg-white text-left font-sans uppercase tracking-wide text-slate-500 shadow-[0_1px_0_#e2e8f0]">
          <tr>
            {COLUMNS.map((c) => (
              <th key={c.label} className={`px-1.5 py-1.5 font-medium ${c.right ? "text-right" : ""}`} aria-sort={c.sort === sort ? (desc ? "descending" : "ascending") : undefined}>
                {c.sort ? (
                  <button type="button" onClick={() => onSort(c.sort!)} className={`uppercase hover:text-slate-900 ${c.sort === sort ? "text-slate-900" : ""}`}>
                    {c.label}
                    {c.sort === sort ? (desc ? " ↓" : " ↑") : ""}
                  </button>
                ) : (
                  c.label
                )}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {top > 0 && (
            <tr aria-hidden="true">
              <td colSpan={COLUMNS.length} style={{ height: top, padding: 0 }} />
            </tr>
          )}
          {items.map((vi) => {
            const f = rows[vi.index]!;
            const mark = marks.get(f.key);
            const tone = mark === "added" ? "bg-emerald-50" : mark === "modified" ? "bg-sky-50" : mark === "removed" ? "opacity-40 line-through" : "";
            return (
              <tr key={vi.key} data-index={vi.index} ref={virtual.measureElement} aria-rowindex={vi.index + 2} className={`border-t border-slate-100 transition-colors duration-700 ${tone}`} data-flow-mark={mark ?? ""}>
                <td className="truncate px-1.5 py-1" title={f.cookie}>{f.cookie}</td>
                <td className="px-1.5 py-1 text-right">{f.durationS.toFixed(1)}s</td>
                <td className="px-1.5 py-1 text-right">{f.tableId}</td>
                <td className="px-1.5 py-1 text-right">{f.priority}</td>
                <td className="px-1.5 py-1 text-right tabular-nums">{f.packets}</td>
                <td className="px-1.5 py-1 text-right tabular-nums">{f.bytes}</td>
                <td className="px-1.5 py-1 text-right">
                  {f.idleTimeout}/{f.hardTimeout}
                </td>
                <td className="break-all px-1.5 py-1">{f.match.replace(/^priority=\d+,?/, "") || "(any)"}</td>
                <td className="break-all px-1.5 py-1">{f.actions}</td>
              </tr>
            );
          })}
          {bottom > 0 && (
            <tr aria-hidden="true">
              <td colSpan={COLUMNS.length} style={{ height: bottom, padding: 0 }} />
            </tr>
          )}
        </tbody>
      </table>
    </div>
  );
}

type Port = RouterOutputs["switches"]["get"]["ports"][number];
type PortCounters = RouterOutputs["switches"]["portStats"]["ports"][number];

/** OpenFlow fills a counter the switch does not keep with all ones. */
const UNAVAILABLE = "18446744073709551615";

function count(...vs: string[]): string {
  if (vs.every((v) => v === UNAVAILABLE)) return "n/a";
  return vs.filter((v) => v !== UNAVAILABLE).reduce((n, v) => n + Number(v), 0).toLocaleString("en-US");
}

function bytes(v: string): string {
  if (v === UNAVAILABLE) return "n/a";
  const n = Number(v);
  if (n < 1024) return `${n} B`;
  if (n < 1048576) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1073741824) return `${(n / 1048576).toFixed(1)} MiB`;
  return `${(n / 1073741824).toFixed(2)} GiB`;
}

/** Ports with their counters (OpenFlow port stats, re-read every 5 s) and the byte rate since the last read. */
function PortsCard({ dpid, ports }: { dpid: string; ports: Port[] }) {
  const trpc = useTRPC();
  const stats = useQuery(trpc.switches.portStats.queryOptions({ dpid }, { refetchInterval: 5_000 }));
  const prev = useRef<{ at: number; byPort: Map<number, PortCounters> } | null>(null);
  const [rates, setRates] = useState<Map<number, { rx: number; tx: number }>>(new Map());
  useEffect(() => {
    if (!stats.data) return;
    const at = new Date(stats.data.at).getTime();
    const byPort = new Map(stats.data.ports.map((p) => [p.portNo, p]));
    const before = prev.current;
    if (before && at > before.at) {
      const dt = (at - before.at) / 1000;
      const next = new Map<number, { rx: number; tx: number }>();
      for (const [no, p] of byPort) {
        const b = before.byPort.get(no);
        if (b) next.set(no, { rx: Math.max(0, (Number(p.rxBytes) - Number(b.rxBytes)) / dt), tx: Math.max(0, (Number(p.txBytes) - Number(b.txBytes)) / dt) });
      }
      setRates(next);
    }
    prev.current = { at, byPort };
  }, [stats.data]);
  const counters = new Map((stats.data?.ports ?? []).map((p) => [p.portNo, p]));
  const rate = (v: number | undefined) => (v === undefined ? "—" : `${(v / 1000).toFixed(1)} kB/s`);
  return (
    <Card title={`Ports (${ports.length})`}>
      {stats.error && <p className="mb-2 text-xs text-red-700">Counters unavailable: {stats.error.message}</p>}
      <table className="w-full whitespace-nowrap text-sm" data-testid="port-stats">
        <thead className="text-left text-xs uppercase tracking-wide text-slate-500">
          <tr>
            <th className="py-1 pr-3">No.</th>
            <th className="py-1 pr-3">Name</th>
            <th className="py-1 pr-3">MAC</th>
            <th className="py-1 pr-3">Link</th>
            <th className="py-1 pr-3 text-right">rx packets</th>
            <th className="py-1 pr-3 text-right">tx packets</th>
            <th className="py-1 pr-3 text-right">rx bytes</th>
            <th className="py-1 pr-3 text-right">tx bytes</th>
            <th className="py-1 pr-3 text-right" title="bytes per second since the previous read">rx / tx rate</th>
            <th className="py-1 pr-3 text-right">drops</th>
            <th className="py-1 pr-3 text-right">errors</th>
          </tr>
        </thead>
        <tbody>
          {ports.map((p) => {
            const c = counters.get(p.portNo);
            const r = rates.get(p.portNo);
            const none = stats.isPending ? "…" : "—";
            return (
              <tr key={p.portNo} className="border-t border-slate-100">
                <td className="py-1 pr-3 font-mono text-xs">{p.portNo >= 0xffffff00 ? "LOCAL" : p.portNo}</td>
                <td className="py-1 pr-3">{p.name}</td>
                <td className="py-1 pr-3">
                  <Mono value={p.mac} />
                </td>
                <td className="py-1 pr-3">{p.state & 1 ? <Pill tone="failed">down</Pill> : <Pill tone="ok">up</Pill>}</td>
                <td className="py-1 pr-3 text-right tabular-nums">{c ? count(c.rxPackets) : none}</td>
                <td className="py-1 pr-3 text-right tabular-nums">{c ? count(c.txPackets) : none}</td>
                <td className="py-1 pr-3 text-right tabular-nums">{c ? bytes(c.rxBytes) : none}</td>
                <td className="py-1 pr-3 text-right tabular-nums">{c ? bytes(c.txBytes) : none}</td>
                <td className="py-1 pr-3 text-right text-xs tabular-nums text-slate-600">{c ? `${rate(r?.rx)} / ${rate(r?.tx)}` : none}</td>
                <td className="py-1 pr-3 text-right tabular-nums">{c ? count(c.rxDropped, c.txDropped) : none}</td>
                <td className="py-1 pr-3 text-right tabular-nums">{c ? count(c.rxErrors, c.txErrors) : none}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </Card>
  );
}
