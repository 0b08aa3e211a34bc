// lab up|down|status: the server's embedded lab, through the same procedures as the Overview page.
import type { Outputs } from "../api";
import { print, signedIn, type Cli } from "../context";
import { toJson } from "../render";

/** Exit status of `lab status` when the lab is not up (as `npm run lab -- status`). */
export const LAB_NOT_UP = 3;

type Status = Extract<Outputs["lab"]["status"], { enabled: true }>;

export function labText(s: Omit<Status, "enabled">): string {
  const lines = [s.up ? "lab: up" : "lab: down"];
  for (const h of s.hosts) lines.push(`  ${h.name}  site ${h.site}  ${h.underlayIp}${h.migrationIp !== h.underlayIp ? ` (migration ${h.migrationIp})` : ""}  dpid ${h.dpid}  ovs ${h.ovsRunning ? "running" : "stopped"}${h.libvirtRunning === null ? "" : `  libvirtd ${h.libvirtRunning ? "running" : "stopped"}`}  ${h.tunnels.join(", ")}`.trimEnd());
  for (const v of s.vms) lines.push(`  ${v.name}  on ${v.host}  ${v.ip}  ${v.mac}  ${v.state}`);
  for (const c of s.clients) lines.push(`  client-${c.site}  ${c.ip}  (ip netns exec ${c.ns} …)`);
  lines.push(`  inter-site link: ${s.wanRateMbit === null ? "unlimited" : `${s.wanRateMbit} Mbit/s`}`);
  for (const p of s.problems) lines.push(`  problem: ${p}`);
  return lines.join("\n");
}

export async function lab(cli: Cli, cmd: { action: "up" | "down" | "status" }): Promise<number> {
  const { api } = signedIn(cli);
  if (cmd.action === "status") {
    const s = await api.lab.status.query();
    if (!s.enabled) {
      print(cli, cli.json ? toJson(s) : "the lab is not enabled on this server (start it with FERRY_LAB=1)");
      return LAB_NOT_UP;
    }
    print(cli, cli.json ? toJson(s) : labText(s));
    return s.up ? 0 : LAB_NOT_UP;
  }
  if (!cli.json) print(cli, cmd.action === "up" ? "bringing the lab up (about a minute)…" : "taking the lab down…");
  const s = cmd.action === "up" ? await api.lab.up.mutate() : await api.lab.down.mutate();
  print(cli, cli.json ? toJson(s) : labText(s));
  // "down" succeeded when nothing is left running; "up" when everything is.
  return cmd.action === "up" ? (s.up ? 0 : 1) : s.subsystem.state === "stopped" ? 0 : 1;
}
