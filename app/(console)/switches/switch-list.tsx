"use client";
import Link from "next/link";
import { useEffect } from "react";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useTRPC } from "../../trpc";
import { useRealtime } from "../../_components/realtime";
import { EmptyState, ErrorBox, Loading, Pill } from "../../_components/ui";
import { RelativeTime } from "../../_components/time";
import { Mono } from "../../_components/copy";
import { SiteScope, useSiteFilter } from "../../_components/site-filter";

export function SwitchList() {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const { socket } = useRealtime();
  const list = useQuery(trpc.switches.list.queryOptions(undefined, { refetchInterval: 10_000 }));
  // Which host (and so which site) each bridge belongs to comes from the inventory.
  const hosts = useQuery(trpc.inventory.placement.queryOptions(undefined, { refetchInterval: 30_000 }));
  const { site, matches } = useSiteFilter();

  // A switch connecting or leaving refreshes the list at once.
  useEffect(() => {
    if (!socket) return;
    const onChange = () => void qc.invalidateQueries({ queryKey: trpc.switches.list.queryKey() });
    socket.on("switchChanged", onChange);
    return () => {
      socket.off("switchChanged", onChange);
    };
  }, [socket, qc, trpc]);

  if (list.isPending) return <Loading />;
  if (list.error) return <ErrorBox error={list.error} />;
  const { switches: all, listeners, controllerRunning } = list.data;
  const owner = new Map((hosts.data ?? []).flatMap((h) => h.switches.map((s) => [s.dpid, { host: h.name, site: h.site, bridge: s.bridge }] as const)));
  const switches = all.filter((s) => matches(owner.get(s.dpid)?.site));
  return (
    <div className="space-y-3">
      <p className="text-xs text-slate-500">
        Controller {controllerRunning ? "listening on" : "not running"}{" "}
        {listeners.map((l) => (
          <span key={l} className="mr-2 font-mono">
            {l}
          </span>
        ))}
      </p>
      <SiteScope shown={switches.length} total={all.length} noun="switches" />
      {switches.length === 0 && all.length > 0 ? (
        <EmptyState title={`No connected switch at site ${site?.toUpperCase()}`}>Choose another site, or All, in the top bar.</EmptyState>
      ) : switches.length === 0 ? (
        <EmptyState title="No switches connected">
          Bridges appear here when they connect to the controller (<span className="font-mono">ovs-vsctl set-controller br-int {listeners[0] ?? "tcp:127.0.0.1:6653"}</span>); the lab&apos;s bridges connect on their own.
        </EmptyState>
      ) : (
        <div className="overflow-hidden rounded-lg border border-slate-200 bg-white">
          <table className="w-full text-sm" data-testid="switch-table">
            <thead className="bg-slate-50 text-left text-xs font-medium uppercase tracking-wide text-slate-500">
              <tr>
                <th className="px-3 py-2">Datapath id</th>
                <th className="px-3 py-2">Host</th>
                <th className="px-3 py-2">Connection</th>
                <th className="px-3 py-2">OpenFlow</th>
                <th className="px-3 py-2">Connected</th>
                <th className="px-3 py-2 text-right">Ports</th>
                <th className="px-3 py-2 text-right">Flows</th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100">
              {switches.map((s) => (
                <tr key={s.dpid} className="hover:bg-slate-50">
                  <td className="px-3 py-1.5">
                    <Link href={`/switches/${s.dpid}`} className="font-mono text-xs text-accent-700 hover:underline">
                      {s.dpid}
                    </Link>
                  </td>
                  <td className="px-3 py-1.5">
                    {owner.get(s.dpid) ? (
                      <>
                        {owner.get(s.dpid)!.host} <span className="text-xs text-slate-500">{owner.get(s.dpid)!.bridge} · site {owner.get(s.dpid)!.site.toUpperCase()}</span>
                      </>
                    ) : (
                      <span className="text-slate-400">{hosts.isPending ? "…" : "not registered"}</span>
                    )}
                  </td>
                  <td className="px-3 py-1.5">
                    <Mono value={s.remote} />
                  </td>
                  <td className="px-3 py-1.5">
                    <Pill tone="neutral">{s.version}</Pill>
                  </td>
                  <td className="px-3 py-1.5 text-slate-600">
                    <RelativeTime at={new Date(s.connectedAt)} />
                  </td>
                  <td className="px-3 py-1.5 text-right tabular-nums">{s.ports}</td>
                  <td className="px-3 py-1.5 text-right tabular-nums">{s.flows}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
