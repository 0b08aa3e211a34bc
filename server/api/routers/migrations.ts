import "server-only";
import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { adminProcedure, protectedProcedure, router, type Context } from "../trpc";
import { MigrationConflictError, PrecheckFailedError } from "../../migration/orchestrator";
import { ActiveInstanceUnavailableError } from "../../cluster/forward";
import type { MigrationControl } from "../../cluster/node";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { benchSeries, migrationSeries, PAPER_LINE } from "../../analysis/timings";
import { parseNetworkSnapshot } from "../../network/flow-lines";

/** The benchmark's figure-11 results, shown on the timings chart when present and valid. */
const FIG11_FILE = "docs/results/fig11.json";

/** This instance's orchestrator, or (several instances) a forwarder to the active instance's. */
function orchestrator(ctx: Context): MigrationControl {
  if (ctx.migrations) return ctx.migrations;
  if (ctx.cluster) return ctx.cluster.migrations();
  throw new TRPCError({ code: "PRECONDITION_FAILED", message: "migrations are not available on this server" });
}

/** No instance could take a forwarded request: 503 with the reason, not a conflict. */
function unavailable(err: unknown): void {
  if (err instanceof ActiveInstanceUnavailableError) throw new TRPCError({ code: "SERVICE_UNAVAILABLE", message: err.message });
}

const options = z
  .strictObject({
    maxBandwidthMiBps: z.number().positive("the bandwidth cap must be more than 0 MiB/s").max(100_000, "the bandwidth cap must be at most 100000 MiB/s").optional(),
    downtimeLimitMs: z.number().int("the downtime limit is a whole number of ms").min(1, "the downtime limit must be at least 1 ms").max(60_000, "the downtime limit must be at most 60000 ms").optional(),
    autoConverge: z.boolean().optional(),
  })
  .default({});

const target = {
  vm: z.string().trim().min(1, "name the VM").max(128),
  destHost: z.string().trim().min(1, "name the destination host").max(128),
};

/**
 * What can be refused from the inventory alone, before the orchestrator (and so any hypervisor
 * driver) is asked: an unknown VM or host, a host without a driver, the VM's own host.
 */
async function checkTarget(ctx: Context, vmName: string, destHost: string): Promise<void> {
  const vm = await ctx.db.vm.findUnique({ where: { name: vmName }, include: { host: true } });
  if (!vm) throw new TRPCError({ code: "NOT_FOUND", message: `no VM "${vmName}"` });
  if (!vm.host) throw new TRPCError({ code: "PRECONDITION_FAILED", message: `${vmName} has no known host` });
  const dest = await ctx.db.host.findUnique({ where: { name: destHost } });
  if (!dest) throw new TRPCError({ code: "NOT_FOUND", message: `no host "${destHost}"` });
  if (dest.id === vm.host.id) throw new TRPCError({ code: "BAD_REQUEST", message: `${vmName} already runs on ${destHost}: choose another destination` });
  // Only the instance that runs the drivers can tell (a forwarded request is checked there).
  for (const host of ctx.migrations ? [vm.host.name, destHost] : []) {
    if (!ctx.hypervisors.has(host)) throw new TRPCError({ code: "PRECONDITION_FAILED", message: `no hypervisor driver for ${host} on this server` });
  }
}

