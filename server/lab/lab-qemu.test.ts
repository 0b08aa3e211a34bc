// The lab's QEMU wrapper, run with a stand-in for QEMU (FERRY_LAB_QEMU) that shows what it was given.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import { describe, expect, it } from "vitest";
import { LAB_QEMU } from "./libvirt-host";

// The wrapper's THP switch shows only where this process itself may use huge pages.
const thpHere = /^THP_enabled:\s+1$/m.test(fs.readFileSync("/proc/self/status", "utf8")) && ["x86_64", "aarch64"].includes(os.machine());
const run = (stand: string, args: string[]) => execFileSync(LAB_QEMU, args, { env: { ...process.env, FERRY_LAB_QEMU: stand }, encoding: "utf8" });

describe("lab-qemu.sh", () => {
  it("adds 8 KiB to the RAM libvirt asks for, as -m and as the pc.ram backend, and passes the rest through", () => {
    const backend = '{"qom-type":"memory-backend-ram","id":"pc.ram","size":268435456}';
    const out = run("/bin/echo", ["-name", "vm1", "-m", "256", "-object", backend, "-smp", "1"]).trim();
    expect(out).toBe('-name vm1 -m 262152k -object {"qom-type":"memory-backend-ram","id":"pc.ram","size":268443648} -smp 1');
    // The QMP driver's own odd size is left as it is.
    expect(run("/bin/echo", ["-m", "262152k"]).trim()).toBe("-m 262152k");
  });

  it.skipIf(!thpHere)("runs QEMU with transparent huge pages disabled", () => {
    expect(run("/bin/cat", ["/proc/self/status"])).toMatch(/^THP_enabled:\s+0$/m);
  });
});
