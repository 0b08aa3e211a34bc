// One libvirtd per lab host, as on a real compute node: started inside the host's network
// namespace plus private mount, UTS and PID namespaces (see libvirt/start.sh), with its own
// configuration, state and logs under <host dir>/libvirt and the host's Open vSwitch mounted
// where libvirt's ovs-vsctl looks for it. Peers reach it on the underlay (qemu+tcp); the
// machine reaches it through the UNIX socket in <host dir>/libvirt/run.
import "server-only";
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { missingBinaries, run } from "./sh";
import { processAlive, stopProcess, type LabProcess } from "./state";

const TEMPLATES = path.join(import.meta.dirname, "libvirt");
export const START_SCRIPT = path.join(TEMPLATES, "start.sh");

const REQUIRED_BINARIES = ["libvirtd", "virsh", "qemu-system-x86_64", "unshare", "mount", "hostname", "ip", "ovs-vsctl"];
// sockaddr_un.sun_path is 108 bytes including the NUL.
const MAX_SOCK_PATH = 107;

export interface LibvirtHostOptions {
  hostName: string;
  /** Network namespace of the host (holds its br-phy/br-int). */
  ns: string;
  /** Underlay address libvirtd listens on (and incoming migrations use without migrationIp). */
  underlayIp: string;
  /** Address incoming migration streams are received on: the host's migration network; default underlayIp. */
  migrationIp?: string;
  /** The lab host's directory; libvirt's trees go to <hostDir>/libvirt. */
  hostDir: string;
  /** The host's OVS run directory, the one holding db.sock. */
  ovsRunDir: string;
  /** Defaults to a UUID derived from hostName (stable across restarts, distinct per host). */
  hostUuid?: string;
  log?: (line: string) => void;
}

export interface LibvirtHostPaths {
  dir: string;
  etc: string;
  run: string;
  lib: string;
  log: string;
  cache: string;
  /** Read-write UNIX socket, as seen from the root namespace. */
  socket: string;
  /** libvirtd's own log. */
  daemonLog: string;
  /** stdout/stderr of start.sh. */
  startLog: string;
  /** Mounted over /etc/hosts for the daemon: its hostname resolves without DNS. */
  hostsFile: string;
}

export interface LibvirtdProcess extends LabProcess {
  socket: string;
  /** URI for virsh/libvirt clients in the root namespace. */
  uri: string;
  /** URI peers use from inside their namespaces (migration destination). */
  tcpUri: string;
  /** The daemon's PID namespace ("pid:[inode]"): every QEMU it started lives there too. */
  pidNs: string;
}

export function libvirtPaths(hostDir: string): LibvirtHostPaths {
  const dir = path.join(hostDir, "libvirt");
  const runDir = path.join(dir, "run");
  const logDir = path.join(dir, "log");
  return {
    dir,
    etc: path.join(dir, "etc"),
    run: runDir,
    lib: path.join(dir, "lib"),
    log: logDir,
    cache: path.join(dir, "cache"),
    socket: path.join(runDir, "libvirt-sock"),
    daemonLog: path.join(logDir, "libvirtd.log"),
    startLog: path.join(logDir, "start.log"),
    hostsFile: path.join(dir, "hosts"),
  };
}

export function libvirtUri(hostDir: string): string {
  return `qemu+unix:///system?socket=${libvirtPaths(hostDir).socket}`;
}

export function libvirtTcpUri(underlayIp: string): string {
  return `qemu+tcp://${underlayIp}/system`;
}

