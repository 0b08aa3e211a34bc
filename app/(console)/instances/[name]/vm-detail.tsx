"use client";
// One instance: where it runs, its port (MAC, IP, bindings), what the hypervisor says, its recent
// migrations and console; admins get Start / Shut down / Delete (confirmed) and Live migrate.
import Link from "next/link";
import { useState } from "react";
import { useRouter } from "next/navigation";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useTRPC } from "../../../trpc";
import { Card, ErrorBox, Loading, Pill } from "../../../_components/ui";
import { Mono } from "../../../_components/copy";
import { RelativeTime } from "../../../_components/time";
import { MigrateDialog } from "../migrate-dialog";
import { ConfirmDialog } from "../confirm-dialog";
import { stateTone, TRANSIENT } from "../vm-state";

const MIGRATION_TONE = { running: "running", completed: "ok", failed: "failed", cancelled: "warning" } as const;

type Action = "start" | "shutdown" | "delete";

export function VmDetail({ name }: { name: string }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const router = useRouter();
  const me = useQuery(trpc.auth.me.queryOptions());
  const vm = useQuery(
    trpc.instances.get.queryOptions(
      { name },
      { refetchInterval: (q) => (q.state.data && (TRANSIENT.has(q.state.data.state) || q.state.data.operation) ? 1_500 : 5_000), retry: (n, e) => e.data?.code !== "NOT_FOUND" && n < 2 },
    ),
  );
  const [confirm, setConfirm] = useState<Action | null>(null);
  const [migrating, setMigrating] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  const refresh = () => {
    void qc.invalidateQueries({ queryKey: trpc.instances.get.queryKey({ name }) });
    void qc.invalidateQueries({ queryKey: trpc.inventory.vms.queryKey() });
  };
  const start = useMutation(trpc.instances.start.mutationOptions({ onSuccess: () => (setConfirm(null), setNotice(null), refresh()) }));
  const shutdown = useMutation(
    trpc.instances.shutdown.mutationOptions({
      onSuccess: (r) => {
        setConfirm(null);
        setNotice(r.forced ? "The guest ignored the power button; it was powered off." : null);
        refresh();
      },
    }),
  );
  const del = useMutation(
    trpc.instances.delete.mutationOptions({
      onSuccess: () => {
        setConfirm(null);
        void qc.invalidateQueries({ queryKey: trpc.inventory.vms.queryKey() });
        router.push("/instances");
      },
    }),
  );

  if (vm.isPending) return <Loading />;
  if (vm.error) {
    return (
      <div className="space-y-3">
        <BackLink />
        <ErrorBox error={vm.error} />
      </div>
    );
  }
  const v = vm.data;
  const isAdmin = me.data?.role === "admin";
  const busy = Boolean(v.operation) || start.isPending || shutdown.isPending || del.isPending;
  const live = v.hypervisor.state;
  const isOff = live === "shutoff" || (live === null && v.state === "shutoff");
  const isUp = live === "running" || live === "paused";

  return (
    <div className="space-y-4">
      <BackLink />
      <div className="flex flex-wrap items-start justify-between gap-3">
        <div>
          <h1 className="flex items-center gap-2 text-lg font-semibold tracking-tight text-slate-900">
            Instance {v.name} <Pill tone={stateTone(v.state)}>{v.state}</Pill>
          </h1>
          <p className="mt-0.5 text-sm text-slate-500">
            {v.host ? (
              <>
                on <span className="font-medium text-slate-700">{v.host}</span> (site {v.site?.toUpperCase()})
              </>
            ) : (
              "no known host"
            )}
            {" · "}
            {v.memoryMiB} MiB · {v.vcpus} vCPU{v.vcpus === 1 ? "" : "s"} · image {v.image ?? "—"}
          </p>
        </div>
        {isAdmin && (
          <div className="flex gap-2" role="group" aria-label="Instance actions">
            <button type="button" disabled={busy || !isOff} onClick={() => setConfirm("start")} className="rounded border border-slate-300 px-3 py-1.5 text-sm font-medium hover:bg-slate-100 disabled:opacity-40">
              {start.isPending ? "Starting…" : "Start"}
            </button>
            <button type="button" disabled={busy || !isUp} onClick={() => setConfirm("shutdown")} className="rounded border border-slate-300 px-3 py-1.5 text-sm font-medium hover:bg-slate-100 disabled:opacity-40">
              Shut down
            </button>
            <button type="button" disabled={busy || v.state !== "running"} onClick={() => setMigrating(true)} className="rounded border border-slate-300 px-3 py-1.5 text-sm font-medium hover:bg-slate-100 disabled:opacity-40">
              Live migrate
            </button>
            <button type="button" disabled={busy || v.state === "migrating"} onClick={() => setConfirm("delete")} className="rounded border border-red-300 px-3 py-1.5 text-sm font-medium text-red-700 hover:bg-red-50 disabled:opacity-40">
              Delete
            </button>
          </div>
        )}
      </div>

      {(v.state === "booting" || v.state === "building") && (
        <div className="flex items-center gap-2 rounded-lg border border-sky-200 bg-sky-50 px-4 py-2.5 text-sm text-sky-800" aria-live="polite" data-testid="boot-progress">
          <span className="h-3 w-3 animate-spin rounded-full border-2 border-sky-300 border-t-sky-700" />
          {v.state === "building" ? "Defining the instance on its host…" : "Booting — waiting for the guest to report ready on its console."}
        </div>
      )}
      {v.operation && v.state !== "booting" && (
        <p className="text-sm text-slate-600" aria-live="polite">
          {v.operation} in progress…
        </p>
      )}
      {notice && <p className="rounded-lg border border-amber-200 bg-amber-50 px-4 py-2 text-sm text-amber-800">{notice}</p>}

      <div className="grid gap-4 lg:grid-cols-2">
        <Card title="Details">
          <dl className="grid grid-cols-[9rem_1fr] gap-x-3 gap-y-1.5 text-sm">
            <dt className="text-slate-500">State (Ferry)</dt>
            <dd>
              <Pill tone={stateTone(v.state)}>{v.state}</Pill>
            </dd>
            <dt className="text-slate-500">Hypervisor says</dt>
            <dd>{v.hypervisor.error ? <span className="text-red-700">{v.hypervisor.error}</span> : <Pill tone={stateTone(live ?? "unknown")}>{live}</Pill>}</dd>
            <dt className="text-slate-500">Host</dt>
            <dd>{v.host ?? "—"}</dd>
            <dt className="text-slate-500">Site</dt>
            <dd>{v.site?.toUpperCase() ?? "—"}</dd>
            <dt className="text-slate-500">Memory</dt>
            <dd className="tabular-nums">{v.memoryMiB} MiB</dd>
            <dt className="text-slate-500">vCPUs</dt>
            <dd className="tabular-nums">{v.vcpus}</dd>
            <dt className="text-slate-500">Image</dt>
            <dd>{v.image ?? "—"}</dd>
            <dt className="text-slate-500">UUID</dt>
            <dd>
              <Mono value={v.id} />
            </dd>
            <dt className="text-slate-500">Created</dt>
            <dd>
              <RelativeTime at={new Date(v.createdAt)} />
            </dd>
            {v.cmdline && (
              <>
                <dt className="text-slate-500">Kernel command line</dt>
                <dd className="break-all font-mono text-xs text-slate-700">{v.cmdline}</dd>
              </>
            )}
          </dl>
        </Card>

        <Card title="Network">
          {v.ports.length === 0 ? (
            <p className="text-sm text-slate-500">No port is registered for this instance.</p>
          ) : (
            <table className="w-full text-sm" data-testid="vm-ports">
              <thead className="text-left text-xs uppercase tracking-wide text-slate-500">
                <tr>
                  <th className="py-1">IP</th>
                  <th className="py-1">MAC</th>
                  <th className="py-1">Network</th>
                  <th className="py-1">Bound on</th>
                </tr>
              </thead>
              <tbody>
                {v.ports.map((p) => (
                  <tr key={p.id}>
                    <td className="py-1">{p.ip ? <Mono value={p.ip} /> : "—"}</td>
                    <td className="py-1">
                      <Mono value={p.mac} />
                    </td>
                    <td className="py-1">{p.network}</td>
                    <td className="py-1">
                      {p.bindings.length === 0
                        ? "—"
                        : p.bindings.map((b) => (
                            <span key={b.host} className="mr-2 inline-flex items-center gap-1">
                              {b.host} <Pill tone={b.status === "active" ? "ok" : "neutral"}>{b.status}</Pill>
                            </span>
                          ))}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </Card>

        <Card title="Recent migrations">
          {v.migrations.length === 0 ? (
            <p className="text-sm text-slate-500">This instance has not been migrated.</p>
          ) : (
            <table className="w-full text-sm">
              <thead className="text-left text-xs uppercase tracking-wide text-slate-500">
                <tr>
                  <th className="py-1">Started</th>
                  <th className="py-1">From → to</th>
                  <th className="py-1 text-right">Total</th>
                  <th className="py-1 text-right">Downtime</th>
                  <th className="py-1">Status</th>
                </tr>
              </thead>
              <tbody>
                {v.migrations.map((m) => (
                  <tr key={m.id}>
                    <td className="py-1">
                      <Link href={`/migrations/${m.id}`} className="text-accent-700 hover:underline">
                        <RelativeTime at={new Date(m.startedAt)} />
                      </Link>
                    </td>
                    <td className="py-1">
                      {m.sourceHost} → {m.destHost}
                    </td>
                    <td className="py-1 text-right tabular-nums">{m.totalTimeMs === null ? "—" : `${(m.totalTimeMs / 1000).toFixed(1)} s`}</td>
                    <td className="py-1 text-right tabular-nums">{m.downtimeMs === null ? "—" : `${Math.round(m.downtimeMs)} ms`}</td>
                    <td className="py-1">
                      <Pill tone={MIGRATION_TONE[m.status as keyof typeof MIGRATION_TONE] ?? "neutral"}>{m.status}</Pill>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </Card>

        <Card title="Console (last lines)">
          {v.consoleTail ? (
            <pre className="max-h-64 overflow-auto whitespace-pre-wrap rounded bg-slate-900 p-3 font-mono text-xs text-slate-100" data-testid="vm-console">
              {v.consoleTail}
            </pre>
          ) : (
            <p className="text-sm text-slate-500">No console output{v.hypervisor.error ? " (the hypervisor did not answer)" : " yet"}.</p>
          )}
        </Card>
      </div>

      {confirm === "start" && (
        <ConfirmDialog
          title={`Start ${v.name}?`}
          confirmLabel="Start"
          busy={start.isPending}
          error={start.error?.message}
          onConfirm={() => start.mutate({ name })}
          onClose={() => (setConfirm(null), start.reset())}
        >
          {v.name} boots again on {v.host ?? "its host"} with its {v.memoryMiB} MiB and its port ({v.ports.map((p) => p.ip ?? p.mac).join(", ") || "none"}). It is a fresh boot: nothing of the guest&apos;s memory from before it was shut down survives.
        </ConfirmDialog>
      )}
      {confirm === "shutdown" && (
        <ConfirmDialog
          title={`Shut down ${v.name}?`}
          confirmLabel="Shut down"
          busy={shutdown.isPending}
          error={shutdown.error?.message}
          onConfirm={() => shutdown.mutate({ name })}
          onClose={() => (setConfirm(null), shutdown.reset())}
        >
          Ferry presses the guest&apos;s power button and waits up to 10 s; a guest that ignores it is powered off. Clients lose the service until it is started again.
        </ConfirmDialog>
      )}
      {confirm === "delete" && (
        <ConfirmDialog
          title={`Delete ${v.name}?`}
          confirmLabel="Delete"
          danger
          busy={del.isPending}
          error={del.error?.message}
          onConfirm={() => del.mutate({ name })}
          onClose={() => (setConfirm(null), del.reset())}
        >
          The instance is {isOff ? "" : "powered off and "}removed from {v.host ?? "its host"}, and its port ({v.ports.map((p) => p.ip ?? p.mac).join(", ") || "none"}) is released. This cannot be undone.
        </ConfirmDialog>
      )}
      {migrating && v.host && <MigrateDialog vm={{ name: v.name, host: v.host, site: v.site, memoryMiB: v.memoryMiB }} onClose={() => (setMigrating(false), refresh())} />}
    </div>
  );
}

function BackLink() {
  return (
    <Link href="/instances" className="text-sm text-accent-700 hover:underline">
      ← Instances
    </Link>
  );
}
