"use client";
// The image catalogue (Horizon's Images panel): every image with its files, size, whether its files
// are still on storage and which instances were launched from it; admins register and remove
// images. The storage paths the hosts report are listed too, since registered files must be there.
import Link from "next/link";
import { useMemo, useState } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useTRPC } from "../../trpc";
import { Card, EmptyState, ErrorBox, Loading, Pill } from "../../_components/ui";
import { Mono } from "../../_components/copy";
import { RelativeTime } from "../../_components/time";
import { ConfirmDialog } from "../instances/confirm-dialog";
import { RegisterImageDialog } from "./register-image-dialog";

export function formatSize(n: number | null): string {
  if (n === null) return "—";
  return n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(1)} MiB` : `${Math.ceil(n / 1024)} KiB`;
}

export function ImageCatalogue() {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const me = useQuery(trpc.auth.me.queryOptions());
  const images = useQuery(trpc.images.list.queryOptions(undefined, { refetchInterval: 15_000 }));
  const vms = useQuery(trpc.inventory.vms.queryOptions(undefined, { refetchInterval: 15_000 }));
  const storage = useQuery(trpc.images.storage.queryOptions());
  const [registering, setRegistering] = useState(false);
  const [removing, setRemoving] = useState<string | null>(null);
  const isAdmin = me.data?.role === "admin";

  const usedBy = useMemo(() => {
    const m = new Map<string, string[]>();
    for (const v of vms.data ?? []) if (v.image) m.set(v.image, [...(m.get(v.image) ?? []), v.name]);
    return m;
  }, [vms.data]);

  const remove = useMutation(
    trpc.images.remove.mutationOptions({
      onSuccess: () => {
        setRemoving(null);
        void qc.invalidateQueries({ queryKey: trpc.images.list.queryKey() });
      },
    }),
  );

  let body: React.ReactNode;
  if (images.isPending) body = <Loading label="Loading the catalogue…" />;
  else if (images.error) body = <ErrorBox error={images.error} />;
  else if (images.data.length === 0) {
    body = (
      <EmptyState title="The catalogue is empty">
        The lab registers its guest image when it starts{isAdmin ? "; register a kernel + initrd from shared storage with Register image, above" : ""}.
      </EmptyState>
    );
  } else {
    body = (
      <div className="overflow-x-auto rounded-lg border border-slate-200 bg-white">
        <table className="w-full text-sm" data-testid="image-table">
          <thead className="bg-slate-50 text-left text-xs font-medium uppercase tracking-wide text-slate-500">
            <tr>
              <th className="px-3 py-2">Name</th>
              <th className="px-3 py-2">Kind · format</th>
              <th className="px-3 py-2">Files</th>
              <th className="px-3 py-2 text-right">Size</th>
              <th className="px-3 py-2">Status</th>
              <th className="whitespace-nowrap px-3 py-2">In use by</th>
              {isAdmin && <th className="px-3 py-2 text-right">Actions</th>}
            </tr>
          </thead>
          <tbody className="divide-y divide-slate-100">
            {images.data.map((i) => {
              const users = usedBy.get(i.name) ?? [];
              return (
                <tr key={i.id} className="align-top hover:bg-slate-50" data-image={i.name}>
                  <td className="px-3 py-1.5">
                    <span className="whitespace-nowrap font-medium">{i.name}</span>
                    {i.description && <span className="block max-w-48 text-xs text-slate-500">{i.description}</span>}
                    <span className="block whitespace-nowrap text-xs text-slate-500">
                      registered <RelativeTime at={new Date(i.createdAt)} />
                    </span>
                  </td>
                  <td className="px-3 py-1.5 text-xs text-slate-600">
                    <Pill tone="neutral">{i.source === "lab" ? "lab guest" : "registered"}</Pill>
                    <span className="mt-1 block">kernel + initrd</span>
                    {i.memoryLoad && <span className="block text-slate-500">takes a memory load</span>}
                  </td>
                  <td className="min-w-[12rem] max-w-[18rem] px-3 py-1.5">
                    <dl className="grid grid-cols-[3rem_1fr] gap-x-2 text-xs">
                      <dt className="text-slate-500">kernel</dt>
                      <dd className="break-all">
                        <Mono value={i.kernel} className="break-all text-left" />
                      </dd>
                      <dt className="text-slate-500">initrd</dt>
                      <dd className="break-all">
                        <Mono value={i.initrd} className="break-all text-left" />
                      </dd>
                    </dl>
                  </td>
                  <td className="whitespace-nowrap px-3 py-1.5 text-right tabular-nums" data-testid="image-size">
                    {formatSize(i.sizeBytes)}
                  </td>
                  <td className="px-3 py-1.5">
                    <Pill tone={i.available ? "ok" : "failed"}>{i.available ? "available" : "files missing"}</Pill>
                  </td>
                  <td className="px-3 py-1.5" data-testid="image-users">
                    {vms.isPending ? (
                      <span className="text-xs text-slate-400">…</span>
                    ) : users.length === 0 ? (
                      <span className="text-xs text-slate-500">not in use</span>
                    ) : (
                      users.map((n, k) => (
                        <span key={n}>
                          {k > 0 && ", "}
                          <Link href={`/instances/${encodeURIComponent(n)}`} className="text-accent-700 hover:underline">
                            {n}
                          </Link>
                        </span>
                      ))
                    )}
                  </td>
                  {isAdmin && (
                    <td className="px-3 py-1.5 text-right">
                      {i.source === "lab" ? (
                        <span className="text-xs text-slate-400" title="Registered again whenever the lab starts">
                          kept by the lab
                        </span>
                      ) : (
                        <button type="button" onClick={() => setRemoving(i.name)} className="rounded border border-red-300 px-2 py-0.5 text-xs font-medium text-red-700 hover:bg-red-50">
                          Remove
                        </button>
                      )}
                    </td>
                  )}
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    );
  }

  const target = removing ? images.data?.find((i) => i.name === removing) : undefined;
  const targetUsers = removing ? (usedBy.get(removing) ?? []) : [];

  return (
    <div className="space-y-4">
      <div className="flex items-center gap-2">
        {images.data && (
          <span className="text-xs text-slate-500" data-testid="image-count">
            {images.data.length} image{images.data.length === 1 ? "" : "s"}
          </span>
        )}
        {isAdmin && (
          <button type="button" onClick={() => setRegistering(true)} className="ml-auto rounded bg-accent-600 px-3 py-1.5 text-sm font-medium text-white hover:bg-accent-700">
            Register image
          </button>
        )}
      </div>
      {body}
      <Card title="Shared storage">
        {storage.isPending ? (
          <Loading label="Asking the hosts for their storage paths…" />
        ) : storage.error ? (
          <ErrorBox error={storage.error} />
        ) : storage.data.hosts.length === 0 ? (
          <p className="text-sm text-slate-500">No host answered, so no storage path is known; images can be registered once the hosts are up.</p>
        ) : (
          <>
            <p className="mb-2 text-sm text-slate-600">An image&apos;s files must lie under one of these directories, which every host sees under the same path (the role NFS plays for a real cloud).</p>
            <table className="text-sm" data-testid="storage-paths">
              <tbody>
                {storage.data.hosts.map((h) => (
                  <tr key={h.host}>
                    <td className="py-0.5 pr-4 align-top font-medium">{h.host}</td>
                    <td className="py-0.5">
                      {h.paths.length === 0 ? (
                        <span className="text-xs text-slate-500">none reported</span>
                      ) : (
                        h.paths.map((p) => <Mono key={p} value={p} className="mr-3" />)
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </>
        )}
      </Card>
      {registering && <RegisterImageDialog storagePaths={storage.data?.paths ?? []} onClose={() => setRegistering(false)} />}
      {removing && (
        <ConfirmDialog
          title={`Remove image ${removing}?`}
          confirmLabel="Remove"
          danger
          busy={remove.isPending}
          error={remove.error?.message}
          onConfirm={() => remove.mutate({ name: removing })}
          onClose={() => (setRemoving(null), remove.reset())}
        >
          {removing} leaves the catalogue, so it can no longer be chosen in Launch instance. Its files stay on storage{target ? ` (${target.kernel}, ${target.initrd})` : ""}.{" "}
          {targetUsers.length > 0
            ? `${targetUsers.join(", ")} ${targetUsers.length === 1 ? "was" : "were"} launched from it and keep${targetUsers.length === 1 ? "s" : ""} running: an instance's definition names the files itself.`
            : "No instance uses it."}
        </ConfirmDialog>
      )}
    </div>
  );
}
