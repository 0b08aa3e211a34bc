// One Open vSwitch per lab host: ovsdb-server and ovs-vswitchd started inside the host's network
// namespace, each with its own database, run directory, pid files and logs (OVS_RUNDIR keeps the
// instances' management sockets apart).
import "server-only";
import fs from "node:fs";
import path from "node:path";
import { nsRun, run } from "./sh";
import type { LabProcess } from "./state";

const SCHEMA = "/usr/share/openvswitch/vswitch.ovsschema";

export interface OvsPaths {
  dir: string;
  dbSock: string;
}

export function ovsPaths(hostDir: string): OvsPaths {
  const dir = path.join(hostDir, "ovs");
  return { dir, dbSock: path.join(dir, "db.sock") };
}

function env(dir: string): NodeJS.ProcessEnv {
  return { ...process.env, OVS_RUNDIR: dir, OVS_DBDIR: dir, OVS_LOGDIR: dir, OVS_SYSCONFDIR: dir };
}

function readPid(file: string): number {
  const pid = Number.parseInt(fs.readFileSync(file, "utf8").trim(), 10);
  if (!Number.isInteger(pid) || pid <= 1) throw new Error(`bad pid file ${file}`);
  return pid;
}

/** Starts both daemons (fresh database each time) and returns them for the state file. */
export async function startOvs(ns: string, hostDir: string): Promise<LabProcess[]> {
  const { dir, dbSock } = ovsPaths(hostDir);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const e = env(dir);
  await run("ovsdb-tool", ["create", path.join(dir, "conf.db"), SCHEMA], { env: e });
  await nsRun(ns, "ovsdb-server", [
    path.join(dir, "conf.db"),
    `--remote=punix:${dbSock}`,
    `--unixctl=${path.join(dir, "ovsdb-server.ctl")}`,
    `--pidfile=${path.join(dir, "ovsdb-server.pid")}`,
    `--log-file=${path.join(dir, "ovsdb-server.log")}`,
    "--detach",
    "--no-chdir",
  ], { env: e });
  const procs: LabProcess[] = [{ name: `${ns}/ovsdb-server`, pid: readPid(path.join(dir, "ovsdb-server.pid")), marker: dir }];
  // A fresh database has no root row; vswitchd expects one.
  await run("ovs-vsctl", [`--db=unix:${dbSock}`, "--no-wait", "--timeout=15", "init"], { env: e });
  await nsRun(ns, "ovs-vswitchd", [
    `unix:${dbSock}`,
    `--unixctl=${path.join(dir, "ovs-vswitchd.ctl")}`,
    `--pidfile=${path.join(dir, "ovs-vswitchd.pid")}`,
    `--log-file=${path.join(dir, "ovs-vswitchd.log")}`,
    "--detach",
    "--no-chdir",
  ], { env: e });
  procs.push({ name: `${ns}/ovs-vswitchd`, pid: readPid(path.join(dir, "ovs-vswitchd.pid")), marker: dir });
  return procs;
}
