"use client";
import { useMemo, useState } from "react";
import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "../../trpc";
import { EmptyState, ErrorBox, Loading, Pill } from "../../_components/ui";
import { Mono } from "../../_components/copy";
import { MigrateDialog, type MigrateTarget } from "./migrate-dialog";

const STATE_TONE = { running: "ok", migrating: "running", paused: "warning", shutoff: "neutral", unknown: "neutral" } as const;

export function VmTable() {
  const trpc = useTRPC();
  const vms = useQuery(trpc.inventory.vms.queryOptions(undefined, { refetchInterval: 5_000 }));
  const me = useQuery(trpc.auth.me.queryOptions());
  const [q, setQ] = useState("");
  const [migrating, setMigrating] = useState<MigrateTarget | null>(null);
  const rows = useMemo(() => {
    const s = q.trim().toLowerCase();
    return (vms.data ?? []).filter((v) => !s || [v.name, v.host ?? "", ...v.ports.flatMap((p) => [p.mac, p.ip ?? ""])].some((x) => x.toLowerCase().includes(s)));
  }, [vms.data, q]);
  if (vms.isPending) return <Loading />;
  if (vms.error) return <ErrorBox error={vms.error} />;
  if (vms.data.length === 0) return <EmptyState title="No instances">VMs appear here when the lab boots them or when one is launched.</EmptyState>;
  return (
    <div className="space-y-3">
      <input type="search" value={q} onChange={(e) => setQ(e.target.value)} placeholder="Filter by name, host, IP or MAC" aria-label="Filter instances" className="w-80 rounded border border-slate-300 bg-white px-3 py-1.5 text-sm" />
      <div className="overflow-hidden rounded-lg border border-slate-200 bg-white">
        <table className="w-full text-sm" data-testid="vm-table">
          <thead className="bg-slate-50 text-left text-xs font-medium uppercase tracking-wide text-slate-500">
            <tr>
              <th className="px-3 py-2">Name</th>
              <th className="px-3 py-2">Host</th>
              <th className="px-3 py-2">Site</th>
              <th className="px-3 py-2">IP</th>
              <th className="px-3 py-2">MAC</th>
              <th className="px-3 py-2 text-right">Memory</th>
              <th className="px-3 py-2 text-right">vCPUs</th>
              <th className="px-3 py-2">State</th>
              {me.data?.role === "admin" && <th className="px-3 py-2 text-right">Actions</th>}
            </tr>
          </thead>
          <tbody className="divide-y divide-slate-100">
            {rows.map((v) => (
              <tr key={v.id} className="hover:bg-slate-50">
                <td className="px-3 py-1.5 font-medium">{v.name}</td>
                <td className="px-3 py-1.5">{v.host ?? "—"}</td>
                <td className="px-3 py-1.5">{v.site?.toUpperCase() ?? "—"}</td>
                <td className="px-3 py-1.5">{v.ports.map((p) => (p.ip ? <Mono key={p.mac} value={p.ip} /> : null))}</td>
                <td className="px-3 py-1.5">{v.ports.map((p) => <Mono key={p.mac} value={p.mac} />)}</td>
                <td className="px-3 py-1.5 text-right tabular-nums">{v.memoryMiB} MiB</td>
                <td className="px-3 py-1.5 text-right tabular-nums">{v.vcpus}</td>
                <td className="px-3 py-1.5">
                  <Pill tone={STATE_TONE[v.state as keyof typeof STATE_TONE] ?? "neutral"}>{v.state}</Pill>
                </td>
                {me.data?.role === "admin" && (
                  <td className="px-3 py-1.5 text-right">
                    <button
                      onClick={() => setMigrating({ name: v.name, host: v.host, site: v.site, memoryMiB: v.memoryMiB })}
                      disabled={v.state !== "running"}
                      className="rounded border border-slate-300 px-2 py-0.5 text-xs font-medium hover:bg-slate-100 disabled:opacity-40"
                    >
                      Live migrate
                    </button>
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {migrating && <MigrateDialog vm={migrating} onClose={() => setMigrating(null)} />}
    </div>
  );
}
