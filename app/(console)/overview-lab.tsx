"use client";
// The lab's sites side by side: each site's subnet, its hosts with their bridge's datapath id and
// whether that bridge is connected to the controller, the GRE tunnels, the site's client, and the
// VMs as chips on their host. A migrating VM shows on both hosts, joined by an arrow with its
// progress; at commitment it moves (live through Socket.IO).
import Link from "next/link";
import { useLayoutEffect, useRef, useState } from "react";
import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "../trpc";
import { Card, EmptyState, ErrorBox, Loading, Pill } from "../_components/ui";
import { useSiteFilter } from "../_components/site-filter";
import { useLiveMigrations, type LiveMigration } from "./live-migrations";

export function OverviewLab() {
  const trpc = useTRPC();
  const lab = useQuery(trpc.lab.status.queryOptions(undefined, { refetchInterval: 5_000 }));
  const switches = useQuery(trpc.switches.list.queryOptions(undefined, { refetchInterval: 5_000 }));
  const vms = useQuery(trpc.inventory.vms.queryOptions(undefined, { refetchInterval: 10_000 }));
  const { running } = useLiveMigrations();
  const { site: only, matches } = useSiteFilter();
  const box = useRef<HTMLDivElement>(null);
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
  const sites = [...new Set(data.hosts.map((h) => h.site))].filter((x) => matches(x));
  const moving = new Map(running.map((m) => [m.vmName, m]));
  return (
    <Card title={`Lab topology ${data.up ? "" : "(degraded)"}`}>
      <div className="mb-3 flex items-center gap-3 text-sm text-slate-600">
        <Pill tone={data.up ? "ok" : "failed"}>{data.up ? "up" : "problems"}</Pill>
        <span>inter-site link: {data.wanRateMbit === null ? "unlimited" : `${data.wanRateMbit} Mbit/s`}</span>
        {only !== null && <span className="text-xs text-slate-500">showing site {only.toUpperCase()} only</span>}
        {vms.error && <span className="text-xs text-red-700">VMs unavailable: {vms.error.message}</span>}
      </div>
      {sites.length === 0 && <EmptyState title={`No lab host at site ${only?.toUpperCase()}`}>Choose another site, or All, in the top bar.</EmptyState>}
      <div ref={box} className="relative grid grid-cols-1 gap-4 md:grid-cols-2" data-testid="lab-topology">
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
                  <VmChips host={h.name} vms={vms.data} pending={vms.isPending} moving={moving} running={running} />
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
        <MigrationArrows box={box} running={running} />
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

type VmRow = { name: string; host: string | null; state: string; ports: { ip: string | null }[] };

/**
 * The VMs on one host. A migrating VM is placed by its migration, not by the registry (which may
 * already list it at either end while it moves): its source host shows where it goes, its
 * destination host a dashed chip with the progress.
 */
function VmChips({ host, vms, pending, moving, running }: { host: string; vms: VmRow[] | undefined; pending: boolean; moving: Map<string, LiveMigration>; running: LiveMigration[] }) {
  if (pending) return <div className="mt-2 text-xs text-slate-400">VMs…</div>;
  const here = (vms ?? []).filter((v) => v.host === host && !moving.has(v.name));
  const leaving = running.filter((m) => m.sourceHost === host);
  const arriving = running.filter((m) => m.destHost === host);
  if (here.length === 0 && leaving.length === 0 && arriving.length === 0) return <div className="mt-2 text-xs text-slate-400">no VMs</div>;
  return (
    <ul className="mt-2 flex flex-wrap gap-1.5" aria-label={`VMs on ${host}`}>
      {here.map((v) => (
        <li
          key={v.name}
          data-vm-chip={v.name}
          data-host={host}
          data-role="resident"
          className={`rounded-full border px-2 py-0.5 text-xs ${v.state === "running" ? "border-emerald-300 bg-emerald-50 text-emerald-800" : "border-slate-300 bg-slate-50 text-slate-600"}`}
          title={`${v.name} · ${v.state}${v.ports[0]?.ip ? ` · ${v.ports[0].ip}` : ""}`}
        >
          {v.name}
        </li>
      ))}
      {leaving.map((m) => (
        <li key={`out-${m.id}`} data-vm-chip={m.vmName} data-host={host} data-role="source" className="rounded-full border border-sky-400 bg-sky-50 px-2 py-0.5 text-xs text-sky-800">
          {m.vmName}
          <Link href={`/migrations/${m.id}`} className="ml-1 font-medium hover:underline">
            → {m.destHost} {Math.round(m.progress * 100)}%
          </Link>
        </li>
      ))}
      {arriving.map((m) => (
        <li key={`in-${m.id}`} data-vm-chip={m.vmName} data-host={host} data-role="destination" className="rounded-full border border-dashed border-sky-400 px-2 py-0.5 text-xs text-sky-700">
          {m.vmName}{" "}
          <Link href={`/migrations/${m.id}`} className="hover:underline">
            ← {m.sourceHost} · {m.phase} {Math.round(m.progress * 100)}%
          </Link>
          <span className="ml-1.5 inline-block h-1 w-10 overflow-hidden rounded bg-sky-100 align-middle">
            <span className="block h-full bg-sky-500 transition-all" style={{ width: `${Math.round(m.progress * 100)}%` }} />
          </span>
        </li>
      ))}
    </ul>
  );
}

/** An arrow from each migrating VM's chip on its source host to its chip on the destination. */
function MigrationArrows({ box, running }: { box: React.RefObject<HTMLDivElement | null>; running: LiveMigration[] }) {
  const [lines, setLines] = useState<{ id: string; x1: number; y1: number; x2: number; y2: number; label: string }[]>([]);
  const sig = running.map((m) => `${m.id}:${Math.round(m.progress * 100)}:${m.phase}`).join("|");
  useLayoutEffect(() => {
    const el = box.current;
    if (!el) return;
    const measure = () => {
      const base = el.getBoundingClientRect();
      const next = running.flatMap((m) => {
        const from = el.querySelector(`[data-vm-chip="${CSS.escape(m.vmName)}"][data-role="source"]`);
        const to = el.querySelector(`[data-vm-chip="${CSS.escape(m.vmName)}"][data-role="destination"]`);
        if (!from || !to) return [];
        const a = from.getBoundingClientRect();
        const b = to.getBoundingClientRect();
        const rightward = b.left >= a.left;
        return [{
          id: m.id,
          x1: (rightward ? a.right : a.left) - base.left,
          y1: a.top + a.height / 2 - base.top,
          x2: (rightward ? b.left : b.right) - base.left,
          y2: b.top + b.height / 2 - base.top,
          label: `${Math.round(m.progress * 100)}%`,
        }];
      });
      setLines(next);
    };
    measure();
    const ro = new ResizeObserver(measure);
    ro.observe(el);
    return () => ro.disconnect();
  }, [box, sig]);
  if (lines.length === 0) return null;
  return (
    <svg className="pointer-events-none absolute inset-0 h-full w-full overflow-visible" aria-hidden="true" data-testid="migration-arrows">
      <defs>
        <marker id="ferry-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
          <path d="M0 0L10 5L0 10z" fill="#0284c7" />
        </marker>
      </defs>
      {lines.map((l) => {
        const mx = (l.x1 + l.x2) / 2;
        const my = Math.min(l.y1, l.y2) - 28;
        return (
          <g key={l.id}>
            <path d={`M${l.x1},${l.y1} Q${mx},${my} ${l.x2},${l.y2}`} fill="none" stroke="#0284c7" strokeWidth="2" strokeDasharray="5 4" markerEnd="url(#ferry-arrow)">
              <animate attributeName="stroke-dashoffset" from="18" to="0" dur="0.8s" repeatCount="indefinite" />
            </path>
            <text x={mx} y={(my + (l.y1 + l.y2) / 2) / 2} textAnchor="middle" fontSize="11" fontWeight="600" fill="#0369a1" stroke="white" strokeWidth="3" paintOrder="stroke">
              {l.label}
            </text>
          </g>
        );
      })}
    </svg>
  );
}