export const migrationsRouter = router({
  /** The pre-migration checks for a VM and a destination, shown before the user confirms. */
  precheck: protectedProcedure.input(z.object(target)).query(async ({ ctx, input }) => {
    const orch = orchestrator(ctx);
    await checkTarget(ctx, input.vm, input.destHost);
    return orch.precheck(input.vm, input.destHost).catch((err: unknown) => {
      unavailable(err);
      throw err;
    });
  }),

  /**
   * Starts a migration. By default it answers once the pre-migration checks, run again, passed
   * (a refusal is a PRECONDITION_FAILED naming them); with `waitForChecks: false` it answers at
   * once, with the migration as its page shows it, and the checks are its first phase to watch
   * (the dashboard's way: the view opens on real state without asking again).
   */
  start: adminProcedure.input(z.object({ ...target, options, waitForChecks: z.boolean().default(true) })).mutation(async ({ ctx, input }) => {
    const orch = orchestrator(ctx);
    await checkTarget(ctx, input.vm, input.destHost);
    try {
      const { id } = await orch.start({ vmName: input.vm, destHost: input.destHost, options: input.options, user: ctx.session.user, waitForChecks: input.waitForChecks });
      // Read back here (also when another instance runs the migration: the database is shared).
      return { id, migration: input.waitForChecks ? null : await migrationDetail(ctx, id) };
    } catch (err) {
      unavailable(err);
      if (err instanceof MigrationConflictError) throw new TRPCError({ code: "CONFLICT", message: err.message });
      if (err instanceof PrecheckFailedError) throw new TRPCError({ code: "PRECONDITION_FAILED", message: err.message });
      throw err;
    }
  }),

  cancel: adminProcedure.input(z.object({ id: z.string().uuid() })).mutation(async ({ ctx, input }) => {
    await orchestrator(ctx).cancel(input.id).catch((e: Error) => {
      unavailable(e);
      throw new TRPCError({ code: "CONFLICT", message: e.message });
    });
    return { ok: true };
  }),

  forceComplete: adminProcedure.input(z.object({ id: z.string().uuid() })).mutation(async ({ ctx, input }) => {
    await orchestrator(ctx).forceComplete(input.id).catch((e: Error) => {
      unavailable(e);
      throw new TRPCError({ code: "CONFLICT", message: e.message });
    });
    return { ok: true };
  }),

  list: protectedProcedure.input(z.object({ limit: z.number().int().min(1).max(500).default(100) }).default({ limit: 100 })).query(({ ctx, input }) =>
    // The flow snapshot is for the migration's own page, not for every row of the history.
    ctx.db.migration.findMany({ orderBy: { startedAt: "desc" }, take: input.limit, omit: { networkSnapshot: true } }),
  ),

  /** Total time against memory of completed migrations, per link setting, with fits; plus the benchmark's series. */
  timings: protectedProcedure.query(async ({ ctx }) => {
    const rows = await ctx.db.migration.findMany({
      where: { status: "completed", totalTimeMs: { not: null } },
      orderBy: { startedAt: "asc" },
      select: { id: true, vmName: true, sourceHost: true, destHost: true, memoryMiB: true, totalTimeMs: true, downtimeMs: true, linkMbit: true, startedAt: true },
    });
    const text = await readFile(path.resolve(process.cwd(), FIG11_FILE), "utf8").catch((e: NodeJS.ErrnoException) => {
      if (e.code === "ENOENT") return null;
      throw e;
    });
    return { series: migrationSeries(rows), bench: benchSeries(text, FIG11_FILE), paper: PAPER_LINE };
  }),

  get: protectedProcedure.input(z.object({ id: z.string().uuid() })).query(async ({ ctx, input }) => {
    const m = await migrationDetail(ctx, input.id);
    if (!m) throw new TRPCError({ code: "NOT_FOUND", message: `no migration ${input.id}` });
    return m;
  }),
});

/** A migration with its phases, samples and the VM's port bindings: what its page shows. */
async function migrationDetail(ctx: Context, id: string) {
  const m = await ctx.db.migration.findUnique({
    where: { id },
    include: { phases: true, samples: { orderBy: { at: "asc" } } },
  });
  if (!m) return null;
  const { networkSnapshot, ...rest } = m;
  const snapshot = parseNetworkSnapshot(networkSnapshot);
  // The VM's port and where it is bound now (the source's binding goes at activation).
  const port = await ctx.db.port.findFirst({
    where: snapshot ? { mac: snapshot.mac } : { deviceId: m.vmId },
    include: { bindings: { include: { host: true }, orderBy: { createdAt: "asc" } } },
  });
  return {
    ...rest,
    network: {
      mac: snapshot?.mac ?? port?.mac ?? null,
      bindings: (port?.bindings ?? []).map((b) => ({ host: b.host.name, status: b.status, ofport: b.ofport })),
      snapshot,
    },
  };
}
