// The image catalogue and the instance lifecycle: list and register images; launch, start, shut
// down and delete instances; where a new instance may go; one instance's whole picture.
import "server-only";
import fs from "node:fs";
import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { adminProcedure, protectedProcedure, router, type Context } from "../trpc";
import { InventoryError, type InventoryErrorCode } from "../../inventory/errors";
import { hostStoragePaths, IMAGE_NAME_RE, listImages, registerFileImage, removeImage } from "../../inventory/images";
import { instanceManager, MAX_DIRTY_MBPS, MEMORY_MIB, NAME_RE, VCPUS } from "../../inventory/instances";
import { placementCandidates } from "../../inventory/placement";

const STATUS: Record<InventoryErrorCode, TRPCError["code"]> = {
  BAD_INPUT: "BAD_REQUEST",
  NOT_FOUND: "NOT_FOUND",
  CONFLICT: "CONFLICT",
  NO_CAPACITY: "PRECONDITION_FAILED",
  BACKEND: "INTERNAL_SERVER_ERROR",
};

/** Inventory errors keep their plain-words message and get the matching status. */
async function answer<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof InventoryError) throw new TRPCError({ code: STATUS[e.code], message: e.message, cause: e });
    throw e;
  }
}

function manager(ctx: Context) {
  return instanceManager({ db: ctx.db, drivers: ctx.hypervisors, lab: ctx.lab, reservedMiB: ctx.env.FERRY_HOST_RESERVED_MIB, dataDir: ctx.env.FERRY_DATA_DIR });
}

const vmName = z.string().regex(NAME_RE, "1–32 lowercase letters, digits or inner dashes, starting with a letter");
const path = z.string().trim().min(1).max(1024);

export const imagesRouter = router({
  list: protectedProcedure.query(({ ctx }) => listImages(ctx.db)),

  /** The storage paths the hosts report: where a registered image's files must be. */
  storage: protectedProcedure.query(async ({ ctx }) => {
    const byHost = await hostStoragePaths(ctx.hypervisors, 5_000);
    return { paths: [...new Set([...byHost.values()].flat())].sort(), hosts: [...byHost].map(([host, paths]) => ({ host, paths })).sort((a, b) => a.host.localeCompare(b.host)) };
  }),

  register: adminProcedure
    .input(
      z.object({
        name: z.string().trim().regex(IMAGE_NAME_RE, "1–63 lowercase letters, digits, '.', '_' or '-'"),
        description: z.string().trim().max(200).optional(),
        kernel: path,
        initrd: path,
        cmdlineTemplate: z.string().trim().max(1900).optional(),
      }),
    )
    .mutation(({ ctx, input }) => answer(() => registerFileImage(ctx.db, ctx.hypervisors, input))),

  remove: adminProcedure.input(z.object({ name: z.string().min(1) })).mutation(async ({ ctx, input }) => {
    await answer(() => removeImage(ctx.db, input.name));
    return { ok: true };
  }),
});

