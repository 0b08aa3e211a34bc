"use client";
// One switch: its ports and its live flow table in ovs-ofctl columns. Changes pushed by the
// server (room switch:<dpid>) are applied in place; changed rows flash, removed rows fade out.
import Link from "next/link";
import { useEffect, useMemo, useState } from "react";
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
  const [sort, setSort] = useState<"priority" | "packets" | "duration">("priority");

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
    const by = {
      priority: (a: Flow, b: Flow) => b.priority - a.priority || a.match.localeCompare(b.match),
      packets: (a: Flow, b: Flow) => Number(BigInt(b.packets) - BigInt(a.packets)),
      duration: (a: Flow, b: Flow) => b.durationS - a.durationS,
    }[sort];
    return list.sort(by);
  }, [flows, filter, sort]);

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
        <Card title={`Ports (${d.ports.length})`}>
          <table className="w-full text-sm">
            <thead className="text-left text-xs uppercase tracking-wide text-slate-500">
              <tr>
                <th className="py-1 pr-3">No.</th>
                <th className="py-1 pr-3">Name</th>
                <th className="py-1 pr-3">MAC</th>
                <th className="py-1 pr-3">Link</th>
              </tr>
            </thead>
            <tbody>
              {d.ports.map((p) => (
                <tr key={p.portNo} className="border-t border-slate-100">
                  <td className="py-1 pr-3 font-mono text-xs">{p.portNo >= 0xffffff00 ? "LOCAL" : p.portNo}</td>
                  <td className="py-1 pr-3">{p.name}</td>
                  <td className="py-1 pr-3">
                    <Mono value={p.mac} />
                  </td>
                  <td className="py-1 pr-3">{p.state & 1 ? <Pill tone="failed">down</Pill> : <Pill tone="ok">up</Pill>}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </Card>

        <Card title={`Flow table (${flows.size})`}>
          <div className="mb-3 flex items-center gap-2">
            <input
              type="search"
              value={filter}
              onChange={(e) => setFilter(e.target.value)}
              placeholder="Filter by MAC, port, cookie or action"
              aria-label="Filter flows"
              className="w-80 rounded border border-slate-300 px-3 py-1.5 text-sm"
            />
            <select value={sort} onChange={(e) => setSort(e.target.value as typeof sort)} className="rounded border border-slate-300 px-2 py-1.5 text-sm" aria-label="Sort flows">
              <option value="priority">by priority</option>
              <option value="packets">by packets</option>
              <option value="duration">by age</option>
            </select>
          </div>
          {rows.length === 0 ? (
            <EmptyState title={flows.size === 0 ? "No flows installed" : "No flow matches the filter"}>
              {flows.size === 0 ? "Flows appear as the learning switch sees traffic." : undefined}
            </EmptyState>
          ) : (
            <div className="overflow-x-auto">
              <table className="w-full font-mono text-xs" data-testid="flow-table">
                <thead className="text-left font-sans uppercase tracking-wide text-slate-500">
                  <tr>
                    <th className="py-1 pr-3">cookie</th>
                    <th className="py-1 pr-3 text-right">duration</th>
                    <th className="py-1 pr-3 text-right">table</th>
                    <th className="py-1 pr-3 text-right">priority</th>
                    <th className="py-1 pr-3 text-right">n_packets</th>
                    <th className="py-1 pr-3 text-right">n_bytes</th>
                    <th className="py-1 pr-3 text-right">idle/hard</th>
                    <th className="py-1 pr-3">match</th>
                    <th className="py-1 pr-3">actions</th>
                  </tr>
                </thead>
                <tbody>
                  {rows.map((f) => {
                    const mark = marks.get(f.key);
                    const tone = mark === "added" ? "bg-emerald-50" : mark === "modified" ? "bg-sky-50" : mark === "removed" ? "opacity-40 line-through" : "";
                    return (
                      <tr key={f.key} className={`border-t border-slate-100 transition-colors duration-700 ${tone}`} data-flow-mark={mark ?? ""}>
                        <td className="py-1 pr-3">{f.cookie}</td>
                        <td className="py-1 pr-3 text-right">{f.durationS.toFixed(1)}s</td>
                        <td className="py-1 pr-3 text-right">{f.tableId}</td>
                        <td className="py-1 pr-3 text-right">{f.priority}</td>
                        <td className="py-1 pr-3 text-right">{f.packets}</td>
                        <td className="py-1 pr-3 text-right">{f.bytes}</td>
                        <td className="py-1 pr-3 text-right">
                          {f.idleTimeout}/{f.hardTimeout}
                        </td>
                        <td className="break-all py-1 pr-3">{f.match.replace(/^priority=\d+,?/, "") || "(any)"}</td>
                        <td className="whitespace-nowrap py-1 pr-3">{f.actions}</td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            </div>
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
