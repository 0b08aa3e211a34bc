// The lab's status as text: one renderer for `npm run lab -- status` and `ferry lab status`.
import type { LabStatus } from "./lab";

export function labText(s: LabStatus): string {
  const lines = [s.up ? "lab: up" : "lab: down"];
  for (const h of s.hosts) lines.push(`  ${h.name}  site ${h.site}  ${h.underlayIp}${h.migrationIp !== h.underlayIp ? ` (migration ${h.migrationIp})` : ""}  dpid ${h.dpid}  ovs ${h.ovsRunning ? "running" : "stopped"}${h.libvirtRunning === null ? "" : `  libvirtd ${h.libvirtRunning ? "running" : "stopped"}`}  ${h.tunnels.join(", ")}`.trimEnd());
  for (const v of s.vms) lines.push(`  ${v.name}  on ${v.host}  ${v.ip}  ${v.mac}  ${v.state}`);
  for (const c of s.clients) lines.push(`  client-${c.site}  ${c.ip}  (ip netns exec ${c.ns} …)`);
  lines.push(`  inter-site link: ${s.wanRateMbit === null ? "unlimited" : `${s.wanRateMbit} Mbit/s`}`);
  for (const p of s.problems) lines.push(`  problem: ${p}`);
  return lines.join("\n");
}
