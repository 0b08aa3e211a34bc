"use client";
// The migrations running now, kept live for the overview: the list comes from the server and is
// refreshed on every `migrationsChanged`; each running migration's room streams its progress.
import { useEffect, useMemo, useState } from "react";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useTRPC } from "../trpc";
import { useRealtime } from "../_components/realtime";
import type { MigrationEvent } from "@/server/migration/orchestrator";

export interface LiveMigration {
  id: string;
  vmName: string;
  sourceHost: string;
  destHost: string;
  phase: string;
  /** 0..1, driven by what remains to be sent. */
  progress: number;
}

export function useLiveMigrations(): { running: LiveMigration[]; list: ReturnType<typeof useMigrationList> } {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const { socket } = useRealtime();
  const list = useMigrationList();
  const [live, setLive] = useState<Map<string, MigrationEvent>>(new Map());
  const runningRows = useMemo(() => (list.data ?? []).filter((m) => m.status === "running"), [list.data]);
  const ids = runningRows.map((m) => m.id).join(",");

  useEffect(() => {
    if (!socket) return;
    const onChanged = (info: { id: string; status: string; phase: string }) => {
      void qc.invalidateQueries({ queryKey: trpc.migrations.list.queryKey() });
      // At commitment and after, the VM has moved (or not): re-read where each VM is.
      if (info.status !== "running" || info.phase === "activation") void qc.invalidateQueries({ queryKey: trpc.inventory.vms.queryKey() });
    };
    socket.on("migrationsChanged", onChanged);
    return () => {
      socket.off("migrationsChanged", onChanged);
    };
  }, [socket, qc, trpc]);

  useEffect(() => {
    if (!socket || !ids) return;
    const rooms = ids.split(",");
    const join = () => rooms.forEach((id) => socket.emit("subscribe", `migration:${id}`, () => {}));
    join();
    socket.on("connect", join);
    const onEvent = (e: MigrationEvent) => {
      if (!rooms.includes(e.id)) return;
      setLive((prev) => new Map(prev).set(e.id, e));
    };
    socket.on("migration", onEvent);
    return () => {
      socket.off("migration", onEvent);
      socket.off("connect", join);
      rooms.forEach((id) => socket.emit("unsubscribe", `migration:${id}`));
    };
  }, [socket, ids]);

  const running = runningRows
    .map((m) => {
      const e = live.get(m.id);
      return { id: m.id, vmName: m.vmName, sourceHost: m.sourceHost, destHost: m.destHost, phase: e?.phase ?? m.phase, progress: e?.progress ?? 0, status: e?.status ?? m.status };
    })
    // A live event may say it ended before the list is re-read.
    .filter((m) => m.status === "running");
  return { running, list };
}

function useMigrationList() {
  const trpc = useTRPC();
  return useQuery(trpc.migrations.list.queryOptions({ limit: 100 }, { refetchInterval: 15_000 }));
}
