// Instance lifecycle (the Nova role) on top of the registry (the Neutron role): launch allocates a
// port (MAC + next free fixed IP), binds it on the chosen host, records the VM, and has the host's
// driver define and start it; start, shut down and delete act on the driver and keep the registry
// in step. A failed launch leaves nothing behind: no rows, no domain, no console directory.
import "server-only";
import fs from "node:fs";
import path from "node:path";
import { randomUUID } from "node:crypto";
import type { Db } from "../db";
import { HypervisorError, type HypervisorDriver } from "../hypervisors/driver";
import type { Lab } from "../lab/lab";
import { waitForGuestReady } from "../lab/guest/image";
import { freeMac, nextFreeIp, parseCidr } from "./addresses";
import { InventoryError } from "./errors";
import { fillTemplate, templatePlaceholders } from "./image-template";
import { placementCandidates } from "./placement";

export const NAME_RE = /^[a-z]([a-z0-9-]{0,30}[a-z0-9])?$/;
export const MEMORY_MIB = { min: 128, max: 4096 } as const;
export const VCPUS = { min: 1, max: 2 } as const;
/** Room the guest kernel and initramfs need beside the memory load. */
const FILL_HEADROOM_MIB = 96;
export const MAX_DIRTY_MBPS = 1000;

export interface InstanceDeps {
  db: Db;
  drivers: Map<string, HypervisorDriver>;
  lab: Lab | null;
  reservedMiB: number;
  /** Console logs go here when a host reports no shared storage. */
  dataDir: string;
  /** How long shutdown waits for the guest to power off before forcing it. */
  shutdownGraceMs?: number;
  /** How long a booting guest has to report ready. */
  bootTimeoutMs?: number;
  log?: (line: string) => void;
}

export interface LaunchInput {
  name: string;
  image: string;
  memoryMiB: number;
  vcpus: number;
  /** A host name; absent = automatic placement. */
  host?: string;
  /** Restricts automatic placement to one site. */
  site?: string;
  /** Network name; absent = the only network. */
  network?: string;
  fillMb?: number;
  dirtyMbps?: number;
}

export interface LaunchResult {
  id: string;
  name: string;
  host: string;
  site: string;
  ip: string;
  mac: string;
  state: string;
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export class InstanceManager {
  /** Per-VM lock: the operation in progress, by VM name. */
  private readonly busy = new Map<string, string>();
  /** Address allocation and row creation, one launch at a time. */
  private allocation: Promise<unknown> = Promise.resolve();
  private readonly boots = new Map<string, Promise<void>>();
  private readonly log: (line: string) => void;

  constructor(private readonly deps: InstanceDeps) {
    this.log = deps.log ?? (() => {});
  }

  /** The operation holding `name`, if any (shown by the UI, refused by the API). */
  operation(name: string): string | null {
    return this.busy.get(name) ?? null;
  }

  /** Waits for a boot watch to settle (tests). */
  async booted(name: string): Promise<void> {
    await this.boots.get(name);
  }

  private async exclusive<T>(name: string, op: string, fn: () => Promise<T>): Promise<T> {
    const held = this.busy.get(name);
    if (held) throw new InventoryError("CONFLICT", `${name} is busy: ${held} in progress`);
    this.busy.set(name, op);
    try {
      return await fn();
    } finally {
      this.busy.delete(name);
    }
  }

  private serialAllocation<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.allocation.then(fn, fn);
    this.allocation = next.catch(() => {});
    return next;
  }

  private async notMigrating(vm: { id: string; name: string; state: string }): Promise<void> {
    const running = await this.deps.db.migration.findFirst({ where: { vmId: vm.id, status: "running" } });
    if (running || vm.state === "migrating") throw new InventoryError("CONFLICT", `${vm.name} is migrating; wait until the migration ends`);
  }

  private driverFor(host: string): HypervisorDriver {
    const d = this.deps.drivers.get(host);
    if (!d) throw new InventoryError("BACKEND", `no hypervisor driver for ${host} (is the host down?)`);
    return d;
  }