/** A stable, per-host UUID (libvirt refuses to migrate between hosts with equal UUIDs). */
export function hostUuidFor(hostName: string): string {
  const h = createHash("sha256").update(`ferry-lab-host:${hostName}`).digest("hex");
  // Version 4 / RFC 4122 variant bits, so tools that validate UUIDs accept it.
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${((parseInt(h[16]!, 16) & 3) | 8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export function virsh(uri: string, args: readonly string[], timeoutMs = 30_000): Promise<string> {
  return run("virsh", ["-q", "-c", uri, ...args], { timeoutMs });
}

/**
 * Checks binaries and creates the accounts libvirt's QEMU driver looks up at start even when
 * qemu.conf says root (the Debian package that normally creates them is not needed otherwise).
 */
export async function checkLibvirtPrerequisites(log: (line: string) => void = () => {}): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error("libvirt lab hosts need root (namespaces, bind mounts)");
  const missing = await missingBinaries(REQUIRED_BINARIES);
  if (missing.length) {
    throw new Error(`libvirt lab hosts need ${missing.join(", ")} (apt-get install --no-install-recommends libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients qemu-system-x86)`);
  }
  if (!(await exists(["getent", "group", "kvm"]))) {
    log("creating system group kvm (libvirt's QEMU driver expects it)");
    await run("groupadd", ["--system", "kvm"]);
  }
  if (!(await exists(["getent", "group", "libvirt-qemu"]))) {
    log("creating system group libvirt-qemu (libvirt's QEMU driver expects it)");
    await run("groupadd", ["--system", "libvirt-qemu"]);
  }
  if (!(await exists(["getent", "passwd", "libvirt-qemu"]))) {
    log("creating system user libvirt-qemu (libvirt's QEMU driver expects it)");
    await run("useradd", ["--system", "--no-create-home", "--home-dir", "/nonexistent", "--shell", "/usr/sbin/nologin", "--gid", "libvirt-qemu", "--groups", "kvm", "libvirt-qemu"]);
  }
}

async function exists(cmd: [string, ...string[]]): Promise<boolean> {
  try {
    await run(cmd[0], cmd.slice(1));
    return true;
  } catch {
    return false;
  }
}

/**
 * Writes a fresh configuration for the host's libvirtd under <hostDir>/libvirt. Anything left
 * from an earlier run (a daemon that outlived a crash, its pid file, sockets, domains) is
 * removed first.
 */
export async function prepareLibvirtHost(opts: LibvirtHostOptions): Promise<LibvirtHostPaths> {
  validate(opts);
  const p = libvirtPaths(opts.hostDir);
  if (p.socket.length > MAX_SOCK_PATH) throw new Error(`libvirt socket path too long for a UNIX socket: ${p.socket}`);
  await stopStale(p, opts);
  fs.rmSync(p.dir, { recursive: true, force: true });
  for (const d of [p.etc, p.run, p.lib, p.log, p.cache]) fs.mkdirSync(d, { recursive: true, mode: 0o700 });

  // Whatever the package ships (client defaults) is kept; the daemon files are ours.
  if (fs.existsSync("/etc/libvirt")) {
    for (const f of fs.readdirSync("/etc/libvirt")) {
      const src = path.join("/etc/libvirt", f);
      if (f.endsWith(".conf") && fs.statSync(src).isFile()) fs.copyFileSync(src, path.join(p.etc, f));
    }
  }
  const vars = { UNDERLAY_IP: opts.underlayIp, MIGRATION_IP: opts.migrationIp ?? opts.underlayIp, HOST_UUID: opts.hostUuid ?? hostUuidFor(opts.hostName), HOST_NAME: opts.hostName };
  fs.writeFileSync(path.join(p.etc, "libvirtd.conf"), render("libvirtd.conf.in", vars));
  fs.writeFileSync(path.join(p.etc, "qemu.conf"), render("qemu.conf.in", vars));
  fs.writeFileSync(p.hostsFile, render("hosts.in", vars));
  return p;
}

/**
 * Stops a daemon still running on this host's files (a crash of whatever started it, or a
 * second start). PID 1 of its namespace goes first: that takes the whole namespace with it,
 * while the unshare parent ignores SIGTERM and would cost the full grace period.
 */
async function stopStale(p: LibvirtHostPaths, opts: LibvirtHostOptions): Promise<void> {
  const stale = processesWithMarker(p.dir);
  const rank = (q: LabProcess) => (q.name === "sh" ? 0 : q.name === "unshare" ? 2 : 1);
  for (const q of stale.sort((a, b) => rank(a) - rank(b))) {
    if (!processAlive(q.pid, q.marker)) continue;
    opts.log?.(`${opts.hostName}: stopping ${q.name} (pid ${q.pid}) left from an earlier start`);
    await stopProcess(q);
  }
}

function validate(opts: LibvirtHostOptions): void {
  if (!/^[a-z][a-z0-9-]{0,62}$/.test(opts.hostName)) throw new Error(`bad lab host name "${opts.hostName}"`);
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/.test(opts.ns)) throw new Error(`bad namespace name "${opts.ns}"`);
  for (const [what, ip] of [["underlay", opts.underlayIp], ["migration", opts.migrationIp ?? opts.underlayIp]] as const) {
    if (!/^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.test(ip) || ip.split(".").some((o) => Number(o) > 255)) throw new Error(`bad ${what} address "${ip}"`);
  }
  if (opts.hostUuid !== undefined && !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(opts.hostUuid)) {
    throw new Error(`bad host UUID "${opts.hostUuid}"`);
  }
  if (!path.isAbsolute(opts.hostDir) || !path.isAbsolute(opts.ovsRunDir)) throw new Error("hostDir and ovsRunDir must be absolute paths");
}

function render(template: string, vars: Record<string, string>): string {
  return fs.readFileSync(path.join(TEMPLATES, template), "utf8").replace(/@([A-Z_]+)@/g, (m, k: string) => {
    const v = vars[k];
    if (v === undefined) throw new Error(`${template}: no value for ${m}`);
    return v;
  });
}

/**
 * Starts the host's libvirtd (after prepareLibvirtHost) and waits until it answers on its
 * UNIX socket. The returned record's pid is PID 1 of the daemon's PID namespace: stopping it
 * (stopLibvirtd, or the lab's generic stopProcess) ends libvirtd and every guest it runs.
 */
export async function startLibvirtd(opts: LibvirtHostOptions, { timeoutMs = 30_000 } = {}): Promise<LibvirtdProcess> {
  validate(opts);
  const p = libvirtPaths(opts.hostDir);
  if (!fs.existsSync(path.join(p.etc, "libvirtd.conf"))) throw new Error(`${opts.hostName}: prepareLibvirtHost was not called`);
  await stopStale(p, opts);
  // A crashed earlier daemon may have left these; libvirtd would refuse to start or clients
  // would reach a dead socket.
  for (const f of fs.readdirSync(p.run)) fs.rmSync(path.join(p.run, f), { recursive: true, force: true });

  const out = fs.openSync(p.startLog, "a");
  let launcher;
  try {
    // `ip netns exec` execs unshare in place; unshare forks the namespace's PID 1 (start.sh).
    launcher = spawn(
      "ip",
      ["netns", "exec", opts.ns, "unshare", "--mount", "--uts", "--pid", "--fork", "--kill-child", "--mount-proc", "--propagation", "private",
        "sh", START_SCRIPT, p.dir, opts.ovsRunDir, opts.hostName],
      { detached: true, stdio: ["ignore", out, out] },
    );
  } finally {
    fs.closeSync(out);
  }
  launcher.on("error", () => {});
  launcher.unref();
  const launcherPid = launcher.pid;
  if (!launcherPid) throw new Error(`${opts.hostName}: cannot spawn ip netns exec`);

  const deadline = Date.now() + timeoutMs;
  const uri = libvirtUri(opts.hostDir);
  let init: number | undefined;
  try {
    while (init === undefined) {
      init = childOf(launcherPid);
      if (init !== undefined) break;
      if (!processAlive(launcherPid)) throw new Error("the launcher exited before starting the daemon");
      if (Date.now() > deadline) throw new Error("the launcher did not fork the daemon's namespace");
      await sleep(20);
    }
    const pidNs = fs.readlinkSync(`/proc/${init}/ns/pid`);
    const proc: LibvirtdProcess = { name: `${opts.ns}/libvirtd`, pid: init, marker: p.dir, socket: p.socket, uri, tcpUri: libvirtTcpUri(opts.underlayIp), pidNs };
    let lastErr = "";
    for (;;) {
      if (!processAlive(init)) throw new Error("the daemon exited during start-up");
      if (fs.existsSync(p.socket)) {
        try {
          await virsh(uri, ["version"], 5_000);
          opts.log?.(`${opts.hostName}: libvirtd is up (${uri}, ${proc.tcpUri})`);
          return proc;
        } catch (err) {
          lastErr = err instanceof Error ? err.message : String(err);
        }
      }
      if (Date.now() > deadline) throw new Error(`libvirtd did not answer within ${Math.round(timeoutMs / 1000)} s${lastErr ? `: ${lastErr}` : ""}`);
      await sleep(100);
    }
  } catch (err) {
    if (init !== undefined) await stopProcess({ name: "libvirtd", pid: init, marker: p.dir }, 3_000);
    await stopProcess({ name: "launcher", pid: launcherPid, marker: p.dir }, 1_000);
    throw new Error(`${opts.hostName}: ${err instanceof Error ? err.message : String(err)}\n${diagnostics(p)}`);
  }
}

/**
 * Stops the daemon and waits (bounded) until every process of its PID namespace (its QEMU
 * guests) is gone. Guests are not shut down cleanly: a lab host going away is a power cut.
 */
export async function stopLibvirtd(proc: LabProcess & { pidNs?: string }, { timeoutMs = 10_000 } = {}): Promise<void> {
  await stopProcess(proc, Math.min(5_000, timeoutMs));
  if (!proc.pidNs) return;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const left = processesInPidNs(proc.pidNs, proc.marker);
    if (left.length === 0) return;
    if (Date.now() > deadline) throw new Error(`${proc.name}: processes ${left.join(", ")} survived the daemon`);
    await sleep(50);
  }
}

