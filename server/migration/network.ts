// Where a VM's MAC is reachable from each switch once it runs on a given host: on that host's
// br-int, the VM's own port (found by the attached-mac Neutron sets on the interface); on every
// other host's br-int, the GRE port toward that host (found by its remote_ip). Read from each
// host's OVSDB, so it follows what is really plugged in, not what was planned.
import "server-only";
import { OvsdbClient, Vswitch, type OvsdbAddress } from "../../controller/ovsdb";
import type { RelocationRoute } from "../../controller/apps/relocation";

export interface HostNetworkInfo {
  name: string;
  underlayIp: string;
  dpid: string;
  ovsdb: OvsdbAddress;
}

async function interfacesOf(host: HostNetworkInfo) {
  const client = await OvsdbClient.connect(host.ovsdb, { timeoutMs: 5_000 });
  try {
    return await new Vswitch(client).getInterfaces();
  } finally {
    client.close();
  }
}

/** The bridge's tunnel port (GRE, VXLAN, Geneve) toward the host with underlay address `remoteIp`. */
function tunnelPort(ifaces: Awaited<ReturnType<typeof interfacesOf>>, remoteIp: string): number | undefined {
  const t = ifaces.find((x) => ["gre", "vxlan", "geneve"].includes(x.type) && x.options.remote_ip === remoteIp && (x.ofport ?? -1) > 0);
  return t?.ofport ?? undefined;
}

/** The VM's port number on its host's bridge, or undefined if it is not plugged in (yet). */
export async function vmPort(host: HostNetworkInfo, mac: string): Promise<number | undefined> {
  const ifaces = await interfacesOf(host);
  const i = ifaces.find((x) => x.externalIds["attached-mac"]?.toLowerCase() === mac.toLowerCase() && (x.ofport ?? -1) > 0);
  return i?.ofport;
}

/** Routes for every host's switch toward `dest`, where the VM is plugged into `destPort`. */
export async function routesToward(hosts: HostNetworkInfo[], dest: HostNetworkInfo, destPort: number): Promise<{ routes: RelocationRoute[]; missing: string[] }> {
  const routes: RelocationRoute[] = [{ dpid: dest.dpid, port: destPort }];
  const missing: string[] = [];
  await Promise.all(
    hosts
      .filter((h) => h.name !== dest.name)
      .map(async (h) => {
        const ifaces = await interfacesOf(h).catch(() => []);
        const port = tunnelPort(ifaces, dest.underlayIp);
        if (port !== undefined) routes.push({ dpid: h.dpid, port });
        else missing.push(h.name);
      }),
  );
  return { routes, missing };
}

/** On `dest`'s bridge, the tunnel port toward each other host's switch (for the VM's return paths). */
export async function tunnelsFrom(hosts: HostNetworkInfo[], dest: HostNetworkInfo): Promise<RelocationRoute[]> {
  const ifaces = await interfacesOf(dest);
  const out: RelocationRoute[] = [];
  for (const h of hosts) {
    if (h.name === dest.name) continue;
    const port = tunnelPort(ifaces, h.underlayIp);
    if (port !== undefined) out.push({ dpid: h.dpid, port });
  }
  return out;
}
