"use client";
// The migration's network: the VM's MAC, where its port is bound, and on each switch the flows
// for that MAC just before and just after the controller moved it (ovs-ofctl syntax).
import Link from "next/link";
import { Card, Pill } from "../../../_components/ui";
import { Mono } from "../../../_components/copy";
import { RelativeTime } from "../../../_components/time";

interface SwitchFlowLines {
  dpid: string;
  host: string | null;
  flows: string[];
  omitted: number;
}

export interface MigrationNetwork {
  mac: string | null;
  bindings: { host: string; status: string; ofport: number | null }[];
  snapshot: { mac: string; before: SwitchFlowLines[]; after: SwitchFlowLines[]; takenAt: string } | null;
}

const BINDING_TONE: Record<string, "ok" | "neutral"> = { active: "ok", inactive: "neutral" };

export function NetworkPanel({
  network,
  status,
  sourceHost,
  destHost,
  commitmentDetail,
}: {
  network: MigrationNetwork;
  status: string;
  sourceHost: string;
  destHost: string;
  commitmentDetail: string | null;
}) {
  const bindingOf = (host: string) => network.bindings.find((b) => b.host === host)?.status ?? "unbound";
  const snap = network.snapshot;
  return (
    <Card title="Network" className="mt-4">
      <dl className="grid grid-cols-1 gap-x-6 gap-y-2 text-sm md:grid-cols-[auto_1fr]">
        <dt className="text-slate-500">MAC</dt>
        <dd data-testid="vm-mac">{network.mac ? <Mono value={network.mac} /> : <span className="text-slate-500">unknown (no port in the registry)</span>}</dd>
        <dt className="text-slate-500">Port binding now</dt>
        <dd data-testid="port-binding" className="flex flex-wrap items-center gap-1.5">
          {[sourceHost, destHost].map((host, i) => (
            <span key={host} className="inline-flex items-center gap-1.5">
              {i > 0 && <span className="text-slate-400"> → </span>}
              <span className="font-medium">{host}</span> <Pill tone={BINDING_TONE[bindingOf(host)] ?? "neutral"}>{bindingOf(host)}</Pill>
            </span>
          ))}
        </dd>
        <dt className="text-slate-500">Relocation</dt>
        <dd className="text-slate-700">{commitmentDetail ?? "The controller moves the VM's MAC to its new port on every switch the moment the source pauses."}</dd>
      </dl>

      <div className="mt-4 border-t border-slate-100 pt-3">
        {snap ? (
          <>
            <p className="mb-3 text-xs text-slate-500">
              Flows for <span className="font-mono">{snap.mac}</span> on each switch, read from the controller&apos;s flow mirror just before the relocation was sent and
              right after its barriers (<RelativeTime at={new Date(snap.takenAt)} />).
            </p>
            <div className="space-y-4">
              {switchesOf(snap).map(({ dpid, host, before, after }) => (
                <section key={dpid} data-testid="switch-flows" data-dpid={dpid} data-host={host ?? ""}>
                  <h3 className="mb-1.5 flex items-center gap-2 text-sm">
                    <span className="font-semibold text-slate-800">{host ?? "unregistered switch"}</span>
                    <Mono value={dpid} className="text-slate-500" />
                    <Link className="text-xs text-accent-700 hover:underline" href={`/switches/${dpid}`}>
                      live flow table
                    </Link>
                  </h3>
                  <FlowBlock testId="flows-before" label="before commitment" side={before} />
                  <FlowBlock testId="flows-after" label="after commitment" side={after} />
                </section>
              ))}
            </div>
          </>
        ) : (
          <p className="text-sm text-slate-500" data-testid="flows-empty">
            {status === "running"
              ? "Flows are captured when the network moves, at the switch-over: the flows for this MAC on each switch just before and just after."
              : status === "completed"
                ? "No flow snapshot is stored for this migration."
                : "No flows were captured: the migration ended before the network moved, so the switches still send this MAC where they did."}
          </p>
        )}
        <p className="mt-3 text-sm">
          Switch flows: <Link className="text-accent-700 hover:underline" href="/switches">Switches</Link>
        </p>
      </div>
    </Card>
  );
}

function switchesOf(snap: NonNullable<MigrationNetwork["snapshot"]>) {
  const dpids = [...new Set([...snap.before, ...snap.after].map((s) => s.dpid))];
  return dpids
    .map((dpid) => {
      const before = snap.before.find((s) => s.dpid === dpid) ?? null;
      const after = snap.after.find((s) => s.dpid === dpid) ?? null;
      return { dpid, host: before?.host ?? after?.host ?? null, before, after };
    })
    .sort((a, b) => (a.host ?? "~").localeCompare(b.host ?? "~") || a.dpid.localeCompare(b.dpid));
}

function FlowBlock({ testId, label, side }: { testId: string; label: string; side: SwitchFlowLines | null }) {
  return (
    <div data-testid={testId} className="mb-2">
      <div className="mb-0.5 text-xs font-medium text-slate-500">{label}</div>
      {!side ? (
        <p className="text-xs text-slate-500">the switch was not connected</p>
      ) : side.flows.length === 0 ? (
        <p className="rounded bg-slate-50 px-2 py-1.5 text-xs text-slate-500">no flow for this MAC</p>
      ) : (
        // Whole lines, wrapped with a hanging indent: the match and actions at the end are what matter.
        <div className="space-y-1 rounded bg-slate-50 px-2 py-1.5 font-mono text-[11px] leading-5 text-slate-800">
          {side.flows.map((line, i) => (
            <div key={i} className="whitespace-pre-wrap pl-6 -indent-6 [overflow-wrap:anywhere]">
              {line.trimStart()}
            </div>
          ))}
          {side.omitted > 0 && <div className="text-slate-500">… {side.omitted} more not kept</div>}
        </div>
      )}
    </div>
  );
}
