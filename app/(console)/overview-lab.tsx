"use client";
// The lab's sites side by side: each site's subnet, its hosts with their bridge's datapath id and
// whether that bridge is connected to the controller, the GRE tunnels, and the site's client.
import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "../trpc";
import { Card, EmptyState, ErrorBox, Loading, Pill } from "../_components/ui";

export function OverviewLab() {
  const trpc = useTRPC();
  const lab = useQuery(trpc.lab.status.queryOptions(undefined, { refetchInterval: 5_000 }));
  const switches = useQuery(trpc.switches.list.queryOptions(undefined, { refetchInterval: 5_000 }));
  if (lab.isPending || switches.isPending) return <Loading label="Loading the lab…" />;
  if (lab.error) return <ErrorBox error={lab.error} />;
  if (!lab.data.enabled) {
    return (
      <EmptyState title="No sites or hypervisors registered">
        Start the embedded two-site lab with <span className="font-mono">FERRY_LAB=1</span> (scripts/up.sh does) or{" "}
        <span className="font-mono">npm run lab -- up</span>; its sites, hosts, bridges and tunnels appear here.
      </EmptyState>
    );
  }
  const data = lab.data;
  const connected = new Set((switches.data?.switches ?? []).map((s) => s.dpid));
  const sites = [...new Set(data.hosts.map((h) => h.site))];
  return (
    <Card title={`Lab topology ${data.up ? "" : "(degraded)"}`}>
      <div className="mb-3 flex items-center gap-3 text-sm text-slate-600">
        <Pill tone={data.up ? "ok" : "failed"}>{data.up ? "up" : "problems"}</Pill>
        <span>inter-site link: {data.wanRateMbit === null ? "unlimited" : `${data.wanRateMbit} Mbit/s`}</span>
      </div>
      <div className="grid grid-cols-1 gap-4 md:grid-cols-2" data-testid="lab-topology">
        {sites.map((site) => (
          <section key={site} className="rounded-lg border border-slate-200 bg-slate-50 p-3">
            <h3 className="mb-2 text-sm font-semibold text-slate-700">
              Site {site.toUpperCase()} <span className="font-mono text-xs font-normal text-slate-500">{data.hosts.find((h) => h.site === site)?.underlayIp.replace(/\.\d+$/, ".0/24")}</span>
            </h3>
            {data.hosts
              .filter((h) => h.site === site)
              .map((h) => (
                <div key={h.name} className="mb-2 rounded border border-slate-200 bg-white p-2.5 text-sm">
                  <div className="flex items-center justify-between">
                    <span className="font-medium">{h.name}</span>
                    <Pill tone={h.ovsRunning ? "ok" : "failed"}>{h.ovsRunning ? "OVS running" : "OVS stopped"}</Pill>
                  </div>
                  <div className="mt-1 grid grid-cols-[6rem_1fr] gap-y-0.5 text-xs text-slate-600">
                    <span>underlay</span>
                    <span className="font-mono">{h.underlayIp}</span>
                    <span>br-int</span>
                    <span className="flex items-center gap-2 font-mono">
                      {h.dpid}
                      <Pill tone={connected.has(h.dpid) ? "ok" : "warning"}>{connected.has(h.dpid) ? "connected" : "not connected"}</Pill>
                    </span>
                    <span>tunnels</span>
                    <span className="font-mono">{h.tunnels.join(", ") || "—"}</span>
                  </div>
                </div>
              ))}
            {data.clients
              .filter((c) => c.site === site)
              .map((c) => (
                <div key={c.ns} className="text-xs text-slate-500">
                  client <span className="font-mono">{c.ip}</span>
                </div>
              ))}
          </section>
        ))}
      </div>
      {data.problems.length > 0 && (
        <ul className="mt-3 list-disc pl-5 text-sm text-red-700">
          {data.problems.map((p) => (
            <li key={p}>{p}</li>
          ))}
        </ul>
      )}
    </Card>
  );
}
