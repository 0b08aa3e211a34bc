"use client";
// The counts an on-call admin checks first. Every number comes from the inventory or the controller.
import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "../trpc";

function Stat({ label, value, sub, testId }: { label: string; value: string; sub?: string; testId: string }) {
  return (
    <div className="rounded-lg border border-slate-200 bg-white px-4 py-3" data-testid={testId}>
      <div className="text-xs font-medium uppercase tracking-wide text-slate-500">{label}</div>
      <div className="mt-1 text-2xl font-semibold tabular-nums text-slate-900">{value}</div>
      {sub && <div className="text-xs text-slate-500">{sub}</div>}
    </div>
  );
}

export function OverviewCards() {
  const trpc = useTRPC();
  const hosts = useQuery(trpc.inventory.hosts.queryOptions(undefined, { refetchInterval: 10_000 }));
  const vms = useQuery(trpc.inventory.vms.queryOptions(undefined, { refetchInterval: 10_000 }));
  const switches = useQuery(trpc.switches.list.queryOptions(undefined, { refetchInterval: 10_000 }));
  const dash = "—";
  const h = hosts.data;
  const sites = h ? new Set(h.map((x) => x.site)).size : null;
  const known = h ? h.flatMap((x) => x.switches).length : null;
  return (
    <div className="grid grid-cols-2 gap-3 md:grid-cols-4">
      <Stat testId="stat-sites" label="Sites" value={sites === null ? dash : String(sites)} />
      <Stat testId="stat-hosts" label="Hosts up" value={h ? `${h.filter((x) => x.status === "up").length} / ${h.length}` : dash} />
      <Stat
        testId="stat-switches"
        label="Switches connected"
        value={switches.data ? String(switches.data.switches.length) : dash}
        sub={known === null ? undefined : `${known} registered`}
      />
      <Stat testId="stat-vms" label="VMs running" value={vms.data ? `${vms.data.filter((v) => v.state === "running").length} / ${vms.data.length}` : dash} />
    </div>
  );
}
