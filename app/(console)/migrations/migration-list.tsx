"use client";
import Link from "next/link";
import { useEffect, useMemo, useState } from "react";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useTRPC } from "../../trpc";
import { useRealtime } from "../../_components/realtime";
import { EmptyState, ErrorBox, Loading, Pill } from "../../_components/ui";
import { RelativeTime } from "../../_components/time";
import { SiteScope, useSiteFilter } from "../../_components/site-filter";

const TONE = { running: "running", completed: "ok", failed: "failed", cancelled: "warning" } as const;

export function MigrationList() {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const { socket } = useRealtime();
  const list = useQuery(trpc.migrations.list.queryOptions({ limit: 200 }, { refetchInterval: 15_000 }));
  useEffect(() => {
    if (!socket) return;
    const refresh = () => {
      void qc.invalidateQueries({ queryKey: trpc.migrations.list.queryKey() });
      void qc.invalidateQueries({ queryKey: trpc.migrations.timings.queryKey() });
    };
    socket.on("migrationsChanged", refresh);
    return () => {
      socket.off("migrationsChanged", refresh);
    };
  }, [socket, qc, trpc]);
  const { site, matches, siteOfHost } = useSiteFilter();
  const [status, setStatus] = useState<"" | keyof typeof TONE>("");
  const [q, setQ] = useState("");
  const atSite = useMemo(() => (list.data ?? []).filter((m) => site === null || matches(siteOfHost(m.sourceHost)) || matches(siteOfHost(m.destHost))), [list.data, site, matches, siteOfHost]);
  const rows = useMemo(() => {
    const s = q.trim().toLowerCase();
    return atSite.filter((m) => (!status || m.status === status) && (!s || [m.vmName, m.sourceHost, m.destHost, m.startedBy].some((x) => x.toLowerCase().includes(s))));
  }, [atSite, status, q]);
  if (list.isPending) return <Loading />;
  if (list.error) return <ErrorBox error={list.error} />;
  if (list.data.length === 0) return <EmptyState title="No migrations yet">Start one from Instances → Live migrate.</EmptyState>;
  return (
    <div className="space-y-2">
    <div className="flex items-center gap-2">
      <input
        type="search"
        value={q}
        onChange={(e) => setQ(e.target.value)}
        placeholder="Filter by VM, host or user"
        aria-label="Filter migrations"
        className="w-72 rounded border border-slate-300 px-3 py-1.5 text-sm"
      />
      <select value={status} onChange={(e) => setStatus(e.target.value as typeof status)} aria-label="Status" className="rounded border border-slate-300 px-2 py-1.5 text-sm">
        <option value="">any status</option>
        {Object.keys(TONE).map((k) => (
          <option key={k} value={k}>
            {k}
          </option>
        ))}
      </select>
      <span className="text-xs text-slate-500">
        {rows.length} of {list.data.length}
      </span>
    </div>
    <SiteScope shown={atSite.length} total={list.data.length} noun="migrations" />
    {rows.length === 0 ? (
      <EmptyState title="No migration matches the filters">Clear the filter or choose another site.</EmptyState>
    ) : (
    <div className="overflow-hidden rounded-lg border border-slate-200 bg-white">
      <table className="w-full text-sm" data-testid="migration-table">
        <thead className="bg-slate-50 text-left text-xs font-medium uppercase tracking-wide text-slate-500">
          <tr>
            <th className="px-3 py-2">When</th>
            <th className="px-3 py-2">VM</th>
            <th className="px-3 py-2">From → to</th>
            <th className="px-3 py-2 text-right">Memory</th>
            <th className="px-3 py-2 text-right">Total</th>
            <th className="px-3 py-2 text-right">Downtime</th>
            <th className="px-3 py-2">Link</th>
            <th className="px-3 py-2">Status</th>
            <th className="px-3 py-2">Who</th>
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-100">
          {rows.map((m) => (
            <tr key={m.id} className="hover:bg-slate-50">
              <td className="px-3 py-1.5 text-slate-600">
                <Link href={`/migrations/${m.id}`} className="hover:underline">
                  <RelativeTime at={new Date(m.startedAt)} />
                </Link>
              </td>
              <td className="px-3 py-1.5 font-medium">
                <Link href={`/migrations/${m.id}`} className="text-accent-700 hover:underline">
                  {m.vmName}
                </Link>
              </td>
              <td className="px-3 py-1.5">
                {m.sourceHost} → {m.destHost}
              </td>
              <td className="px-3 py-1.5 text-right tabular-nums">{m.memoryMiB} MiB</td>
              <td className="px-3 py-1.5 text-right tabular-nums">{m.totalTimeMs === null ? "—" : `${(m.totalTimeMs / 1000).toFixed(2)} s`}</td>
              <td className="px-3 py-1.5 text-right tabular-nums">{m.downtimeMs === null ? "—" : `${Math.round(m.downtimeMs)} ms`}</td>
              <td className="px-3 py-1.5 text-xs text-slate-600">{m.linkMbit === null ? "LAN" : `${m.linkMbit} Mbit/s`}</td>
              <td className="px-3 py-1.5">
                <Pill tone={TONE[m.status as keyof typeof TONE] ?? "neutral"}>{m.status}</Pill>
                {m.status === "running" && <span className="ml-1 text-xs text-slate-500">{m.phase}</span>}
              </td>
              <td className="px-3 py-1.5">{m.startedBy}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
    )}
    </div>
  );
}
