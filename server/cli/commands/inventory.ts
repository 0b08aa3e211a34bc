// hosts, vms: the registry as the Hypervisors and Instances pages show it.
import type { Outputs } from "../api";
import { print, signedIn, type Cli } from "../context";
import { table, toJson } from "../render";

export function hostsTable(hosts: Outputs["inventory"]["hosts"]): string {
  return table(
    ["NAME", "SITE", "HYPERVISOR", "STATUS", "CPUS", "MEMORY", "FREE", "VMS", "SWITCHES"],
    hosts.map((h) => [
      h.name,
      h.site,
      h.hypervisor,
      h.status,
      h.cpus,
      h.memoryMiB !== null ? `${h.memoryMiB} MiB` : null,
      h.memoryFreeMiB !== null ? `${h.memoryFreeMiB} MiB` : null,
      h.vms,
      h.switches.map((s) => `${s.bridge} ${s.dpid}${s.connected ? "" : " (not connected)"}`).join(", "),
    ]),
  );
}

export function vmsTable(vms: Outputs["inventory"]["vms"]): string {
  return table(
    ["NAME", "STATE", "HOST", "SITE", "MEMORY", "VCPUS", "IP", "MAC"],
    vms.map((v) => [v.name, v.state, v.host, v.site, `${v.memoryMiB} MiB`, v.vcpus, v.ports.map((p) => p.ip).filter(Boolean).join(", "), v.ports.map((p) => p.mac).join(", ")]),
  );
}

export async function hosts(cli: Cli): Promise<number> {
  const { api } = signedIn(cli);
  const rows = await api.inventory.hosts.query();
  print(cli, cli.json ? toJson(rows) : rows.length ? hostsTable(rows) : "no hosts registered");
  return 0;
}

export async function vms(cli: Cli): Promise<number> {
  const { api } = signedIn(cli);
  const rows = await api.inventory.vms.query();
  print(cli, cli.json ? toJson(rows) : rows.length ? vmsTable(rows) : "no VMs registered");
  return 0;
}
