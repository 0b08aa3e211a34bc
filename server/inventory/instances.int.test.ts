// Launch instance end to end through the tRPC API of a real server with its own lab: a 512 MiB
// instance from the catalogue boots at site A and answers HTTP from the site-A client, migrates
// to site B like any VM; shut down and deleted, it is gone from libvirtd and from the registry.
// Refused launches and a launch whose hypervisor fails leave no rows, no domain and no files.
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ovsUnavailableReason } from "../../controller/ovsdb/testing/ovs-instance";
import { login, startTestFerry, trpcCall, type TestFerry } from "../testing/ferry-instance";
import { listNamespaces, nsRun } from "../lab/sh";
import { virsh } from "../lab/libvirt-host";
import { defaultGuestDir } from "../lab/guest/image";

const unavailable = ovsUnavailableReason() ?? (fs.existsSync(path.join(defaultGuestDir(), "vmlinuz")) ? undefined : "the guest image is not built");
const PREFIX = "ferry-lau-";
const NAME = "lau-web";

describe.skipIf(unavailable)("launch instance through the API on the lab", () => {
  let ferry: TestFerry;
  let admin: string;
  let viewer: string;
  const call = (proc: string, kind: "query" | "mutation", input?: unknown, cookie = admin) => trpcCall(ferry.url, proc, kind, input, cookie);
  const lab = () => ferry.services.lab!;
  const db = () => ferry.services.db;
  const domains = async (host: string) => (await virsh(lab().libvirtUriOf(host), ["list", "--all", "--name"])).split("\n").map((s) => s.trim()).filter(Boolean);
  const counts = async () => ({ vms: await db().vm.count(), ports: await db().port.count(), bindings: await db().portBinding.count() });
  const data = (res: { body: any }) => res.body?.result?.data?.json;
  const error = (res: { body: any }) => String(res.body?.error?.json?.message ?? "");

  beforeAll(async () => {
    ferry = await startTestFerry({ FERRY_LAB: "1", FERRY_LAB_NS_PREFIX: PREFIX });
    // Hosts keep all but ~3 GiB of what libvirt reports for themselves, so 512 MiB fits at site A
    // and 4 GiB does not (set before the first placement reads it).
    const facts = await ferry.services.hypervisors.get("host-a1")!.facts();
    ferry.services.env.FERRY_HOST_RESERVED_MIB = Math.max(0, facts.memoryFreeMiB - 3072);
    admin = await login(ferry.url, "admin", ferry.adminPassword);
    await call("users.create", "mutation", { username: "watcher", password: "watcher-password", role: "viewer" });
    viewer = await login(ferry.url, "watcher", "watcher-password");
  }, 300_000);

  afterAll(async () => {
    await ferry?.close();
    expect((await listNamespaces()).filter((n) => n.startsWith(PREFIX))).toEqual([]);
  }, 120_000);

  it("lists the lab's guest image in the catalogue, with memory-load options", async () => {
    const images = data(await call("images.list", "query"));
    const guest = images.find((i: { name: string }) => i.name === "ferry-guest");
    expect(guest).toMatchObject({ source: "lab", available: true, memoryLoad: true });
    expect(guest.cmdlineTemplate).toContain("ferry.ip={ip}/{prefix}");
  });

  it("refuses a viewer's launch (403, audited as denied)", async () => {
    const res = await call("instances.launch", "mutation", { name: NAME, image: "ferry-guest", memoryMiB: 512, vcpus: 1, site: "a" }, viewer);
    expect(res.status).toBe(403);
    expect(await db().auditEvent.count({ where: { action: "instances.launch", outcome: "denied" } })).toBe(1);
  });

  it("launches 512 MiB at site A: it boots, gets its port, and answers HTTP from the site-A client", async () => {
    const res = await call("instances.launch", "mutation", { name: NAME, image: "ferry-guest", memoryMiB: 512, vcpus: 1, site: "a" });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const vm = data(res);
    expect(vm).toMatchObject({ name: NAME, host: "host-a1", site: "a", state: "booting" });
    // Next free address: .1 is kept for a gateway, the lab's VMs and clients have theirs.
    expect(vm.ip).toBe("10.99.0.2");
    expect(vm.mac).toMatch(/^02:fe(:[0-9a-f]{2}){4}$/);

    let state = "booting";
    for (let i = 0; i < 180 && state === "booting"; i++) {
      await new Promise((r) => setTimeout(r, 1_000));
      state = data(await call("instances.get", "query", { name: NAME })).state;
    }
    expect(state).toBe("running");

    let answer: { hostname: string; ip: string } | null = null;
    for (let i = 0; i < 20 && !answer; i++) {
      answer = await nsRun(`${PREFIX}client-a`, "curl", ["-sS", "--max-time", "5", `http://${vm.ip}/`]).then(
        (out) => JSON.parse(out),
        () => null,
      );
      if (!answer) await new Promise((r) => setTimeout(r, 1_000));
    }
    expect(answer).toMatchObject({ hostname: NAME, ip: vm.ip });

    const detail = data(await call("instances.get", "query", { name: NAME }));
    expect(detail).toMatchObject({ host: "host-a1", memoryMiB: 512, vcpus: 1, image: "ferry-guest", hypervisor: { state: "running" } });
    expect(detail.ports).toEqual([expect.objectContaining({ mac: vm.mac, ip: vm.ip, network: "lab-overlay", bindings: [expect.objectContaining({ host: "host-a1", status: "active" })] })]);
    expect(await domains("host-a1")).toContain(NAME);
    expect(await db().auditEvent.count({ where: { action: "instances.launch", outcome: "ok", target: NAME } })).toBe(1);
  }, 300_000);

  it("migrates like any other VM: a delete meanwhile is refused, and the port follows it to site B", async () => {
    const start = await call("migrations.start", "mutation", { vm: NAME, destHost: "host-b1" });
    expect(start.status, JSON.stringify(start.body)).toBe(200);
    const refused = await call("instances.delete", "mutation", { name: NAME });
    expect(refused.status).toBe(409);
    expect(error(refused)).toMatch(/is migrating/);
    let m = data(await call("migrations.get", "query", { id: data(start).id }));
    for (let i = 0; i < 240 && m.status === "running"; i++) {
      await new Promise((r) => setTimeout(r, 500));
      m = data(await call("migrations.get", "query", { id: m.id }));
    }
    expect(m.status, m.error ?? "").toBe("completed");
    const detail = data(await call("instances.get", "query", { name: NAME }));
    expect(detail).toMatchObject({ host: "host-b1", site: "b", state: "running" });
    expect(detail.ports[0].bindings).toEqual([expect.objectContaining({ host: "host-b1", status: "active" })]);
    expect(detail.migrations[0]).toMatchObject({ id: m.id, status: "completed" });
    let answer: { hostname: string } | null = null;
    for (let i = 0; i < 20 && !answer; i++) {
      answer = await nsRun(`${PREFIX}client-a`, "curl", ["-sS", "--max-time", "5", `http://${detail.ports[0].ip}/`]).then(
        (out) => JSON.parse(out),
        () => null,
      );
      if (!answer) await new Promise((r) => setTimeout(r, 1_000));
    }
    expect(answer).toMatchObject({ hostname: NAME });
  }, 180_000);

  it("refuses a second instance with the same name and leaves the registry as it was", async () => {
    const before = await counts();
    const res = await call("instances.launch", "mutation", { name: NAME, image: "ferry-guest", memoryMiB: 256, vcpus: 1 });
    expect(res.status).toBe(409);
    expect(error(res)).toMatch(/already exists/);
    expect(await counts()).toEqual(before);
  });

  it("shuts the instance down, starts it again, then deletes it: gone from libvirtd and from the registry", async () => {
    const off = await call("instances.shutdown", "mutation", { name: NAME });
    expect(off.status, JSON.stringify(off.body)).toBe(200);
    expect(data(off).state).toBe("shutoff");
    expect((await virsh(lab().libvirtUriOf("host-b1"), ["domstate", NAME])).trim()).toBe("shut off");

    // Started again (a second start is refused while it runs), it boots until the guest reports ready; then off for good.
    const on = await call("instances.start", "mutation", { name: NAME });
    expect(on.status, JSON.stringify(on.body)).toBe(200);
    expect(data(on).state).toBe("booting");
    expect((await call("instances.start", "mutation", { name: NAME })).status).toBe(409);
    let state = "booting";
    for (let i = 0; i < 180 && state === "booting"; i++) {
      await new Promise((r) => setTimeout(r, 1_000));
      state = data(await call("instances.get", "query", { name: NAME })).state;
    }
    expect(state).toBe("running");
    expect((await call("instances.shutdown", "mutation", { name: NAME })).status).toBe(200);

    const vm = await db().vm.findUniqueOrThrow({ where: { name: NAME } });
    const del = await call("instances.delete", "mutation", { name: NAME });
    expect(del.status, JSON.stringify(del.body)).toBe(200);
    expect(await domains("host-b1")).not.toContain(NAME);
    expect(await domains("host-a1")).not.toContain(NAME);
    expect(await db().vm.findUnique({ where: { name: NAME } })).toBeNull();
    expect(await db().port.count({ where: { deviceId: vm.id } })).toBe(0);
    expect(fs.existsSync(path.join(lab().sharedDir(), "vms", NAME))).toBe(false);
    expect((await call("instances.get", "query", { name: NAME })).status).toBe(404);
  }, 300_000);

  it("refuses a launch no host at the site has memory for, saying why, and leaves nothing behind", async () => {
    const before = await counts();
    const res = await call("instances.launch", "mutation", { name: "lau-big", image: "ferry-guest", memoryMiB: 4096, vcpus: 1, site: "a" });
    expect(res.status).toBe(412);
    expect(error(res)).toMatch(/no host at site A can take 4096 MiB: host-a1 has \d+ MiB free/);
    expect(await counts()).toEqual(before);
    expect(await domains("host-a1")).not.toContain("lau-big");
  });

  it("refuses image files that do not exist, are directories or lie outside shared storage", async () => {
    const shared = lab().sharedDir();
    fs.mkdirSync(path.join(shared, "images"), { recursive: true });
    const reg = (kernel: string, initrd: string) => call("images.register", "mutation", { name: "lau-img", kernel, initrd });
    const guest = path.join(defaultGuestDir(), "initrd.img");
    let res = await reg(path.join(shared, "images", "nope"), guest);
    expect(res.status).toBe(400);
    expect(error(res)).toMatch(/kernel: .*nope does not exist/);
    res = await reg(path.join(shared, "images"), guest);
    expect(error(res)).toMatch(/kernel: .* is a directory/);
    res = await reg("/etc/hostname", guest);
    expect(error(res)).toMatch(/kernel: \/etc\/hostname is not on shared storage/);
    expect(await db().image.count({ where: { name: "lau-img" } })).toBe(0);
  });

  it("rolls back a launch the hypervisor cannot start: no domain, no port, no VM row, no console files", async () => {
    // A registered image whose "kernel" is not a kernel: libvirt defines the domain, QEMU refuses to boot it.
    const dir = path.join(lab().sharedDir(), "images");
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, "broken-vmlinuz"), "not a kernel\n");
    fs.copyFileSync(path.join(defaultGuestDir(), "initrd.img"), path.join(dir, "broken-initrd.img"));
    const reg = await call("images.register", "mutation", { name: "lau-broken", kernel: path.join(dir, "broken-vmlinuz"), initrd: path.join(dir, "broken-initrd.img") });
    expect(reg.status, JSON.stringify(reg.body)).toBe(200);

    const before = await counts();
    const res = await call("instances.launch", "mutation", { name: "lau-broken", image: "lau-broken", memoryMiB: 256, vcpus: 1, host: "host-b1" });
    expect(res.status).toBe(500);
    expect(error(res)).toMatch(/could not launch lau-broken on host-b1/);
    expect(await counts()).toEqual(before);
    expect(await domains("host-b1")).not.toContain("lau-broken");
    expect(fs.existsSync(path.join(lab().sharedDir(), "vms", "lau-broken"))).toBe(false);

    // An image whose file vanished from storage is refused before anything is allocated.
    fs.rmSync(path.join(dir, "broken-vmlinuz"));
    const gone = await call("instances.launch", "mutation", { name: "lau-broken", image: "lau-broken", memoryMiB: 256, vcpus: 1 });
    expect(gone.status).toBe(400);
    expect(error(gone)).toMatch(/kernel .*broken-vmlinuz is missing from storage/);
    expect(await counts()).toEqual(before);
  }, 120_000);
});
