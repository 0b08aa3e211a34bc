import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { execLaunched, launch, LaunchFailure, type LaunchedProcess } from "./launcher";

const run = (cmd: string, args: string[], opts: { timeoutMs?: number; maxBuffer?: number; env?: NodeJS.ProcessEnv } = {}) =>
  new Promise<{ err: LaunchFailure | null; stdout: string; stderr: string }>((resolve) =>
    execLaunched(cmd, args, { timeoutMs: opts.timeoutMs ?? 10_000, maxBuffer: opts.maxBuffer, env: opts.env, killSignal: "SIGKILL" }, (err, stdout, stderr) => resolve({ err, stdout, stderr })),
  );

const exited = (p: LaunchedProcess) => new Promise<[number | null, string | null]>((r) => p.once("exit", (code: number | null, signal: string | null) => r([code, signal])));

/** The launcher's helper processes (children of this process running launcher-child.cjs). */
const helpers = () =>
  spawnSync("pgrep", ["-P", String(process.pid), "-f", "launcher-child.cjs"], { encoding: "utf8" })
    .stdout.split("\n")
    .filter(Boolean)
    .map(Number);

describe("process launcher", () => {
  it("runs a command with its arguments and environment, and returns stdout and stderr apart", async () => {
    const r = await run("/bin/sh", ["-c", 'printf "%s|%s" "$1" "$FERRY_T"; echo oops >&2', "sh", "a b"], { env: { ...process.env, FERRY_T: "x=1" } });
    expect(r.err).toBeNull();
    expect(r.stdout).toBe("a b|x=1");
    expect(r.stderr).toBe("oops\n");
  });

  it("starts commands in a helper, not in this process", async () => {
    const r = await run("/bin/sh", ["-c", "echo $PPID"]);
    const ppid = Number(r.stdout.trim());
    expect(ppid).not.toBe(process.pid);
    expect(helpers()).toContain(ppid);
  });

  it("reports a non-zero exit with its code and output, and a command that does not exist", async () => {
    const bad = await run("/bin/sh", ["-c", "echo partial; echo why >&2; exit 3"]);
    expect(bad.err).toBeInstanceOf(LaunchFailure);
    expect(bad.err).toMatchObject({ code: 3, killed: false });
    expect([bad.stdout, bad.stderr]).toEqual(["partial\n", "why\n"]);
    const missing = await run("/nonexistent/ferry-cmd", []);
    expect(missing.err?.message).toMatch(/ENOENT/);
    expect(missing.err?.code).toBeNull();
  });

  it("kills a command that runs past its time limit", async () => {
    const t = Date.now();
    const r = await run("/bin/sleep", ["30"], { timeoutMs: 300 });
    expect(r.err).toMatchObject({ killed: true, signal: "SIGKILL" });
    expect(Date.now() - t).toBeLessThan(10_000);
  });

  it("stops a command whose output passes maxBuffer", async () => {
    const r = await run("/bin/sh", ["-c", "head -c 300000 /dev/zero"], { maxBuffer: 100_000 });
    expect(r.err?.message).toMatch(/more than 100000 bytes/);
    expect(r.err?.killed).toBe(false);
  });

  it("streams a long-running command's output as it comes, with the time it was read, and kills it on request", async () => {
    const p = launch("/bin/sh", ["-c", "echo one; sleep 0.3; echo two; exec sleep 30"], { stdout: true });
    const lines: [string, number][] = [];
    p.on("stdout", (b: Buffer, at: number) => lines.push([b.toString(), at]));
    const before = Date.now();
    while (lines.map((l) => l[0]).join("") !== "one\ntwo\n" && Date.now() - before < 10_000) await new Promise((r) => setTimeout(r, 20));
    expect(lines.map((l) => l[0]).join("")).toBe("one\ntwo\n");
    expect(lines.at(-1)![1] - lines[0]![1]).toBeGreaterThanOrEqual(250);
    const exit = exited(p);
    p.kill("SIGKILL");
    expect(await exit).toEqual([null, "SIGKILL"]);
    expect(p.exited).toBe(true);
  });

  it("runs many commands at once, each with its own result", async () => {
    const rs = await Promise.all(Array.from({ length: 20 }, (_, i) => run("/bin/sh", ["-c", `echo ${i}`])));
    expect(rs.map((r) => r.stdout.trim())).toEqual(Array.from({ length: 20 }, (_, i) => String(i)));
  });

  it("reports an error and an exit for what ran through a helper that died, and starts a new one", async () => {
    // Short: it outlives the helper killed below, as a command outlives a crashed server.
    const p = launch("/bin/sleep", ["3"]);
    const errors: string[] = [];
    p.on("error", (e: Error) => errors.push(e.message));
    const exit = exited(p);
    await new Promise((r) => setTimeout(r, 200));
    const [helper] = helpers();
    expect(helper).toBeGreaterThan(0);
    process.kill(helper!, "SIGKILL");
    expect(await exit).toEqual([null, null]);
    expect(errors.join()).toMatch(/launcher exited/);
    const again = await run("/bin/echo", ["back"]);
    expect(again.stdout).toBe("back\n");
    expect(helpers()).not.toContain(helper);
  });

  it("does not keep a finished program alive: the idle helper lets it exit", () => {
    // A CLI that ran one command must end by itself; a ref'd helper would hold it until killed.
    const script = `import { execLaunched } from ${JSON.stringify(new URL("./launcher.ts", import.meta.url).pathname)};
execLaunched("/bin/echo", ["done"], { timeoutMs: 5000 }, (err, out) => process.stdout.write(err ? "failed" : out));`;
    const r = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { encoding: "utf8", timeout: 20_000 });
    expect(r.error).toBeUndefined();
    expect(r.stdout).toBe("done\n");
    expect(r.status).toBe(0);
  });
});
