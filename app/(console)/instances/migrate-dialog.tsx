"use client";
// Live migrate: destination grouped by site with free memory and the automatic pick marked;
// options under "Advanced"; the pre-checks appear as soon as a destination is chosen, and
// Confirm stays disabled while any check fails.
import { useEffect, useMemo, useRef, useState } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useTRPC } from "../../trpc";
import { Pill } from "../../_components/ui";
import { useOpenMigration } from "../../_components/opening";

export interface MigrateTarget {
  name: string;
  host: string | null;
  site: string | null;
  memoryMiB: number;
}

const CHECK_TONE = { pass: "ok", warn: "warning", fail: "failed" } as const;

export function MigrateDialog({ vm, onClose }: { vm: MigrateTarget; onClose: () => void }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const router = useRouter();
  const openMigration = useOpenMigration();
  const ref = useRef<HTMLDialogElement>(null);
  const hosts = useQuery(trpc.inventory.hosts.queryOptions());
  const [dest, setDest] = useState<string>("");
  const [bandwidth, setBandwidth] = useState("");
  const [downtime, setDowntime] = useState("");
  const [autoConverge, setAutoConverge] = useState(false);

  useEffect(() => {
    ref.current?.showModal();
  }, []);

  // The automatic choice: an up host at another site with the most free memory.
  const candidates = useMemo(() => (hosts.data ?? []).filter((h) => h.name !== vm.host), [hosts.data, vm.host]);
  const best = useMemo(() => {
    const other = candidates.filter((h) => h.status === "up" && h.site !== vm.site);
    return [...(other.length ? other : candidates)].sort((a, b) => (b.memoryFreeMiB ?? 0) - (a.memoryFreeMiB ?? 0))[0]?.name ?? "";
  }, [candidates, vm.site]);
  useEffect(() => {
    if (!dest && best) setDest(best);
  }, [best, dest]);

  const checks = useQuery(trpc.migrations.precheck.queryOptions({ vm: vm.name, destHost: dest }, { enabled: dest !== "" }));
  const start = useMutation(
    trpc.migrations.start.mutationOptions({
      // The start answers with the migration's first state (its checks under way): its view shows
      // that at once, while the client-side navigation to its page is on its way.
      onSuccess: ({ id, migration }) => {
        if (migration) qc.setQueryData(trpc.migrations.get.queryKey({ id }), migration);
        else void qc.prefetchQuery(trpc.migrations.get.queryOptions({ id }));
        openMigration(id);
        router.push(`/migrations/${id}`);
        ref.current?.close();
      },
    }),
  );
  const failing = checks.data?.some((c) => c.status === "fail") ?? true;
  const sites = [...new Set(candidates.map((h) => h.site))];

  return (
    <dialog ref={ref} onClose={onClose} className="m-auto w-[34rem] rounded-lg p-0 shadow-2xl backdrop:bg-slate-900/40" aria-labelledby="migrate-title">
      <form
        method="dialog"
        className="p-5"
        onSubmit={(e) => {
          e.preventDefault();
          start.mutate({
            vm: vm.name,
            destHost: dest,
            // The view it opens shows the checks run again as the first phase.
            waitForChecks: false,
            options: {
              ...(bandwidth ? { maxBandwidthMiBps: Number(bandwidth) } : {}),
              ...(downtime ? { downtimeLimitMs: Number(downtime) } : {}),
              ...(autoConverge ? { autoConverge: true } : {}),
            },
          });
        }}
      >
        <h2 id="migrate-title" className="text-base font-semibold">
          Live migrate {vm.name}
        </h2>
        <p className="mt-1 text-sm text-slate-600">
          Now on <span className="font-medium">{vm.host}</span> (site {vm.site?.toUpperCase()}), {vm.memoryMiB} MiB.
        </p>

        <fieldset className="mt-4">
          <legend className="mb-1 text-xs font-medium uppercase tracking-wide text-slate-500">Destination</legend>
          {sites.map((site) => (
            <div key={site} className="mb-2">
              <div className="text-xs text-slate-500">Site {site.toUpperCase()}</div>
              {candidates
                .filter((h) => h.site === site)
                .map((h) => (
                  <label key={h.name} className="flex cursor-pointer items-center gap-2 rounded px-2 py-1 text-sm hover:bg-slate-50">
                    <input type="radio" name="dest" value={h.name} checked={dest === h.name} onChange={() => setDest(h.name)} />
                    <span className="font-medium">{h.name}</span>
                    <span className="text-xs text-slate-500">{h.memoryFreeMiB === null ? "free memory unknown" : `${h.memoryFreeMiB.toLocaleString("en-US")} MiB free`}</span>
                    {h.status !== "up" && <Pill tone="failed">{h.status}</Pill>}
                    {h.name === best && <Pill tone="running">best choice</Pill>}
                  </label>
                ))}
            </div>
          ))}
        </fieldset>

        <details className="mt-2">
          <summary className="cursor-pointer text-sm text-slate-700">Advanced</summary>
          <div className="mt-2 grid grid-cols-2 gap-3 text-sm">
            <label className="flex flex-col gap-1">
              Bandwidth cap (MiB/s)
              <input type="number" min="1" value={bandwidth} onChange={(e) => setBandwidth(e.target.value)} placeholder="unlimited" className="rounded border border-slate-300 px-2 py-1" />
            </label>
            <label className="flex flex-col gap-1">
              Downtime limit (ms)
              <input type="number" min="1" value={downtime} onChange={(e) => setDowntime(e.target.value)} placeholder="hypervisor default" className="rounded border border-slate-300 px-2 py-1" />
            </label>
            <label className="col-span-2 flex items-center gap-2">
              <input type="checkbox" checked={autoConverge} onChange={(e) => setAutoConverge(e.target.checked)} /> Auto-converge (throttle the guest if pre-copy does not converge)
            </label>
          </div>
        </details>

        <div className="mt-4" data-testid="prechecks">
          <div className="mb-1 text-xs font-medium uppercase tracking-wide text-slate-500">Pre-checks</div>
          {!dest ? (
            <p className="text-sm text-slate-500">Choose a destination.</p>
          ) : checks.isPending ? (
            <p className="text-sm text-slate-500">Checking…</p>
          ) : checks.error ? (
            <p className="text-sm text-red-700">{checks.error.message}</p>
          ) : (
            <ul className="space-y-1">
              {checks.data.map((c) => (
                <li key={c.name} className="flex items-start gap-2 text-sm">
                  <Pill tone={CHECK_TONE[c.status]}>{c.status}</Pill>
                  <span>{c.reason}</span>
                </li>
              ))}
            </ul>
          )}
        </div>

        {start.error && (
          <p role="alert" className="mt-3 rounded border border-red-200 bg-red-50 px-3 py-2 text-sm text-red-700">
            {start.error.message}
          </p>
        )}
        <div className="mt-5 flex justify-end gap-2">
          <button type="button" onClick={() => ref.current?.close()} className="rounded border border-slate-300 px-3 py-1.5 text-sm hover:bg-slate-100">
            Close
          </button>
          <button type="submit" disabled={failing || start.isPending || !dest} className="rounded bg-accent-600 px-3 py-1.5 text-sm font-medium text-white hover:bg-accent-700 disabled:opacity-50">
            {start.isPending ? "Starting…" : "Confirm migration"}
          </button>
        </div>
      </form>
    </dialog>
  );
}