  private async vmRow(name: string) {
    const vm = await this.deps.db.vm.findUnique({ where: { name }, include: { host: true } });
    if (!vm) throw new InventoryError("NOT_FOUND", `no instance named "${name}"`);
    if (!vm.host) throw new InventoryError("CONFLICT", `${name} has no known host`);
    return { ...vm, host: vm.host };
  }

  // ---- launch -------------------------------------------------------------------------------

  async launch(input: LaunchInput): Promise<LaunchResult> {
    const { db } = this.deps;
    if (!NAME_RE.test(input.name)) throw new InventoryError("BAD_INPUT", "name: 1–32 lowercase letters, digits or inner dashes, starting with a letter (it becomes the guest's hostname)");
    if (!Number.isInteger(input.memoryMiB) || input.memoryMiB < MEMORY_MIB.min || input.memoryMiB > MEMORY_MIB.max) throw new InventoryError("BAD_INPUT", `memory must be ${MEMORY_MIB.min}–${MEMORY_MIB.max} MiB`);
    if (!Number.isInteger(input.vcpus) || input.vcpus < VCPUS.min || input.vcpus > VCPUS.max) throw new InventoryError("BAD_INPUT", `vCPUs must be ${VCPUS.min}–${VCPUS.max}`);
    return this.exclusive(input.name, "launch", async () => {
      if (await db.vm.findUnique({ where: { name: input.name } })) throw new InventoryError("CONFLICT", `an instance named "${input.name}" already exists`);
      const image = await db.image.findUnique({ where: { name: input.image } });
      if (!image) throw new InventoryError("NOT_FOUND", `no image "${input.image}" in the catalogue`);
      for (const [label, p] of [["kernel", image.kernel], ["initrd", image.initrd]] as const) {
        if (!fs.existsSync(p) || !fs.statSync(p).isFile()) throw new InventoryError("BAD_INPUT", `image "${image.name}": its ${label} ${p} is missing from storage`);
      }
      const memoryLoad = templatePlaceholders(image.cmdlineTemplate).has("fill_mb");
      const fill = input.fillMb ?? 0;
      const dirty = input.dirtyMbps ?? 0;
      if ((fill > 0 || dirty > 0) && !memoryLoad) throw new InventoryError("BAD_INPUT", `image "${image.name}" takes no memory load options`);
      if (!Number.isInteger(fill) || fill < 0 || (fill > 0 && fill > input.memoryMiB - FILL_HEADROOM_MIB)) throw new InventoryError("BAD_INPUT", `memory fill must be 0–${input.memoryMiB - FILL_HEADROOM_MIB} MiB for a ${input.memoryMiB} MiB instance`);
      if (!Number.isInteger(dirty) || dirty < 0 || dirty > MAX_DIRTY_MBPS) throw new InventoryError("BAD_INPUT", `dirty rate must be 0–${MAX_DIRTY_MBPS} MiB/s`);
      if (dirty > 0 && fill === 0) throw new InventoryError("BAD_INPUT", "a dirty rate needs a memory fill (there is nothing to rewrite)");

      const network = await this.network(input.network);
      const subnet = network.subnets[0]!;
      const host = await this.place(input, [image.kernel, image.initrd]);
      const driver = this.driverFor(host.name);

      const rows = await this.serialAllocation(() => this.allocate(input, host.id, network.id, subnet, image.name));
      const consoleLog = await this.consolePath(driver, input.name);
      let defined = false;
      try {
        const cmdline = fillTemplate(image.cmdlineTemplate, {
          ip: rows.ip,
          prefix: parseCidr(subnet.cidr).prefix,
          cidr: subnet.cidr,
          gateway: subnet.gatewayIp ?? undefined,
          name: input.name,
          mac: rows.mac,
          fill_mb: fill,
          dirty_mbps: dirty,
        });
        fs.mkdirSync(path.dirname(consoleLog), { recursive: true });
        fs.writeFileSync(consoleLog, "");
        await driver.define({ name: input.name, uuid: rows.vmId, memoryMiB: input.memoryMiB, vcpus: input.vcpus, kernel: image.kernel, initrd: image.initrd, cmdline, mac: rows.mac, portId: rows.portId, consoleLog });
        defined = true;
        await driver.start(input.name);
      } catch (err) {
        await this.rollback(driver, input.name, defined, rows, consoleLog);
        throw new InventoryError(err instanceof HypervisorError && err.code === "NOT_ENOUGH_MEMORY" ? "NO_CAPACITY" : "BACKEND", `could not launch ${input.name} on ${host.name}: ${message(err)}`);
      }
      await db.vm.update({ where: { id: rows.vmId }, data: { state: "booting" } });
      this.watchBoot(input.name, rows.vmId, driver, consoleLog, image.source === "lab" || /\bferry\.ip=/.test(image.cmdlineTemplate));
      this.log(`instances: launched ${input.name} on ${host.name} at ${rows.ip} (${rows.mac})`);
      return { id: rows.vmId, name: input.name, host: host.name, site: host.site, ip: rows.ip, mac: rows.mac, state: "booting" };
    });
  }