/** The libvirtd process itself (not its PID 1) of the host whose libvirt dir is `dir`, if one runs. */
export function libvirtdDaemonPid(hostDir: string): number | undefined {
  const p = libvirtPaths(hostDir);
  return processesWithMarker(p.dir).find((q) => path.basename(q.name) === "libvirtd" && processAlive(q.pid, p.dir))?.pid;
}

/**
 * Starts a host's libvirtd again after it died (start.sh's PID 1 still runs, and so do the
 * guests): start.sh restarts it on SIGUSR1 in the same namespaces, so it finds its guests'
 * state files and monitors and takes them back. Waits (bounded) until it answers.
 */
export async function restartLibvirtd(proc: LabProcess, hostDir: string, { timeoutMs = 30_000 } = {}): Promise<void> {
  const p = libvirtPaths(hostDir);
  if (!processAlive(proc.pid, proc.marker)) throw new Error(`${proc.name}: the host's namespaces are gone (start it with startLibvirtd)`);
  if (libvirtdDaemonPid(hostDir) !== undefined) throw new Error(`${proc.name}: libvirtd is still running`);
  process.kill(proc.pid, "SIGUSR1");
  const deadline = Date.now() + timeoutMs;
  let lastErr = "";
  for (;;) {
    if (libvirtdDaemonPid(hostDir) !== undefined) {
      try {
        await virsh(libvirtUri(hostDir), ["version"], 5_000);
        return;
      } catch (err) {
        lastErr = err instanceof Error ? err.message : String(err);
      }
    }
    if (Date.now() > deadline) throw new Error(`${proc.name}: libvirtd did not answer within ${Math.round(timeoutMs / 1000)} s of a restart${lastErr ? `: ${lastErr}` : ""}\n${diagnostics(p)}`);
    await sleep(100);
  }
}

