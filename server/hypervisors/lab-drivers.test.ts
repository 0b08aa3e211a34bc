import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { Lab } from "../lab/lab";
import { LAB_QEMU } from "../lab/libvirt-host";
import { TWO_BY_TWO } from "../lab/topology";
import { labDrivers } from "./lab-drivers";
import { LibvirtDriver } from "./libvirt/driver";
import { QmpDriver } from "./qmp/driver";

describe("labDrivers", () => {
  it("runs every lab guest under the lab's QEMU wrapper, on libvirt and QMP hosts alike", () => {
    // Planning only: nothing is started.
    const lab = new Lab({ dir: path.join(os.tmpdir(), "ferry-lab-drivers-unused"), controllerSocket: "/nonexistent", topology: TWO_BY_TWO });
    const drivers = labDrivers(lab, "/nonexistent/guest");
    const kinds = [...drivers.entries()].map(([name, d]) => [name, d instanceof QmpDriver ? "qmp" : d instanceof LibvirtDriver ? "libvirt" : "?"]);
    expect(kinds.sort()).toEqual([["host-a1", "libvirt"], ["host-a2", "qmp"], ["host-b1", "libvirt"], ["host-b2", "qmp"]]);
    for (const d of drivers.values()) {
      if (d instanceof QmpDriver) expect(d.config.qemuBinary).toBe(LAB_QEMU);
      else expect((d as LibvirtDriver).emulator).toBe(LAB_QEMU);
    }
  });
});