  private async network(name: string | undefined) {
    const { db } = this.deps;
    const nets = await db.network.findMany({ where: name ? { name } : {}, include: { subnets: { orderBy: { createdAt: "asc" } } } });
    if (name && nets.length === 0) throw new InventoryError("NOT_FOUND", `no network "${name}"`);
    if (!name && nets.length !== 1) throw new InventoryError("BAD_INPUT", nets.length === 0 ? "there is no network to attach the instance to" : `choose a network (${nets.map((n) => n.name).join(", ")})`);
    const net = nets[0]!;
    if (net.subnets.length === 0) throw new InventoryError("BAD_INPUT", `network ${net.name} has no subnet to take an address from`);
    return net;
  }

  private async place(input: LaunchInput, files: string[]): Promise<{ id: string; name: string; site: string }> {
    const { db, drivers, reservedMiB } = this.deps;
    const { hosts, best } = await placementCandidates({ db, drivers, reservedMiB }, { memoryMiB: input.memoryMiB, site: input.host ? undefined : input.site, files });
    let chosen: string;
    if (input.host) {
      const h = hosts.find((x) => x.name === input.host);
      if (!h) throw new InventoryError("NOT_FOUND", `no host "${input.host}"`);
      if (!h.fits) throw new InventoryError(h.freeMiB !== null && h.freeMiB < input.memoryMiB ? "NO_CAPACITY" : "BACKEND", `cannot place ${input.name} on ${h.name}: ${h.reason}`);
      chosen = h.name;
    } else {
      if (!best) {
        const where = input.site ? ` at site ${input.site.toUpperCase()}` : "";
        const considered = hosts.filter((h) => !input.site || h.site === input.site);
        throw new InventoryError("NO_CAPACITY", `no host${where} can take ${input.memoryMiB} MiB: ${considered.map((h) => h.reason).join("; ") || "there are no hosts"}`);
      }
      chosen = best;
    }
    const row = await db.host.findUniqueOrThrow({ where: { name: chosen }, include: { site: true } });
    return { id: row.id, name: row.name, site: row.site.name };
  }

  /** Port (MAC, fixed IP), its active binding on the host, and the VM row, in one transaction. */
  private async allocate(input: LaunchInput, hostId: string, networkId: string, subnet: { cidr: string; gatewayIp: string | null }, image: string) {
    const { db, lab } = this.deps;
    const ports = await db.port.findMany({ select: { mac: true, fixedIp: true, networkId: true } });
    const used = ports.filter((p) => p.networkId === networkId && p.fixedIp).map((p) => p.fixedIp!);
    // The lab's clients and its own VMs keep their addresses even while their ports are not registered.
    if (lab) used.push(...lab.plan.clients.map((c) => c.ip), ...lab.plan.vms.map((v) => v.ip));
    let ip: string;
    try {
      ip = nextFreeIp({ cidr: subnet.cidr, gatewayIp: subnet.gatewayIp, used });
    } catch (e) {
      throw new InventoryError("NO_CAPACITY", message(e));
    }
    const mac = freeMac(new Set(ports.map((p) => p.mac.toLowerCase())));
    const vmId = randomUUID();
    const portId = randomUUID();
    try {
      await db.$transaction([
        db.vm.create({ data: { id: vmId, name: input.name, memoryMiB: input.memoryMiB, vcpus: input.vcpus, state: "building", hostId, image } }),
        db.port.create({ data: { id: portId, networkId, mac, fixedIp: ip, deviceId: vmId, deviceOwner: "compute" } }),
        db.portBinding.create({ data: { portId, hostId, status: "active" } }),
      ]);
    } catch (e) {
      if ((e as { code?: string }).code === "P2002") throw new InventoryError("CONFLICT", `an instance named "${input.name}" already exists`);
      throw e;
    }
    return { vmId, portId, ip, mac };
  }

