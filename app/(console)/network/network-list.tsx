"use client";
import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "../../trpc";
import { Card, EmptyState, ErrorBox, Loading, Pill } from "../../_components/ui";
import { Mono } from "../../_components/copy";
import { SiteScope, useSiteFilter } from "../../_components/site-filter";

export function NetworkList() {
  const trpc = useTRPC();
  const nets = useQuery(trpc.inventory.networks.queryOptions(undefined, { refetchInterval: 10_000 }));
  const { site, matches, siteOfHost } = useSiteFilter();
  if (nets.isPending) return <Loading />;
  if (nets.error) return <ErrorBox error={nets.error} />;
  if (nets.data.length === 0) return <EmptyState title="No networks">Networks appear here when the lab starts or when one is created.</EmptyState>;
  // A port belongs to a site through the host it is bound to (both sites while it migrates).
  const shown = (p: (typeof nets.data)[number]["ports"][number]) => site === null || p.bindings.some((b) => matches(siteOfHost(b.host)));
  const total = nets.data.reduce((n, x) => n + x.ports.length, 0);
  const count = nets.data.reduce((n, x) => n + x.ports.filter(shown).length, 0);
  return (
    <div className="space-y-4">
      <SiteScope shown={count} total={total} noun="ports" />
      {nets.data.map((n) => (
        <Card key={n.name} title={`${n.name} · ${n.overlay.toUpperCase()} overlay · ${n.subnets.join(", ")}`}>
          {n.ports.filter(shown).length === 0 ? (
            <p className="text-sm text-slate-500">{n.ports.length === 0 ? "No ports." : `No port bound at site ${site?.toUpperCase()}.`}</p>
          ) : (
            <table className="w-full text-sm" data-testid="port-table">
              <thead className="text-left text-xs uppercase tracking-wide text-slate-500">
                <tr>
                  <th className="py-1 pr-3">MAC</th>
                  <th className="py-1 pr-3">Fixed IP</th>
                  <th className="py-1 pr-3">Device</th>
                  <th className="py-1 pr-3">Binding</th>
                </tr>
              </thead>
              <tbody>
                {n.ports.filter(shown).map((p) => (
                  <tr key={p.mac} className="border-t border-slate-100">
                    <td className="py-1 pr-3">
                      <Mono value={p.mac} />
                    </td>
                    <td className="py-1 pr-3">{p.fixedIp ? <Mono value={p.fixedIp} /> : "—"}</td>
                    <td className="py-1 pr-3">
                      <span title={p.deviceId ?? undefined}>{p.device ?? "—"}</span> <span className="text-xs text-slate-500">{p.deviceOwner}</span>
                    </td>
                    <td className="py-1 pr-3">
                      {p.bindings.length === 0
                        ? "unbound"
                        : p.bindings.map((b) => (
                            <span key={b.host} className="mr-2 inline-flex items-center gap-1">
                              {b.host} <Pill tone={b.status === "active" ? "ok" : "warning"}>{b.status}</Pill>
                            </span>
                          ))}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </Card>
      ))}
    </div>
  );
}
