import "server-only";
import type { Lab } from "../lab/lab";
import { ovsPaths } from "../lab/ovs-daemons";
import type { HostNetworkInfo } from "./network";

/** The lab's hosts as the orchestrator sees their network: br-int's dpid, OVSDB socket, underlay address. */
export function labHostNetwork(lab: Lab): (host: string) => HostNetworkInfo | null {
  return (name) => {
    const h = lab.plan.hosts.find((x) => x.name === name);
    return h ? { name: h.name, underlayIp: h.underlayIp, dpid: h.dpid, ovsdb: { path: ovsPaths(lab.hostDir(h.name)).dbSock } } : null;
  };
}