  private async consolePath(driver: HypervisorDriver, name: string): Promise<string> {
    const facts = await driver.facts().catch(() => null);
    const root = facts?.storagePaths[0] ?? path.join(this.deps.dataDir, "instances");
    return path.join(root, "vms", name, "console.log");
  }

  private async rollback(driver: HypervisorDriver, name: string, defined: boolean, rows: { vmId: string; portId: string }, consoleLog: string): Promise<void> {
    if (defined) {
      await driver.destroy(name).catch(() => {});
      await driver.undefine(name).catch((e: unknown) => this.log(`instances: undefining ${name} after a failed launch: ${message(e)}`));
    }
    await this.deps.db.port.deleteMany({ where: { id: rows.portId } });
    await this.deps.db.vm.deleteMany({ where: { id: rows.vmId } });
    fs.rmSync(path.dirname(consoleLog), { recursive: true, force: true });
  }

  /**
   * Follows a boot in the background: "booting" until the guest reports ready on its console (or,
   * for images without that line, until the hypervisor reports it running).
   */
  private watchBoot(name: string, vmId: string, driver: HypervisorDriver, consoleLog: string, readyLine: boolean): void {
    const timeoutMs = this.deps.bootTimeoutMs ?? 180_000;
    const settle = async (state: string) => {
      await this.deps.db.vm.updateMany({ where: { id: vmId, state: "booting" }, data: { state } });
    };
    const watch = (async () => {
      try {
        if (readyLine) {
          // A shutdown or delete of this VM ends the watch (its state is theirs to set).
          const ending = () => ["shutdown", "delete"].includes(this.busy.get(name) ?? "");
          await waitForGuestReady(consoleLog, { timeoutMs, alive: () => !ending() });
        } else {
          const deadline = Date.now() + timeoutMs;
          while ((await driver.getVm(name)).state !== "running") {
            if (Date.now() > deadline) throw new Error(`not running after ${Math.round(timeoutMs / 1000)} s`);
            await sleep(500);
          }
        }
        await settle("running");
      } catch (e) {
        this.log(`instances: ${name} did not boot cleanly: ${message(e)}`);
        const info = await driver.getVm(name).catch(() => null);
        await settle(info?.state === "running" ? "error" : (info?.state ?? "unknown"));
      }
    })().finally(() => this.boots.delete(name));
    this.boots.set(name, watch);
  }

  // ---- start / shut down / delete -------------------------------------------------------------

  async start(name: string): Promise<{ state: string }> {
    return this.exclusive(name, "start", async () => {
      const vm = await this.vmRow(name);
      await this.notMigrating(vm);
      const driver = this.driverFor(vm.host.name);
      const info = await driver.getVm(name).catch((e: unknown) => {
        if (e instanceof HypervisorError && e.code === "UNKNOWN_VM") throw new InventoryError("CONFLICT", `${name} is not defined on ${vm.host.name} any more (was the host rebuilt?); delete it and launch it again`);
        throw new InventoryError("BACKEND", message(e));
      });
      if (info.state === "running" || info.state === "paused") throw new InventoryError("CONFLICT", `${name} is already ${info.state}`);
      const def = await driver.definition(name).catch(() => null);
      // A fresh boot: the ready line of the last one must not count for this one.
      if (def?.consoleLog) {
        try {
          fs.writeFileSync(def.consoleLog, "");
        } catch {
          // Its directory is gone; the hypervisor cannot open it either, and start() below says so.
        }
      }
      await driver.start(name).catch((e: unknown) => {
        throw new InventoryError("BACKEND", `could not start ${name}: ${message(e)}`);
      });
      await this.deps.db.vm.update({ where: { id: vm.id }, data: { state: "booting" } });
      const image = vm.image ? await this.deps.db.image.findUnique({ where: { name: vm.image } }) : null;
      this.watchBoot(name, vm.id, driver, def?.consoleLog ?? "", Boolean(def?.consoleLog) && (image?.source === "lab" || /\bferry\.ip=/.test(def?.cmdline ?? "")));
      return { state: "booting" };
    });
  }

