// flows SWITCH: the switch's flow table, re-read from the switch, printed line for line as
// `ovs-ofctl dump-flows` prints it (the lines come from the controller's ofctl renderer).
import type { Api } from "../api";
import { print, signedIn, type Cli } from "../context";
import { toJson } from "../render";

const DPID = /^(0x)?[0-9a-f]{1,16}$/i;

type Hosts = { name: string; switches: { dpid: string; bridge: string }[] }[];

/** A dpid as given (0x and leading zeros optional), or HOST (its br-int, or its only bridge), or HOST/BRIDGE. */
export function resolveSwitch(target: string, hosts: Hosts): string {
  const [hostName, bridge] = target.split("/", 2) as [string, string | undefined];
  const host = hosts.find((h) => h.name === hostName);
  if (host) {
    const sw = bridge ? host.switches.find((s) => s.bridge === bridge) : (host.switches.find((s) => s.bridge === "br-int") ?? (host.switches.length === 1 ? host.switches[0] : undefined));
    if (!sw) throw new Error(`${hostName} has no ${bridge ? `bridge ${bridge}` : "br-int"} (bridges: ${host.switches.map((s) => s.bridge).join(", ") || "none"})`);
    return sw.dpid;
  }
  if (!bridge && DPID.test(target)) return target.replace(/^0x/i, "").toLowerCase().padStart(16, "0");
  throw new Error(`no switch "${target}": give a dpid (16 hex digits), a host name or host/bridge (ferry hosts lists them)`);
}

async function dpidOf(api: Api, target: string): Promise<string> {
  // A full dpid needs no look-up; anything else is resolved through the registry.
  if (/^[0-9a-f]{16}$/.test(target)) return target;
  return resolveSwitch(target, await api.inventory.hosts.query());
}

export async function flows(cli: Cli, cmd: { target: string; refresh: boolean }): Promise<number> {
  const { api } = signedIn(cli);
  const dpid = await dpidOf(api, cmd.target);
  const sw = await api.switches.get.query({ dpid, refresh: cmd.refresh, dumpLines: !cli.json });
  if (cli.json) print(cli, toJson({ dpid: sw.dpid, version: sw.version, flows: sw.flows }));
  else if (sw.dumpFlows.length) print(cli, sw.dumpFlows.join("\n"));
  return 0;
}
