// Runs virsh against one connection URI with a time limit and turns its failures into typed
// errors. Every call is its own process: a hung daemon costs one killed child, never the server.
// The processes are started by the launcher's helper, not forked from the server (launcher.ts).
import { execLaunched } from "../../runtime/launcher";
import { HypervisorError } from "../driver";

export const DEFAULT_TIMEOUT_MS = 20_000;

export interface VirshOptions {
  timeoutMs?: number;
  /** Opens a read-only connection (enough for queries, refused by nothing that only reads). */
  readonly?: boolean;
  /** For multi-command strings: virsh exits 0 when only an earlier command failed. */
  failOnStderr?: boolean;
}

/** Messages virsh prints when it never reached the daemon. */
const UNREACHABLE = /failed to connect to the hypervisor|unable to connect to server|Cannot recv data|Connection refused|No route to host|End of file while reading data|Failed to connect socket|no connection driver available|cannot connect/i;
const NOT_FOUND = /failed to get domain|Domain not found|no domain with matching/i;

export class VirshFailure extends Error {
  constructor(
    readonly args: readonly string[],
    readonly stderr: string,
    readonly timedOut: boolean,
  ) {
    super(stderr || "virsh failed");
  }
}

export function virshEnv(): NodeJS.ProcessEnv {
  // English, unlocalised output: the parsers read labels.
  return { ...process.env, LC_ALL: "C", LANG: "C" };
}

export function virshArgs(uri: string, args: readonly string[], readonly = false): string[] {
  return [...(readonly ? ["-r"] : []), "-q", "-c", uri, ...args];
}

export function runVirsh(uri: string, args: readonly string[], opts: VirshOptions = {}): Promise<string> {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  return new Promise((resolve, reject) => {
    execLaunched(
      "virsh",
      virshArgs(uri, args, opts.readonly),
      { timeoutMs, killSignal: "SIGKILL", env: virshEnv(), maxBuffer: 32 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (!err && !(opts.failOnStderr && /^error:/m.test(stderr))) return resolve(stdout);
        const timedOut = err?.killed === true;
        const msg = cleanStderr(stderr) || (timedOut ? `no answer within ${Math.round(timeoutMs / 1000)} s` : (err?.message ?? "virsh failed"));
        reject(new VirshFailure(args, msg, timedOut));
      },
    );
  });
}

/** virsh's error lines without the repeated "error: " prefixes and progress noise. */
export function cleanStderr(stderr: string): string {
  return stderr
    .split(/\r?\n|\r/)
    .map((l) => l.replace(/^error:\s*/, "").trim())
    .filter((l) => l && !/^Migration: \[/.test(l))
    .join("; ");
}

export function isUnreachable(err: unknown): boolean {
  return err instanceof VirshFailure && (err.timedOut || UNREACHABLE.test(err.stderr));
}

export function isNotFound(err: unknown): boolean {
  return err instanceof VirshFailure && NOT_FOUND.test(err.stderr);
}

/**
 * Maps a virsh failure: unreachable daemon → BACKEND_UNREACHABLE, missing domain → UNKNOWN_VM
 * (when a domain was named), anything else → the fallback code.
 */
/** `host` names the hypervisor host as the administrator knows it; its URI is kept for the unreachable case. */
export function toHypervisorError(err: unknown, what: string, host: { name: string; uri: string }, fallback: HypervisorError["code"], domain?: string): HypervisorError {
  if (err instanceof HypervisorError) return err;
  if (isUnreachable(err)) {
    return new HypervisorError("BACKEND_UNREACHABLE", `libvirt on ${host.name} did not answer (${what}; ${host.uri})`, (err as VirshFailure).stderr);
  }
  if (domain !== undefined && isNotFound(err)) {
    return new HypervisorError("UNKNOWN_VM", `no VM named "${domain}" on ${host.name}`, (err as VirshFailure).stderr);
  }
  const detail = err instanceof Error ? err.message : String(err);
  return new HypervisorError(fallback, `${what} failed: ${detail}`, detail);
}