export const instancesRouter = router({
  /** Hosts a new instance could go to, with free memory (after the host reserve) and the automatic pick. */
  placement: protectedProcedure
    .input(z.object({ memoryMiB: z.number().int().min(MEMORY_MIB.min).max(MEMORY_MIB.max), image: z.string().optional(), site: z.string().optional() }))
    .query(async ({ ctx, input }) => {
      const image = input.image ? await ctx.db.image.findUnique({ where: { name: input.image } }) : null;
      return placementCandidates(
        { db: ctx.db, drivers: ctx.hypervisors, reservedMiB: ctx.env.FERRY_HOST_RESERVED_MIB },
        { memoryMiB: input.memoryMiB, site: input.site, files: image ? [image.kernel, image.initrd] : [] },
      );
    }),

  launch: adminProcedure
    .input(
      z
        .object({
          name: vmName,
          image: z.string().min(1, "choose an image"),
          memoryMiB: z.number().int().min(MEMORY_MIB.min, `at least ${MEMORY_MIB.min} MiB`).max(MEMORY_MIB.max, `at most ${MEMORY_MIB.max} MiB`),
          vcpus: z.number().int().min(VCPUS.min).max(VCPUS.max, `at most ${VCPUS.max} vCPUs`),
          host: z.string().min(1).optional(),
          site: z.string().min(1).optional(),
          network: z.string().min(1).optional(),
          fillMb: z.number().int().min(0).optional(),
          dirtyMbps: z.number().int().min(0).max(MAX_DIRTY_MBPS).optional(),
        })
        .refine((v) => !(v.host && v.site), { message: "give a host or a site for automatic placement, not both", path: ["host"] }),
    )
    .mutation(({ ctx, input }) => answer(() => manager(ctx).launch(input))),

  start: adminProcedure.input(z.object({ name: z.string().min(1) })).mutation(({ ctx, input }) => answer(() => manager(ctx).start(input.name))),
  shutdown: adminProcedure.input(z.object({ name: z.string().min(1) })).mutation(({ ctx, input }) => answer(() => manager(ctx).shutdown(input.name))),
  delete: adminProcedure.input(z.object({ name: z.string().min(1) })).mutation(({ ctx, input }) => answer(() => manager(ctx).delete(input.name))),

  /** One instance: registry view, the hypervisor's view, its port, recent migrations, console tail. */
  get: protectedProcedure.input(z.object({ name: z.string().min(1) })).query(async ({ ctx, input }) => {
    const vm = await ctx.db.vm.findUnique({ where: { name: input.name }, include: { host: { include: { site: true } } } });
    if (!vm) throw new TRPCError({ code: "NOT_FOUND", message: `no instance named "${input.name}"` });
    const ports = await ctx.db.port.findMany({ where: { deviceId: vm.id }, include: { network: true, bindings: { include: { host: true } } } });
    const migrations = await ctx.db.migration.findMany({ where: { vmId: vm.id }, orderBy: { startedAt: "desc" }, take: 10 });
    const driver = vm.host ? ctx.hypervisors.get(vm.host.name) : undefined;
    const bounded = <T,>(p: Promise<T>) => Promise.race([p.catch((e: Error) => e), new Promise<Error>((r) => setTimeout(() => r(new Error("no answer within 3 s")), 3_000))]);
    const live = driver ? await bounded(driver.getVm(vm.name)) : new Error(`no driver for ${vm.host?.name ?? "its host"}`);
    const def = driver && !(live instanceof Error) ? await bounded(driver.definition(vm.name)) : null;
    const consoleLog = def && !(def instanceof Error) ? def.consoleLog : "";
    return {
      id: vm.id,
      name: vm.name,
      state: vm.state,
      operation: manager(ctx).operation(vm.name),
      memoryMiB: vm.memoryMiB,
      vcpus: vm.vcpus,
      image: vm.image,
      createdAt: vm.createdAt,
      host: vm.host?.name ?? null,
      site: vm.host?.site.name ?? null,
      hypervisor: live instanceof Error ? { state: null, error: live.message } : { state: live.state, error: null },
      cmdline: def && !(def instanceof Error) ? def.cmdline : null,
      consoleTail: consoleLog ? consoleTail(consoleLog) : null,
      ports: ports.map((p) => ({
        id: p.id,
        mac: p.mac,
        ip: p.fixedIp,
        network: p.network.name,
        bindings: p.bindings.map((b) => ({ host: b.host.name, status: b.status, ofport: b.ofport })),
      })),
      migrations: migrations.map((m) => ({ id: m.id, sourceHost: m.sourceHost, destHost: m.destHost, status: m.status, phase: m.phase, startedAt: m.startedAt, totalTimeMs: m.totalTimeMs, downtimeMs: m.downtimeMs, startedBy: m.startedBy })),
    };
  }),
});

/** The last lines of a console log, without terminal control sequences. */
function consoleTail(file: string, bytes = 4096): string | null {
  try {
    const fd = fs.openSync(file, "r");
    try {
      const size = fs.fstatSync(fd).size;
      const buf = Buffer.alloc(Math.min(bytes, size));
      fs.readSync(fd, buf, 0, buf.length, size - buf.length);
      return buf.toString("utf8").replace(/\x1b\[[0-9;?]*[A-Za-z]/g, "").replace(/\r/g, "").split("\n").slice(-20).join("\n").trim();
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return null;
  }
}
