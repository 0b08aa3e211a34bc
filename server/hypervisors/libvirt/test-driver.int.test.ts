// Integration with libvirt's built-in test driver (no daemon). Its state lives in the
// connection, and every virsh call is a new connection: a custom node file gives a fixed
// inventory, and what define() creates on test:///default is gone by the next call.
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { execFileSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HypervisorError, type VmDefinition } from "../driver";
import { LibvirtDriver } from "./driver";

function hasVirsh(): boolean {
  try {
    execFileSync("virsh", ["-c", "test:///default", "uri"], { stdio: "ignore", timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
}

const DOMAINS = 21;
// libvirt's test driver: runstate 1 = running, 3 = paused, 5 = shut off.
const stateOf = (i: number) => (i % 7 === 3 ? 3 : i % 5 === 0 ? 5 : 1);
const nameOf = (i: number) => `t${String(i).padStart(2, "0")}`;
const memMiB = (i: number) => 64 + i;
// Without a <uuid> the test driver invents a new one on every connection.

function nodeXml(): string {
  const doms = Array.from({ length: DOMAINS }, (_, i) => `
  <domain type='test' xmlns:test='http://libvirt.org/schemas/domain/test/1.0'>
    <name>${nameOf(i)}</name>
    <uuid>00000000-0000-4000-8000-0000000000${i.toString(16).padStart(2, "0")}</uuid>
    <memory unit='MiB'>${memMiB(i)}</memory>
    <vcpu>${1 + (i % 3)}</vcpu>
    <os><type>hvm</type><kernel>/srv/shared/k${i}</kernel><initrd>/srv/shared/i${i}</initrd></os>
    <devices>
      <interface type='network'><mac address='52:54:00:aa:00:${i.toString(16).padStart(2, "0")}'/><source network='default'/></interface>
    </devices>
    <test:runstate>${stateOf(i)}</test:runstate>
  </domain>`).join("");
  // Node memory is in KiB here (the test driver ignores a unit attribute on it).
  return `<node>
  <cpu><nodes>1</nodes><sockets>1</sockets><cores>4</cores><threads>1</threads><active>4</active><mhz>2000</mhz><model>x86_64</model></cpu>
  <memory>${4096 * 1024}</memory>${doms}
</node>
`;
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return "resolved";
  } catch (err) {
    return err instanceof HypervisorError ? err.code : `untyped: ${(err as Error).message}`;
  }
}

describe.skipIf(!hasVirsh())("libvirt driver against libvirt's test driver", () => {
  let dir: string;
  let drv: LibvirtDriver;

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "ferry-lvtest-"));
    fs.writeFileSync(path.join(dir, "node.xml"), nodeXml());
    drv = new LibvirtDriver({ name: "testhost", uri: `test://${path.join(dir, "node.xml")}`, storagePaths: ["/srv/shared"] });
  });

  afterAll(async () => {
    await drv?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("reports host facts, counting running and paused domains against free memory", async () => {
    const f = await drv.facts();
    const held = Array.from({ length: DOMAINS }, (_, i) => i).filter((i) => stateOf(i) !== 5).reduce((s, i) => s + memMiB(i), 0);
    expect(f).toMatchObject({ name: "testhost", driver: "libvirt", hypervisor: "test", cpus: 4, memoryTotalMiB: 4096, memoryFreeMiB: 4096 - held, storagePaths: ["/srv/shared"] });
  });

  it("lists a larger inventory with running, paused and shut-off domains", async () => {
    const vms = await drv.listVms();
    expect(vms.map((v) => v.name)).toEqual(Array.from({ length: DOMAINS }, (_, i) => nameOf(i)));
    for (const [i, vm] of vms.entries()) {
      expect(vm.state).toBe({ 1: "running", 3: "paused", 5: "shutoff" }[stateOf(i)]);
      expect(vm.memoryMiB).toBe(memMiB(i));
      expect(vm.vcpus).toBe(1 + (i % 3));
      expect(vm.macs).toEqual([`52:54:00:aa:00:${i.toString(16).padStart(2, "0")}`]);
      expect(vm.diskPaths).toEqual([`/srv/shared/k${i}`, `/srv/shared/i${i}`]);
      expect(vm.uuid).toBe(`00000000-0000-4000-8000-0000000000${i.toString(16).padStart(2, "0")}`);
      expect(vm.host).toBe("testhost");
    }
    expect(new Set(vms.map((v) => v.state))).toEqual(new Set(["running", "paused", "shutoff"]));
  });

  it("reads one domain in each odd state with getVm", async () => {
    expect(await drv.getVm(nameOf(3))).toMatchObject({ name: nameOf(3), state: "paused", memoryMiB: memMiB(3), vcpus: 1 });
    expect(await drv.getVm(nameOf(5))).toMatchObject({ name: nameOf(5), state: "shutoff", macs: ["52:54:00:aa:00:05"] });
  });

  it("answers UNKNOWN_VM for a domain that does not exist", async () => {
    expect(await codeOf(drv.getVm("no-such-vm"))).toBe("UNKNOWN_VM");
    // Named by the host, as the administrator knows it, not by its connection URI.
    expect(await drv.getVm("no-such-vm").catch((e: Error) => e.message)).toBe(`no VM named "no-such-vm" on ${drv.name}`);
    expect(await codeOf(drv.start("no-such-vm"))).toBe("UNKNOWN_VM");
    expect(await codeOf(drv.destroy("no-such-vm"))).toBe("UNKNOWN_VM");
    expect(await codeOf(drv.undefine("no-such-vm"))).toBe("UNKNOWN_VM");
  });

  it("checks reservations: memory, shared storage, a VM already running here", async () => {
    const vm = await drv.getVm(nameOf(1));
    const def: VmDefinition = { name: "incoming1", memoryMiB: 128, vcpus: 1, kernel: "/srv/shared/k", initrd: "/srv/shared/i", cmdline: "", mac: "52:54:00:aa:01:01", consoleLog: "/srv/shared/c.log" };
    const other = { ...vm, name: "incoming1", uuid: "11111111-2222-4333-8444-555555555555", host: "elsewhere", diskPaths: ["/srv/shared/k"] };

    const free = (await drv.facts()).memoryFreeMiB;
    const tooBig = await drv.prepareIncoming({ ...other, memoryMiB: free + 1 }, { ...def, memoryMiB: free + 1 }).catch((e: HypervisorError) => e);
    expect(tooBig).toBeInstanceOf(HypervisorError);
    expect((tooBig as HypervisorError).code).toBe("NOT_ENOUGH_MEMORY");
    expect((tooBig as HypervisorError).message).toContain(`${free} MiB free`);

    expect(await codeOf(drv.prepareIncoming({ ...other, diskPaths: ["/home/me/disk.qcow2"] }, def))).toBe("STORAGE_NOT_SHARED");
    expect(await codeOf(drv.prepareIncoming({ ...vm, host: "elsewhere" }, { ...def, name: vm.name }))).toBe("SAME_HOST");

    const r = await drv.prepareIncoming(other, def);
    expect(r.uri).toBe(drv.uri);
    expect((await drv.facts()).memoryFreeMiB).toBe(free - 128);
    expect(await codeOf(drv.prepareIncoming(other, def))).toBe("MIGRATION_FAILED");
    await r.release();
    await r.release();
    expect((await drv.facts()).memoryFreeMiB).toBe(free);
  });

  it("defines on test:///default, whose state ends with the connection", async () => {
    const def: VmDefinition = {
      name: "fresh1",
      memoryMiB: 96,
      vcpus: 2,
      kernel: "/srv/shared/vmlinuz",
      initrd: "/srv/shared/initrd.img",
      cmdline: "console=ttyS0",
      mac: "52:54:00:aa:02:01",
      consoleLog: "/srv/shared/fresh1.log",
    };
    const d = new LibvirtDriver({ name: "default", uri: "test:///default" });
    try {
      const vm = await d.define(def);
      expect(vm).toMatchObject({ name: "fresh1", state: "shutoff", memoryMiB: 96, vcpus: 2, macs: ["52:54:00:aa:02:01"], diskPaths: ["/srv/shared/vmlinuz", "/srv/shared/initrd.img"], host: "default" });
      expect(await codeOf(d.getVm("fresh1"))).toBe("UNKNOWN_VM");
      // A definition libvirt refuses is an error, not the old domain read back.
      expect(await codeOf(d.define({ ...def, name: "test", uuid: "11111111-2222-4333-8444-555555555555" }))).toMatch(/^untyped: .*define/);
      expect(await codeOf(d.announce("test"))).toBe("UNSUPPORTED");
    } finally {
      await d.close();
    }
  });

  it("refuses to migrate within the test driver", async () => {
    const other = new LibvirtDriver({ name: "testhost2", uri: "test:///default" });
    try {
      const r = { uri: "test:///default", release: async () => {} };
      expect(await codeOf(drv.migrate(nameOf(1), { driver: other, incoming: r }))).toMatch(/SAME_HOST|UNSUPPORTED/);
      expect(await codeOf(drv.migrate(nameOf(1), { driver: drv, incoming: r }))).toBe("SAME_HOST");
    } finally {
      await other.close();
    }
  });

  it("maps a URI nobody answers to BACKEND_UNREACHABLE with virsh's message", async () => {
    const d = new LibvirtDriver({ name: "gone", uri: "qemu+tcp://127.0.0.1:1/system", timeoutMs: 10_000 });
    const err = await d.facts().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HypervisorError);
    expect((err as HypervisorError).code).toBe("BACKEND_UNREACHABLE");
    // facts() runs several virsh commands at once; whichever fails first is named.
    expect((err as HypervisorError).message).toMatch(/^libvirt on gone did not answer \(virsh [a-z-]+; qemu\+tcp:\/\/127\.0\.0\.1:1\/system\)$/);
    expect((err as HypervisorError).detail).toMatch(/Connection refused/);
    expect(await codeOf(d.listVms())).toBe("BACKEND_UNREACHABLE");
    expect(await codeOf(d.getVm("x"))).toBe("BACKEND_UNREACHABLE");
    await d.close();
  });

  it("maps a daemon that accepts but never answers to BACKEND_UNREACHABLE after the command timeout", async () => {
    const sockets = new Set<net.Socket>();
    const server = net.createServer((s) => void sockets.add(s));
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as net.AddressInfo).port;
    const d = new LibvirtDriver({ name: "mute", uri: `qemu+tcp://127.0.0.1:${port}/system`, timeoutMs: 1_500 });
    try {
      const t0 = Date.now();
      const err = await d.listVms().catch((e: unknown) => e);
      expect((err as HypervisorError).code).toBe("BACKEND_UNREACHABLE");
      expect(Date.now() - t0).toBeLessThan(10_000);
    } finally {
      await d.close();
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    }
  });
});
