"use client";
// Launch instance: image from the catalogue, name, memory, vCPUs, placement (automatic, automatic
// within a site, or a host picked from those grouped by site with their free memory), network,
// and under "Advanced" the guest's memory load for migration studies.
import { useEffect, useRef, useState } from "react";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useTRPC } from "../../trpc";
import { Pill } from "../../_components/ui";

const NAME_RE = /^[a-z]([a-z0-9-]{0,30}[a-z0-9])?$/;
const MEMORY_PRESETS = [512, 1024, 2048, 4096];
const MIB_MIN = 128;
const MIB_MAX = 4096;

function formatBytes(n: number | null): string {
  if (n === null) return "size unknown";
  return n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(1)} MiB` : `${Math.ceil(n / 1024)} KiB`;
}

export function LaunchDialog({ onClose }: { onClose: () => void }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const router = useRouter();
  const ref = useRef<HTMLDialogElement>(null);
  const images = useQuery(trpc.images.list.queryOptions());
  const networks = useQuery(trpc.inventory.networks.queryOptions());

  const [image, setImage] = useState("");
  const [name, setName] = useState("");
  const [memory, setMemory] = useState("512");
  const [vcpus, setVcpus] = useState("1");
  const [placement, setPlacement] = useState("auto");
  const [network, setNetwork] = useState("");
  const [fill, setFill] = useState("");
  const [dirty, setDirty] = useState("");

  useEffect(() => {
    ref.current?.showModal();
  }, []);
  useEffect(() => {
    if (!image && images.data?.length) setImage((images.data.find((i) => i.available) ?? images.data[0]!).name);
  }, [images.data, image]);
  useEffect(() => {
    if (!network && networks.data?.length) setNetwork(networks.data[0]!.name);
  }, [networks.data, network]);

  const memoryMiB = Number(memory);
  const memoryOk = Number.isInteger(memoryMiB) && memoryMiB >= MIB_MIN && memoryMiB <= MIB_MAX;
  const placementQuery = useQuery(trpc.instances.placement.queryOptions({ memoryMiB: memoryOk ? memoryMiB : MIB_MIN, image: image || undefined }, { enabled: memoryOk }));
  const hosts = placementQuery.data?.hosts ?? [];
  const sites = [...new Set(hosts.map((h) => h.site))];
  const chosenImage = images.data?.find((i) => i.name === image);
  const bestAt = (site: string) => hosts.filter((h) => h.site === site && h.fits).sort((a, b) => (b.freeMiB ?? 0) - (a.freeMiB ?? 0))[0]?.name ?? null;

  const problems: string[] = [];
  if (!NAME_RE.test(name)) problems.push("Name: 1–32 lowercase letters, digits or inner dashes, starting with a letter.");
  if (!memoryOk) problems.push(`Memory: ${MIB_MIN}–${MIB_MAX} MiB.`);
  if (!image) problems.push("Choose an image.");
  else if (chosenImage && !chosenImage.available) problems.push(`The files of ${image} are missing from storage.`);
  if (placement === "auto" && placementQuery.data && !placementQuery.data.best) problems.push(`No host has ${memoryMiB} MiB free.`);
  if (placement.startsWith("site:") && placementQuery.data && !bestAt(placement.slice(5))) problems.push(`No host at site ${placement.slice(5).toUpperCase()} has ${memoryMiB} MiB free.`);
  if (placement.startsWith("host:") && !hosts.find((h) => h.name === placement.slice(5))?.fits) problems.push(`${placement.slice(5)} cannot take this instance.`);

  const launch = useMutation(
    trpc.instances.launch.mutationOptions({
      onSuccess: (vm) => {
        void qc.invalidateQueries({ queryKey: trpc.inventory.vms.queryKey() });
        router.push(`/instances/${encodeURIComponent(vm.name)}`);
      },
    }),
  );

  return (
    <dialog ref={ref} onClose={onClose} className="m-auto w-[38rem] max-w-[95vw] rounded-lg p-0 shadow-2xl backdrop:bg-slate-900/40" aria-labelledby="launch-title">
      <form
        className="max-h-[90vh] overflow-y-auto p-5"
        onSubmit={(e) => {
          e.preventDefault();
          if (problems.length) return;
          launch.mutate({
            name,
            image,
            memoryMiB,
            vcpus: Number(vcpus),
            ...(placement.startsWith("host:") ? { host: placement.slice(5) } : {}),
            ...(placement.startsWith("site:") ? { site: placement.slice(5) } : {}),
            ...(network ? { network } : {}),
            ...(fill ? { fillMb: Number(fill) } : {}),
            ...(dirty ? { dirtyMbps: Number(dirty) } : {}),
          });
        }}
      >
        <h2 id="launch-title" className="text-base font-semibold">
          Launch instance
        </h2>

        <fieldset className="mt-4">
          <legend className="mb-1 flex w-full items-baseline justify-between text-xs font-medium uppercase tracking-wide text-slate-500">
            Image
            <Link href="/images" className="text-xs font-normal normal-case tracking-normal text-accent-700 hover:underline">
              Register or remove images
            </Link>
          </legend>
          {images.isPending ? (
            <p className="text-sm text-slate-500">Loading the catalogue…</p>
          ) : images.error ? (
            <p className="text-sm text-red-700">{images.error.message}</p>
          ) : images.data.length === 0 ? (
            <p className="text-sm text-slate-500">The catalogue is empty: the lab registers its guest image when it starts, and images on shared storage can be registered under Images.</p>
          ) : (
            images.data.map((i) => (
              <label key={i.name} className="flex cursor-pointer items-start gap-2 rounded px-2 py-1 text-sm hover:bg-slate-50">
                <input type="radio" name="image" value={i.name} checked={image === i.name} onChange={() => setImage(i.name)} className="mt-1" />
                <span>
                  <span className="font-medium">{i.name}</span> <span className="text-xs text-slate-500">{formatBytes(i.sizeBytes)}</span> {i.source === "lab" && <Pill tone="neutral">lab</Pill>} {!i.available && <Pill tone="failed">files missing</Pill>}
                  {i.description && <span className="block text-xs text-slate-500">{i.description}</span>}
                </span>
              </label>
            ))
          )}
        </fieldset>

        <div className="mt-4 grid grid-cols-3 gap-3 text-sm">
          <label className="col-span-3 flex flex-col gap-1">
            Name
            <input autoFocus required value={name} onChange={(e) => setName(e.target.value.trim())} placeholder="e.g. web-1" aria-describedby="name-hint" className="rounded border border-slate-300 px-2 py-1 font-mono" />
            <span id="name-hint" className="text-xs text-slate-500">
              Lowercase letters, digits and dashes; it becomes the guest's hostname.
            </span>
          </label>
          <label className="col-span-2 flex flex-col gap-1">
            Memory (MiB)
            <input type="number" min={MIB_MIN} max={MIB_MAX} step={64} required value={memory} onChange={(e) => setMemory(e.target.value)} className="rounded border border-slate-300 px-2 py-1 tabular-nums" />
            <span className="flex gap-1">
              {MEMORY_PRESETS.map((m) => (
                <button key={m} type="button" onClick={() => setMemory(String(m))} aria-pressed={memoryMiB === m} className={`rounded border px-1.5 py-0.5 text-xs ${memoryMiB === m ? "border-accent-600 bg-accent-50 text-accent-700" : "border-slate-300 hover:bg-slate-100"}`}>
                  {m >= 1024 ? `${m / 1024} GiB` : `${m} MiB`}
                </button>
              ))}
            </span>
          </label>
          <label className="flex flex-col gap-1">
            vCPUs
            <select value={vcpus} onChange={(e) => setVcpus(e.target.value)} className="rounded border border-slate-300 px-2 py-1">
              <option value="1">1</option>
              <option value="2">2</option>
            </select>
          </label>
        </div>

        <fieldset className="mt-4">
          <legend className="mb-1 text-xs font-medium uppercase tracking-wide text-slate-500">Placement</legend>
          <label className="flex cursor-pointer items-center gap-2 rounded px-2 py-1 text-sm hover:bg-slate-50">
            <input type="radio" name="placement" value="auto" checked={placement === "auto"} onChange={() => setPlacement("auto")} />
            <span className="font-medium">Automatic</span>
            <span className="text-xs text-slate-500">{placementQuery.data?.best ? `the host with the most free memory (now ${placementQuery.data.best})` : "the host with the most free memory"}</span>
          </label>
          {placementQuery.isPending && memoryOk ? (
            <p className="px-2 text-sm text-slate-500">Asking the hosts for their free memory…</p>
          ) : placementQuery.error ? (
            <p className="px-2 text-sm text-red-700">{placementQuery.error.message}</p>
          ) : (
            sites.map((site) => (
              <div key={site} className="mt-1">
                <label className="flex cursor-pointer items-center gap-2 rounded px-2 py-1 text-sm hover:bg-slate-50">
                  <input type="radio" name="placement" value={`site:${site}`} checked={placement === `site:${site}`} onChange={() => setPlacement(`site:${site}`)} />
                  <span className="font-medium">Automatic at site {site.toUpperCase()}</span>
                  {bestAt(site) ? <span className="text-xs text-slate-500">now {bestAt(site)}</span> : <Pill tone="failed">nothing fits</Pill>}
                </label>
                {hosts
                  .filter((h) => h.site === site)
                  .map((h) => (
                    <label key={h.name} className="ml-6 flex cursor-pointer items-center gap-2 rounded px-2 py-1 text-sm hover:bg-slate-50">
                      <input type="radio" name="placement" value={`host:${h.name}`} checked={placement === `host:${h.name}`} onChange={() => setPlacement(`host:${h.name}`)} disabled={!h.fits} />
                      <span className={h.fits ? "" : "text-slate-400"}>{h.name}</span>
                      <span className="text-xs text-slate-500">{h.reason}</span>
                      {h.status !== "up" && <Pill tone="failed">{h.status}</Pill>}
                    </label>
                  ))}
              </div>
            ))
          )}
        </fieldset>

        <label className="mt-4 flex flex-col gap-1 text-sm">
          Network
          <select value={network} onChange={(e) => setNetwork(e.target.value)} className="rounded border border-slate-300 px-2 py-1">
            {(networks.data ?? []).map((n) => (
              <option key={n.name} value={n.name}>
                {n.name} ({n.subnets.join(", ") || "no subnet"})
              </option>
            ))}
          </select>
        </label>

        {chosenImage?.memoryLoad && (
          <details className="mt-3">
            <summary className="cursor-pointer text-sm text-slate-700">Advanced: memory load</summary>
            <div className="mt-2 grid grid-cols-2 gap-3 text-sm">
              <label className="flex flex-col gap-1">
                Fill (MiB)
                <input type="number" min="0" max={Math.max(0, memoryMiB - 96)} value={fill} onChange={(e) => setFill(e.target.value)} placeholder="0 = none" className="rounded border border-slate-300 px-2 py-1" />
              </label>
              <label className="flex flex-col gap-1">
                Dirty rate (MiB/s)
                <input type="number" min="0" max="1000" value={dirty} onChange={(e) => setDirty(e.target.value)} placeholder="0 = fill once" className="rounded border border-slate-300 px-2 py-1" />
              </label>
              <p className="col-span-2 text-xs text-slate-500">The guest fills this much memory with random data and keeps rewriting it at this rate — what makes pre-copy resend pages.</p>
            </div>
          </details>
        )}

        {problems.length > 0 && name !== "" && (
          <ul className="mt-3 space-y-0.5 text-xs text-amber-800" data-testid="launch-problems">
            {problems.map((p) => (
              <li key={p}>{p}</li>
            ))}
          </ul>
        )}
        {launch.error && (
          <p role="alert" className="mt-3 rounded border border-red-200 bg-red-50 px-3 py-2 text-sm text-red-700">
            {launch.error.message}
          </p>
        )}
        <div className="mt-5 flex justify-end gap-2">
          <button type="button" onClick={() => ref.current?.close()} className="rounded border border-slate-300 px-3 py-1.5 text-sm hover:bg-slate-100">
            Cancel
          </button>
          <button type="submit" disabled={problems.length > 0 || launch.isPending} className="rounded bg-accent-600 px-3 py-1.5 text-sm font-medium text-white hover:bg-accent-700 disabled:opacity-50">
            {launch.isPending ? "Launching…" : "Launch"}
          </button>
        </div>
      </form>
    </dialog>
  );
}