  /** Power button first; a guest that ignores it for the grace period is powered off. */
  async shutdown(name: string): Promise<{ state: string; forced: boolean }> {
    return this.exclusive(name, "shutdown", async () => {
      const vm = await this.vmRow(name);
      await this.notMigrating(vm);
      const driver = this.driverFor(vm.host.name);
      const info = await driver.getVm(name).catch((e: unknown) => {
        throw new InventoryError(e instanceof HypervisorError && e.code === "UNKNOWN_VM" ? "CONFLICT" : "BACKEND", message(e));
      });
      let forced = false;
      if (info.state !== "shutoff") {
        const graceful = driver.shutdown(name).then(
          () => true,
          () => false,
        );
        const grace = new Promise<false>((r) => setTimeout(() => r(false), this.deps.shutdownGraceMs ?? 10_000));
        if (!(await Promise.race([graceful, grace]))) {
          forced = true;
          await driver.destroy(name).catch(async (e: unknown) => {
            if ((await driver.getVm(name).catch(() => null))?.state !== "shutoff") throw new InventoryError("BACKEND", `could not power off ${name}: ${message(e)}`);
          });
          // The graceful request ends once it sees the VM off; do not leave it running behind us.
          await Promise.race([graceful, sleep(5_000)]);
        }
      }
      await this.deps.db.vm.update({ where: { id: vm.id }, data: { state: "shutoff" } });
      return { state: "shutoff", forced };
    });
  }

  /** Removes the domain (powered off first), then its ports, bindings and the VM row. */
  async delete(name: string): Promise<{ deleted: true }> {
    return this.exclusive(name, "delete", async () => {
      const { db } = this.deps;
      const vm = await this.vmRow(name);
      await this.notMigrating(vm);
      const driver = this.driverFor(vm.host.name);
      const before = vm.state;
      await db.vm.update({ where: { id: vm.id }, data: { state: "deleting" } });
      let consoleLog: string | null = null;
      try {
        const info = await driver.getVm(name).catch((e: unknown) => {
          if (e instanceof HypervisorError && e.code === "UNKNOWN_VM") return null;
          throw e;
        });
        if (info) {
          consoleLog = (await driver.definition(name).catch(() => null))?.consoleLog ?? null;
          if (info.state !== "shutoff") await driver.destroy(name);
          await driver.undefine(name);
        }
      } catch (e) {
        await db.vm.update({ where: { id: vm.id }, data: { state: before } });
        throw new InventoryError("BACKEND", `could not remove ${name} from ${vm.host.name}: ${message(e)}`);
      }
      await db.$transaction([db.port.deleteMany({ where: { deviceId: vm.id } }), db.vm.delete({ where: { id: vm.id } })]);
      // Only the per-VM console directory Ferry made (…/vms/<name>/), never anything above it.
      if (consoleLog && path.basename(path.dirname(consoleLog)) === name && path.basename(path.dirname(path.dirname(consoleLog))) === "vms") {
        fs.rmSync(path.dirname(consoleLog), { recursive: true, force: true });
      }
      this.log(`instances: deleted ${name} from ${vm.host.name}`);
      return { deleted: true };
    });
  }
}

const managers = new WeakMap<Db, InstanceManager>();

/** One manager per database handle, i.e. per running server (its locks must be shared). */
export function instanceManager(deps: InstanceDeps): InstanceManager {
  let m = managers.get(deps.db);
  if (!m) {
    m = new InstanceManager(deps);
    managers.set(deps.db, m);
  }
  return m;
}