/** Processes whose command line contains marker (a libvirt dir), for clean-up after a crash. */
export function processesWithMarker(marker: string): LabProcess[] {
  const out: LabProcess[] = [];
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const cmdline = fs.readFileSync(`/proc/${entry}/cmdline`, "utf8");
      if (cmdline.includes(marker)) out.push({ name: cmdline.split("\0")[0]!, pid: Number(entry), marker });
    } catch {
      // Ended while we looked.
    }
  }
  return out;
}

/** Our processes in that PID namespace (namespace inodes are reused, hence the command check). */
function processesInPidNs(pidNs: string, marker: string): number[] {
  const out: number[] = [];
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (fs.readlinkSync(`/proc/${entry}/ns/pid`) !== pidNs || !processAlive(Number(entry))) continue;
      const cmdline = fs.readFileSync(`/proc/${entry}/cmdline`, "utf8");
      if (cmdline.includes(marker) || cmdline.split("\0")[0]!.includes("qemu-system")) out.push(Number(entry));
    } catch {
      // Ended while we looked.
    }
  }
  return out;
}

function childOf(ppid: number): number | undefined {
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(fields[1]) === ppid) return Number(entry);
    } catch {
      // Ended while we looked.
    }
  }
  return undefined;
}

function diagnostics(p: LibvirtHostPaths): string {
  return [p.startLog, p.daemonLog]
    .filter((f) => fs.existsSync(f))
    .map((f) => `--- ${path.basename(f)}\n${fs.readFileSync(f, "utf8").trim().split("\n").slice(-15).join("\n")}`)
    .join("\n");
}

