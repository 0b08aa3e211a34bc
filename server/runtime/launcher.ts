// Starts commands through one small helper process (launcher-child.cjs) instead of forking the
// server. Node forks the whole calling process for every child: at the server's ~340 MB resident
// that held its event loop (the OpenFlow controller's too) for ~14 ms per `virsh`, against ~1 ms
// from a 45 MB process, and a libvirt migration runs about ten of them. The helper is started on
// first use, kept only while something runs through it (it never holds the process open when
// idle), and started again if it dies; what was running through a dead helper reports an error.
import { spawn, type ChildProcess } from "node:child_process";
import { EventEmitter } from "node:events";
import path from "node:path";
import { createInterface } from "node:readline";

const CHILD = path.join(import.meta.dirname, "launcher-child.cjs");

export interface LaunchOptions {
  env?: NodeJS.ProcessEnv;
  /** Deliver the command's stdout / stderr ("stdout" / "stderr" events); otherwise discarded. */
  stdout?: boolean;
  stderr?: boolean;
}

/**
 * A command started through the helper. Events: "stdout" and "stderr" (Buffer, epoch ms the helper
 * read it), "error" (Error: it could not start, or the helper died; emitted only when listened
 * to), and "exit" (code, signal, epoch ms), always last and exactly once.
 */
export class LaunchedProcess extends EventEmitter {
  exited = false;

  constructor(
    readonly id: number,
    private readonly host: Launcher,
  ) {
    super();
  }

  kill(signal: NodeJS.Signals = "SIGTERM"): void {
    if (!this.exited) this.host.kill(this.id, signal);
  }
}

interface Message {
  id: number;
  ev: "out" | "err" | "error" | "exit";
  data?: string;
  at?: number;
  message?: string;
  code?: number | null;
  signal?: string | null;
}

class Launcher {
  private child: ChildProcess | null = null;
  private nextId = 1;
  private readonly live = new Map<number, LaunchedProcess>();

  launch(cmd: string, args: readonly string[], opts: LaunchOptions): LaunchedProcess {
    const child = this.helper();
    const p = new LaunchedProcess(this.nextId++, this);
    this.live.set(p.id, p);
    this.hold();
    child.stdin!.write(JSON.stringify({ op: "spawn", id: p.id, cmd, args, env: opts.env ?? process.env, out: !!opts.stdout, err: !!opts.stderr }) + "\n");
    return p;
  }

  kill(id: number, signal: NodeJS.Signals): void {
    this.child?.stdin?.write(JSON.stringify({ op: "kill", id, signal }) + "\n");
  }

  private helper(): ChildProcess {
    if (this.child) return this.child;
    const child = spawn(process.execPath, [CHILD], { stdio: ["pipe", "pipe", "inherit"] });
    this.child = child;
    createInterface({ input: child.stdout!, crlfDelay: Infinity }).on("line", (line) => this.receive(line));
    child.stdin!.on("error", () => {});
    child.on("error", () => this.lost(child, "the process launcher could not start"));
    child.on("exit", (code, signal) => this.lost(child, `the process launcher exited (${signal ?? code})`));
    return child;
  }

  private receive(line: string): void {
    let m: Message;
    try {
      m = JSON.parse(line) as Message;
    } catch {
      return;
    }
    const p = this.live.get(m.id);
    if (!p) return;
    if (m.ev === "out" || m.ev === "err") p.emit(m.ev === "out" ? "stdout" : "stderr", Buffer.from(m.data ?? "", "base64"), m.at ?? Date.now());
    else if (m.ev === "error") this.fail(p, m.message ?? "launch failed");
    else if (m.ev === "exit") this.settle(p, m.code ?? null, m.signal ?? null, m.at ?? Date.now());
  }

  private settle(p: LaunchedProcess, code: number | null, signal: string | null, at: number): void {
    if (p.exited) return;
    p.exited = true;
    this.live.delete(p.id);
    this.hold();
    p.emit("exit", code, signal, at);
  }

  private lost(child: ChildProcess, why: string): void {
    if (this.child !== child) return;
    this.child = null;
    for (const p of [...this.live.values()]) {
      this.fail(p, why);
      this.settle(p, null, null, Date.now());
    }
  }

  /** "error" only to a listener: an EventEmitter's unheard "error" would throw here. */
  private fail(p: LaunchedProcess, why: string): void {
    if (p.listenerCount("error") > 0) p.emit("error", new Error(why));
  }

  /** The helper keeps this process alive only while a command runs through it. */
  private hold(): void {
    const c = this.child;
    if (!c) return;
    const busy = this.live.size > 0;
    for (const h of [c, c.stdin, c.stdout] as ({ ref(): unknown; unref(): unknown } | null)[]) {
      if (!h) continue;
      if (busy) h.ref();
      else h.unref();
    }
  }
}

const launcher = new Launcher();

/** Starts `cmd args` through the helper (see the file's comment). */
export function launch(cmd: string, args: readonly string[], opts: LaunchOptions = {}): LaunchedProcess {
  return launcher.launch(cmd, args, opts);
}

export class LaunchFailure extends Error {
  constructor(
    message: string,
    readonly code: number | null,
    readonly signal: string | null,
    /** Killed after timeoutMs. */
    readonly killed: boolean,
  ) {
    super(message);
  }
}

/**
 * Runs a command to its end and returns its output, like execFile: rejects with a LaunchFailure
 * (the output is still passed to `done`) when it exits non-zero, cannot start, or runs past
 * timeoutMs (then it is sent killSignal).
 */
export function execLaunched(
  cmd: string,
  args: readonly string[],
  opts: { timeoutMs: number; env?: NodeJS.ProcessEnv; maxBuffer?: number; killSignal?: NodeJS.Signals },
  done: (err: LaunchFailure | null, stdout: string, stderr: string) => void,
): void {
  const p = launch(cmd, args, { env: opts.env, stdout: true, stderr: true });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  let size = 0;
  let killed = false;
  let overflow = false;
  let startError: string | null = null;
  const max = opts.maxBuffer ?? 1024 * 1024;
  const killSignal = opts.killSignal ?? "SIGTERM";
  const timer = setTimeout(() => {
    killed = true;
    p.kill(killSignal);
  }, opts.timeoutMs);
  const take = (into: Buffer[]) => (b: Buffer) => {
    if (overflow) return;
    size += b.length;
    if (size > max) {
      overflow = true;
      return p.kill(killSignal);
    }
    into.push(b);
  };
  p.on("stdout", take(out));
  p.on("stderr", take(err));
  p.on("error", (e: Error) => (startError = e.message));
  p.on("exit", (code: number | null, signal: string | null) => {
    clearTimeout(timer);
    const stdout = Buffer.concat(out).toString();
    const stderr = Buffer.concat(err).toString();
    if (code === 0 && !killed && !overflow) return done(null, stdout, stderr);
    const what = startError ?? (overflow ? `${cmd} wrote more than ${max} bytes` : killed ? `${cmd} killed after ${opts.timeoutMs} ms` : `${cmd} exited with ${signal ?? code}`);
    done(new LaunchFailure(what, code, signal, killed), stdout, stderr);
  });
}
