// The lab's guest image: a Debian cloud kernel plus a busybox initramfs that serves a JSON
// status page and can keep its memory dirty (see README.md next to this file).
import "server-only";
import { spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import path from "node:path";

const here = import.meta.dirname;
const repoRoot = path.resolve(here, "../../..");

export const BUILD_SCRIPT = path.join(here, "build-image.sh");

/** Where build-image.sh puts the image unless told otherwise. */
export function defaultGuestDir(): string {
  return process.env.FERRY_GUEST_DIR || path.join(repoRoot, "data/lab/images/ferry-guest");
}

export interface GuestImage {
  kernel: string;
  initrd: string;
  /** false when the cached image was already up to date. */
  built: boolean;
}

export interface EnsureGuestImageOptions {
  outDir?: string;
  /** A cold build downloads the kernel package and may apt-get install build tools. */
  timeoutMs?: number;
}

const TAIL_LINES = 25;

/** Builds the guest image if its recipe changed; otherwise returns the cached one at once. */
export function ensureGuestImage(opts: EnsureGuestImageOptions = {}): Promise<GuestImage> {
  const outDir = path.resolve(opts.outDir ?? defaultGuestDir());
  const timeoutMs = opts.timeoutMs ?? 10 * 60_000;
  return new Promise((resolve, reject) => {
    // Own process group, so a timeout also stops apt-get/gcc children and the script's
    // trap still removes its temp dir.
    const child = spawn("bash", [BUILD_SCRIPT, outDir], {
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
      env: { ...process.env, FERRY_GUEST_DIR: outDir },
    });
    let output = "";
    const keep = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.length > 64 * 1024) output = output.slice(-32 * 1024);
    };
    child.stdout.on("data", keep);
    child.stderr.on("data", keep);

    let timedOut = false;
    const killGroup = (sig: NodeJS.Signals) => {
      try {
        if (child.pid) process.kill(-child.pid, sig);
      } catch {
        // already gone
      }
    };
    let hardKill: NodeJS.Timeout | undefined;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup("SIGTERM");
      hardKill = setTimeout(() => killGroup("SIGKILL"), 5_000);
    }, timeoutMs);

    const tail = () => output.trim().split("\n").slice(-TAIL_LINES).join("\n");
    child.on("error", (err) => {
      clearTimeout(timer);
      reject(new Error(`cannot run ${BUILD_SCRIPT}: ${err.message}`));
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      if (hardKill) clearTimeout(hardKill);
      if (timedOut) {
        reject(new Error(`guest image build timed out after ${Math.round(timeoutMs / 1000)} s; last output:\n${tail()}`));
        return;
      }
      if (code !== 0) {
        reject(new Error(`guest image build failed (${signal ?? `exit ${code}`}); last output:\n${tail()}`));
        return;
      }
      const kernel = /^kernel: (.+)$/m.exec(output)?.[1];
      const initrd = /^initrd: (.+)$/m.exec(output)?.[1];
      if (!kernel || !initrd) {
        reject(new Error(`guest image build printed no image paths; last output:\n${tail()}`));
        return;
      }
      resolve({ kernel, initrd, built: !/^guest image up to date$/m.test(output) });
    });
  });
}

export interface GuestConfig {
  /** IPv4 address with prefix length, e.g. "10.99.0.11/24". */
  ip: string;
  /** Default gateway (plain IPv4), optional. */
  gw?: string;
  hostname: string;
  /** MiB that memload fills with random data; 0 or absent: no memory load. */
  fillMb?: number;
  /** MiB/s that memload keeps rewriting; needs fillMb > 0. */
  dirtyMbps?: number;
}

// Limits stay inside what the guest's /init and memload accept.
export const MAX_FILL_MB = 65_536;
export const MAX_DIRTY_MBPS = 10_000;

// Kernel options that cut boot time under TCG: no console chatter, no Spectre-style
// mitigations, no PS/2 probing, a single UART; panic=-1 reboots at once, which QEMU's
// -no-reboot turns into an exit the host can notice.
const BASE_CMDLINE = "console=ttyS0 panic=-1 quiet loglevel=3 mitigations=off i8042.noaux i8042.nokbd 8250.nr_uarts=1";

