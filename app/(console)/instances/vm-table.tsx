"use client";
import Link from "next/link";
import { useMemo, useState } from "react";
import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "../../trpc";
import { EmptyState, ErrorBox, Loading, Pill } from "../../_components/ui";
import { Mono } from "../../_components/copy";
import { SiteScope, useSiteFilter } from "../../_components/site-filter";
import { MigrateDialog, type MigrateTarget } from "./migrate-dialog";
import { LaunchDialog } from "./launch-dialog";
import { STATES, stateTone, TRANSIENT } from "./vm-state";

export function VmTable() {
  const trpc = useTRPC();
  const me = useQuery(trpc.auth.me.queryOptions());
  // Poll faster while an instance is between states, so "booting" turns "running" promptly.
  const vms = useQuery(trpc.inventory.vms.queryOptions(undefined, { refetchInterval: (q) => ((q.state.data ?? []).some((v) => TRANSIENT.has(v.state)) ? 2_000 : 5_000) }));
  const { site, matches } = useSiteFilter();
  const [q, setQ] = useState("");
  const [state, setState] = useState("");
  const [migrating, setMigrating] = useState<MigrateTarget | null>(null);
  const [launching, setLaunching] = useState(false);
  const isAdmin = me.data?.role === "admin";

  const atSite = useMemo(() => (vms.data ?? []).filter((v) => matches(v.site)), [vms.data, matches]);
  const rows = useMemo(() => {
    const s = q.trim().toLowerCase();
    return atSite.filter((v) => (!state || v.state === state) && (!s || [v.name, v.host ?? "", ...v.ports.flatMap((p) => [p.mac, p.ip ?? ""])].some((x) => x.toLowerCase().includes(s))));
  }, [atSite, q, state]);

  const toolbar = (
    <div className="flex flex-wrap items-center gap-2">
      <input type="search" value={q} onChange={(e) => setQ(e.target.value)} placeholder="Filter by name, host, IP or MAC" aria-label="Filter instances" className="w-80 rounded border border-slate-300 bg-white px-3 py-1.5 text-sm" />
      <select value={state} onChange={(e) => setState(e.target.value)} aria-label="State" className="rounded border border-slate-300 bg-white px-2 py-1.5 text-sm">
        <option value="">any state</option>
        {STATES.map((s) => (
          <option key={s} value={s}>
            {s}
          </option>
        ))}
      </select>
      {vms.data && (
        <span className="text-xs text-slate-500" data-testid="vm-count">
          {rows.length} of {vms.data.length}
        </span>
      )}
      {isAdmin && (
        <button type="button" onClick={() => setLaunching(true)} className="ml-auto rounded bg-accent-600 px-3 py-1.5 text-sm font-medium text-white hover:bg-accent-700">
          Launch instance
        </button>
      )}
    </div>
  );

  let body: React.ReactNode;
  if (vms.isPending) body = <Loading />;
  else if (vms.error) body = <ErrorBox error={vms.error} />;
  else if (vms.data.length === 0) body = <EmptyState title="No instances">VMs appear here when the lab boots them or when one is launched{isAdmin ? " (Launch instance, above)" : ""}.</EmptyState>;
  else if (rows.length === 0) body = <EmptyState title="No instance matches">{site ? `Nothing at site ${site.toUpperCase()} matches; ` : ""}Clear the search or the state filter to see every instance.</EmptyState>;
  else {
    body = (
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
              {isAdmin && <th className="px-3 py-2 text-right">Actions</th>}
            </tr>
          </thead>
          <tbody className="divide-y divide-slate-100">
            {rows.map((v) => (
              <tr key={v.id} className="hover:bg-slate-50">
                <td className="px-3 py-1.5 font-medium">
                  <Link href={`/instances/${encodeURIComponent(v.name)}`} className="text-accent-700 hover:underline">
                    {v.name}
                  </Link>
                </td>
                <td className="px-3 py-1.5">{v.host ?? "—"}</td>
                <td className="px-3 py-1.5">{v.site?.toUpperCase() ?? "—"}</td>
                <td className="px-3 py-1.5">{v.ports.map((p) => (p.ip ? <Mono key={p.mac} value={p.ip} /> : null))}</td>
                <td className="px-3 py-1.5">{v.ports.map((p) => <Mono key={p.mac} value={p.mac} />)}</td>
                <td className="px-3 py-1.5 text-right tabular-nums">{v.memoryMiB} MiB</td>
                <td className="px-3 py-1.5 text-right tabular-nums">{v.vcpus}</td>
                <td className="px-3 py-1.5">
                  <Pill tone={stateTone(v.state)}>{v.state}</Pill>
                </td>
                {isAdmin && (
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
    );
  }

  return (
    <div className="space-y-3">
      {toolbar}
      {vms.data && <SiteScope shown={atSite.length} total={vms.data.length} noun="instances" />}
      {body}
      {migrating && <MigrateDialog vm={migrating} onClose={() => setMigrating(null)} />}
      {launching && <LaunchDialog onClose={() => setLaunching(false)} />}
    </div>
  );
}
