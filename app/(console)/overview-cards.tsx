"use client";
// The counts an on-call admin checks first. Every number comes from the inventory or the controller.
import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "../trpc";
import { useSiteFilter } from "../_components/site-filter";

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
  const hosts = useQuery(trpc.inventory.placement.queryOptions(undefined, { refetchInterval: 10_000 }));
  const vms = useQuery(trpc.inventory.vms.queryOptions(undefined, { refetchInterval: 10_000 }));
  const switches = useQuery(trpc.switches.list.queryOptions(undefined, { refetchInterval: 10_000 }));
  const migrations = useQuery(trpc.migrations.list.queryOptions({ limit: 100 }, { refetchInterval: 15_000 }));
  const { site, matches, siteOfHost } = useSiteFilter();
  const dash = "—";
  const h = hosts.data?.filter((x) => matches(x.site));
  const sites = hosts.data ? new Set(hosts.data.map((x) => x.site)).size : null;
  const known = h ? h.flatMap((x) => x.switches).length : null;
  const mine = new Set((h ?? []).flatMap((x) => x.switches.map((s) => s.dpid)));
  const connected = switches.data?.switches.filter((s) => site === null || mine.has(s.dpid)).length;
  const vmRows = vms.data?.filter((v) => matches(v.site));
  // Migrations touching the chosen site, running now or failed in the last 24 h (the list holds the newest 100).
  const day = Date.now() - 24 * 3600_000;
  const touching = migrations.data?.filter((m) => site === null || matches(siteOfHost(m.sourceHost)) || matches(siteOfHost(m.destHost)));
  const runningCount = touching?.filter((m) => m.status === "running").length;
  const failedCount = touching?.filter((m) => m.status === "failed" && new Date(m.startedAt).getTime() >= day).length;
  return (
    <div className="grid grid-cols-2 gap-3 md:grid-cols-5">
      <Stat testId="stat-sites" label="Sites" value={sites === null ? dash : String(sites)} sub={site === null ? undefined : `showing site ${site.toUpperCase()}`} />
      <Stat testId="stat-hosts" label="Hosts up" value={h ? `${h.filter((x) => x.status === "up").length} / ${h.length}` : dash} />
      <Stat
        testId="stat-switches"
        label="Switches connected"
        value={connected === undefined ? dash : String(connected)}
        sub={known === null ? undefined : `${known} registered`}
      />
      <Stat testId="stat-vms" label="VMs running" value={vmRows ? `${vmRows.filter((v) => v.state === "running").length} / ${vmRows.length}` : dash} />
      <Stat
        testId="stat-migrations"
        label="Migrations"
        value={runningCount === undefined ? dash : `${runningCount} running`}
        sub={failedCount === undefined ? undefined : `${failedCount} failed in 24 h`}
      />
    </div>
  );
}
