// PIDs of the QEMU processes running one guest inside one network namespace: how fault tests and
// benchmarks find the process to kill (libvirt's and Ferry's QEMUs both name the guest).
import fs from "node:fs";

export function qemuPidsIn(ns: string, vmName: string): number[] {
  const netIno = fs.statSync(`/run/netns/${ns}`).ino;
  const out: number[] = [];
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const args = fs.readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0");
      if (!args[0]?.includes("qemu-system") || !args.some((a) => a.includes(`guest=${vmName},`) || a.endsWith(`guest=${vmName}`))) continue;
      if (fs.readlinkSync(`/proc/${entry}/ns/net`) === `net:[${netIno}]`) out.push(Number(entry));
    } catch {
      // Ended while we looked.
    }
  }
  return out;
}
