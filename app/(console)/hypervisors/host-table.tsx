"use client";
import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "../../trpc";
import { EmptyState, ErrorBox, Loading, Pill } from "../../_components/ui";
import { RelativeTime } from "../../_components/time";
import { Mono } from "../../_components/copy";
import { SiteScope, useSiteFilter } from "../../_components/site-filter";

const STATUS_TONE = { up: "ok", down: "failed", unknown: "neutral" } as const;

export function HostTable() {
  const trpc = useTRPC();
  const hosts = useQuery(trpc.inventory.hosts.queryOptions(undefined, { refetchInterval: 10_000 }));
  const { site, matches } = useSiteFilter();
  if (hosts.isPending) return <Loading />;
  if (hosts.error) return <ErrorBox error={hosts.error} />;
  if (hosts.data.length === 0) {
    return <EmptyState title="No hypervisors registered">Hosts appear here when the lab starts or when a host is added.</EmptyState>;
  }
  const rows = hosts.data.filter((h) => matches(h.site));
  if (rows.length === 0) {
    return <EmptyState title={`No hypervisors at site ${site?.toUpperCase()}`}>Choose another site, or All, in the top bar.</EmptyState>;
  }
  return (
    <>
    <SiteScope shown={rows.length} total={hosts.data.length} noun="hosts" />
    <div className="overflow-hidden rounded-lg border border-slate-200 bg-white">
      <table className="w-full text-sm" data-testid="host-table">
        <thead className="bg-slate-50 text-left text-xs font-medium uppercase tracking-wide text-slate-500">
          <tr>
            <th className="px-3 py-2">Host</th>
            <th className="px-3 py-2">Site</th>
            <th className="px-3 py-2">Hypervisor</th>
            <th className="px-3 py-2">Underlay</th>
            <th className="px-3 py-2 text-right">CPUs</th>
            <th className="px-3 py-2 text-right">Memory</th>
            <th className="px-3 py-2">Bridge</th>
            <th className="px-3 py-2 text-right">VMs</th>
            <th className="px-3 py-2">Status</th>
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-100">
          {rows.map((h) => (
            <tr key={h.name} id={`host-${h.name}`} className="scroll-mt-16 hover:bg-slate-50 target:bg-accent-50">
              <td className="px-3 py-1.5 font-medium">
                {h.name}
                {h.source === "lab" && <span className="ml-2 text-xs font-normal text-slate-400">lab</span>}
              </td>
              <td className="px-3 py-1.5">
                {h.site.toUpperCase()} <span className="font-mono text-xs text-slate-500">{h.siteCidr}</span>
              </td>
              <td className="px-3 py-1.5">{h.hypervisor}</td>
              <td className="px-3 py-1.5">
                <Mono value={h.underlayIp} />
              </td>
              <td className="px-3 py-1.5 text-right tabular-nums">{h.cpus ?? "—"}</td>
              <td className="px-3 py-1.5 text-right tabular-nums">{h.memoryMiB === null ? "—" : `${h.memoryMiB.toLocaleString("en-US")} MiB`}</td>
              <td className="px-3 py-1.5">
                {h.switches.map((s) => (
                  <span key={s.dpid} className="mr-2 inline-flex items-center gap-1.5">
                    <span className="text-xs">{s.bridge}</span>
                    <Mono value={s.dpid} />
                    <Pill tone={s.connected ? "ok" : "warning"}>{s.connected ? "connected" : "not connected"}</Pill>
                  </span>
                ))}
              </td>
              <td className="px-3 py-1.5 text-right tabular-nums">{h.vms}</td>
              <td className="px-3 py-1.5">
                <Pill tone={STATUS_TONE[h.status as keyof typeof STATUS_TONE] ?? "neutral"}>{h.status}</Pill>
                {h.lastSeenAt && (
                  <span className="ml-2 text-xs text-slate-500">
                    seen <RelativeTime at={new Date(h.lastSeenAt)} />
                  </span>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
    </>
  );
}