export interface LabDomainSpec {
  name: string;
  uuid?: string;
  memoryMiB: number;
  vcpus?: number;
  kernel: string;
  initrd: string;
  cmdline: string;
  mac: string;
  /** Serial console file; must be reachable under the same path on every host it migrates to. */
  consoleLog: string;
  bridge?: string;
  /** iface-id libvirt sets on the OVS interface (default: a random UUID of its own). */
  interfaceId?: string;
  /** The QEMU binary libvirt runs (default /usr/bin/qemu-system-x86_64; the lab's own: LAB_QEMU). */
  emulator?: string;
}

/**
 * The lab's QEMU, for libvirt and QMP hosts alike: a wrapper that gives a libvirt guest 8 KiB more
 * RAM than libvirt's whole MiB, which keeps QEMU 7.2's TCG from losing guest writes during a
 * migration, and runs QEMU without transparent huge pages, whose first-touch cost on this
 * machine varies by a factor of forty (see the script). Lab hosts share this path; a real host
 * runs its own QEMU.
 */
export const LAB_QEMU = path.join(path.dirname(TEMPLATES), "lab-qemu.sh");

/** Domain XML for a TCG guest with direct kernel boot, plugged into the host's br-int. */
export function labDomainXml(d: LabDomainSpec): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/.test(d.name)) throw new Error(`bad domain name "${d.name}"`);
  if (!/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/.test(d.mac)) throw new Error(`bad MAC "${d.mac}"`);
  if (!Number.isInteger(d.memoryMiB) || d.memoryMiB < 32) throw new Error("memoryMiB must be an integer ≥ 32");
  const vars: Record<string, string> = {
    NAME: d.name,
    UUID_ELEMENT: d.uuid ? `<uuid>${esc(d.uuid)}</uuid>` : "",
    MEMORY_MIB: String(d.memoryMiB),
    VCPUS: String(d.vcpus ?? 1),
    KERNEL: esc(d.kernel),
    INITRD: esc(d.initrd),
    CMDLINE: esc(d.cmdline),
    MAC: d.mac,
    BRIDGE: esc(d.bridge ?? "br-int"),
    VIRTUALPORT_PARAMS: d.interfaceId ? `<parameters interfaceid='${esc(d.interfaceId)}'/>` : "",
    CONSOLE_LOG: esc(d.consoleLog),
    EMULATOR: esc(d.emulator ?? "/usr/bin/qemu-system-x86_64"),
  };
  return render("domain.xml.in", vars);
}

function esc(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/'/g, "&apos;").replace(/"/g, "&quot;");
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