function isIPv4(s: string): boolean {
  const parts = s.split(".");
  return parts.length === 4 && parts.every((p) => /^(0|[1-9][0-9]{0,2})$/.test(p) && Number(p) <= 255);
}

function checkCount(name: string, v: number | undefined, max: number): number {
  if (v === undefined) return 0;
  if (!Number.isInteger(v) || v < 0 || v > max) throw new Error(`guest ${name} must be an integer in 0..${max}, got ${String(v)}`);
  return v;
}

/**
 * The kernel command line for a guest. Every value is validated to a charset that needs no
 * quoting, since the kernel's command line has no general escaping.
 */
export function guestCmdline(cfg: GuestConfig): string {
  const m = /^([^/]+)\/([0-9]{1,2})$/.exec(cfg.ip ?? "");
  if (!m || !isIPv4(m[1]!) || Number(m[2]) < 1 || Number(m[2]) > 32) {
    throw new Error(`guest ip must be IPv4 with a prefix length, e.g. 10.99.0.11/24; got ${JSON.stringify(cfg.ip)}`);
  }
  if (cfg.gw !== undefined && !isIPv4(cfg.gw)) {
    throw new Error(`guest gw must be a plain IPv4 address; got ${JSON.stringify(cfg.gw)}`);
  }
  if (typeof cfg.hostname !== "string" || !/^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/.test(cfg.hostname)) {
    throw new Error(`guest hostname must be 1-63 letters, digits or inner hyphens; got ${JSON.stringify(cfg.hostname)}`);
  }
  const fill = checkCount("fillMb", cfg.fillMb, MAX_FILL_MB);
  const dirty = checkCount("dirtyMbps", cfg.dirtyMbps, MAX_DIRTY_MBPS);
  if (dirty > 0 && fill === 0) throw new Error("guest dirtyMbps needs fillMb > 0 (there is no memory to dirty)");

  const parts = [BASE_CMDLINE, `ferry.ip=${cfg.ip}`];
  if (cfg.gw !== undefined) parts.push(`ferry.gw=${cfg.gw}`);
  parts.push(`ferry.hostname=${cfg.hostname}`, `ferry.fill_mb=${fill}`, `ferry.dirty_mbps=${dirty}`);
  return parts.join(" ");
}

/** What GET / on a guest returns. */
export interface GuestStatus {
  hostname: string;
  boot_id: string;
  requests: number;
  uptime_s: number;
  ip: string;
  fill_mb: number;
  dirty_mbps: number;
  mem_used_kb: number;
  memload_running: boolean;
  memload_rss_kb: number;
}

export interface GuestReady {
  ip: string;
  hostname: string;
  bootId: string;
}

const READY_RE = /^ferry-guest: ready ip=(\S+) hostname=(\S+) boot_id=(\S+)/m;
const ERROR_RE = /^ferry-guest: error: (.*)$/m;

/** Parses the guest's serial console text: its ready line, or null while still booting. */
export function parseGuestConsole(text: string): GuestReady | null {
  const m = READY_RE.exec(text);
  return m ? { ip: m[1]!, hostname: m[2]!, bootId: m[3]! } : null;
}

/**
 * Waits until the serial console log (QEMU's -serial file:PATH) shows the ready line.
 * Fails early if the guest reports an error or `alive()` says QEMU is gone.
 */
export async function waitForGuestReady(
  consoleLog: string,
  opts: { timeoutMs?: number; alive?: () => boolean } = {},
): Promise<GuestReady> {
  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  let text = "";
  while (Date.now() < deadline) {
    text = await readFile(consoleLog, "utf8").catch(() => "");
    const ready = parseGuestConsole(text);
    if (ready) return ready;
    const err = ERROR_RE.exec(text);
    if (err) throw new Error(`guest failed to boot: ${err[1]}`);
    if (opts.alive && !opts.alive()) throw new Error(`QEMU exited before the guest was ready; console:\n${consoleTail(text)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`guest not ready after ${opts.timeoutMs ?? 60_000} ms; console:\n${consoleTail(text)}`);
}

function consoleTail(text: string): string {
  // Drop terminal control sequences the firmware prints, keep the last lines.
  const clean = text.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, "");
  return clean.trim().split("\n").slice(-TAIL_LINES).join("\n");
}
