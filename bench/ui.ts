// The dashboard's two latency figures, measured in Debian's Chromium against the built server:
//   first_progress_ms    — from the click on "Confirm migration" to the migration view first showing
//                          the migration's live state (a phase active or done), median of the runs;
//   render_10k_flows_ms  — from navigation start to a switch page showing its 10,000-flow table
//                          (rows in the DOM, count shown), median of the runs.
// The flows are real: a private Open vSwitch bridge (its own namespace) connects to the server's
// controller over its UNIX socket and gets 10,000 flows from `ovs-ofctl add-flows`. The migrations
// are real: the server runs its own lab (namespace prefix ferry-bui-, or --ns-prefix). Everything is
// stopped at the end.
//
//   npm run build && npx tsx bench/ui.ts [--quick] [--runs 3] [--flows 10000] [--ns-prefix ferry-bui-] [--shots DIR]
// Last line: {"bench":"ui","first_progress_ms":A,"render_10k_flows_ms":B}
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, type Browser, type Page } from "@playwright/test";
import { ovsUnavailableReason, startOvs, type OvsInstance } from "../controller/ovsdb/testing/ovs-instance";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
/** `--ns-prefix P`: the lab's namespaces are P…, the private OVS's namespace is Povs (as FERRY_LAB_NS_PREFIX allows). */
function nsPrefix(): string {
  const i = process.argv.indexOf("--ns-prefix");
  const p = i < 0 ? "ferry-bui-" : (process.argv[i + 1] ?? "");
  if (!/^[a-z][a-z0-9-]{0,17}$/.test(p)) throw new Error(`--ns-prefix needs lowercase letters, digits and dashes (at most 18), got "${p}"`);
  return p;
}
const NS_PREFIX = nsPrefix();
/** The build the server serves, as next.config.ts reads it. */
const DIST_DIR = process.env.FERRY_NEXT_DIST_DIR || ".next";
const DPID = "00000000bec40001";
const SERVER_START_LIMIT_MS = 300_000;
const MIGRATION_LIMIT_MS = 120_000;
const GOALS = { first_progress_ms: 250, render_10k_flows_ms: 1000 };

/** `--shots DIR`: also save a screenshot of the 10,000-flow page and of each migration view there. */
function shotsDir(): string | null {
  const i = process.argv.indexOf("--shots");
  if (i < 0) return null;
  const dir = process.argv[i + 1];
  if (!dir) throw new Error("--shots needs a directory");
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const v = Number(process.argv[i + 1]);
  if (!Number.isInteger(v) || v < 1) throw new Error(`--${name} needs a positive integer, got "${process.argv[i + 1]}"`);
  return v;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

interface Server {
  child: ChildProcess;
  url: string;
  password: string;
  dataDir: string;
  log: () => string;
}

/** The built server with its lab, started as e2e/global-setup.ts does. */
async function startServer(): Promise<Server> {
  if (!fs.existsSync(path.join(ROOT, DIST_DIR, "BUILD_ID"))) throw new Error(`no production build in ${DIST_DIR}: run \`npm run build\` first (with the same FERRY_NEXT_DIST_DIR)`);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), NS_PREFIX));
  const child = spawn(process.execPath, ["--import", "tsx", "--import", "./server/runtime/server-only-hook.mjs", "server/main.ts"], {
    cwd: ROOT,
    env: {
      ...process.env,
      NODE_ENV: "production",
      NEXT_TELEMETRY_DISABLED: "1",
      FERRY_PORT: "0",
      FERRY_HOST: "127.0.0.1",
      FERRY_DATA_DIR: dataDir,
      FERRY_ADMIN_PASSWORD: "",
      FERRY_OF_TCP: "127.0.0.1:0",
      FERRY_LAB: "1",
      FERRY_LAB_NS_PREFIX: NS_PREFIX,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let log = "";
  child.stdout!.on("data", (d) => (log += d));
  child.stderr!.on("data", (d) => (log += d));
  const server = { child, dataDir, url: "", password: "", log: () => log };
  const up = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start in ${SERVER_START_LIMIT_MS / 1000} s:\n${log.slice(-4000)}`)), SERVER_START_LIMIT_MS);
    const check = () => {
      const url = /Ferry is listening on (http:\/\/\S+)/.exec(log)?.[1];
      // The first admin's password is kept in the data directory, written before the server listens.
      const password = url ? readPassword(dataDir) : undefined;
      if (url && password) {
        clearTimeout(timer);
        server.url = url;
        server.password = password;
        resolve();
      }
    };
    child.stdout!.on("data", check);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}:\n${log.slice(-4000)}`));
    });
  });
  // A server that fails to start still takes its half-built lab down.
  await up.catch(async (err: unknown) => {
    await stopServer(server);
    throw err;
  });
  return server;
}

function readPassword(dataDir: string): string | undefined {
  try {
    return fs.readFileSync(path.join(dataDir, "initial-admin-password"), "utf8").trim() || undefined;
  } catch {
    return undefined;
  }
}

async function stopServer(s: Server): Promise<void> {
  if (s.child.exitCode === null) {
    const exited = new Promise((r) => s.child.once("exit", r));
    s.child.kill("SIGTERM");
    const t = setTimeout(() => s.child.kill("SIGKILL"), 40_000);
    await exited;
    clearTimeout(t);
  }
  fs.rmSync(s.dataDir, { recursive: true, force: true });
}

async function signIn(page: Page, s: Server) {
  await page.goto(`${s.url}/login`);
  await page.getByLabel("Username").fill("admin");
  await page.getByLabel("Password").fill(s.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("heading", { name: "Overview" }).waitFor();
}

/** A bridge in the private OVS, connected to the server's controller, holding `count` flows added by ovs-ofctl. */
async function fillBridge(ovs: OvsInstance, s: Server, page: Page, count: number): Promise<void> {
  // ovs-vswitchd connects only to UNIX-socket controllers inside its run directory; any other path
  // is dropped with "Not adding Unix domain socket controller …" in its log, and the bridge never
  // connects. So the server's socket is linked in there, as the lab does for its hosts.
  const sock = path.join(ovs.dir, "controller.sock");
  fs.symlinkSync(path.join(s.dataDir, "openflow.sock"), sock);
  await ovs.vsctl(["add-br", "br-bench", "--", "set", "bridge", "br-bench", "datapath_type=netdev", "fail_mode=secure", "protocols=OpenFlow13", `other-config:datapath-id=${DPID}`, "--", "set-controller", "br-bench", `unix:${sock}`]);
  // Connect first: an empty bridge's handshake is quick, and the flows then reach the mirror by polling.
  await waitForSwitch(page, 120_000);
  const lines: string[] = [];
  for (let i = 0; i < count; i++) {
    const mac = `02:bc:${((i >> 16) & 0xff).toString(16).padStart(2, "0")}:${((i >> 8) & 0xff).toString(16).padStart(2, "0")}:${(i & 0xff).toString(16).padStart(2, "0")}:01`;
    lines.push(`cookie=0x${(0xbc0000 + i).toString(16)},priority=${100 + (i % 50)},dl_src=${mac},dl_dst=02:bc:00:00:00:ff,actions=drop`);
  }
  const file = path.join(ovs.dir, "flows.txt");
  fs.writeFileSync(file, lines.join("\n") + "\n");
  // 10,000 flow-mods take longer than the instance helper's 20 s bound on a loaded machine.
  execFileSync("ip", ["netns", "exec", ovs.netns!, "ovs-ofctl", "-O", "OpenFlow13", "add-flows", `unix:${path.join(ovs.dir, "br-bench.mgmt")}`, file], { timeout: 180_000, stdio: ["ignore", "ignore", "pipe"] });
}

/** Polls switches.list until the bench's bridge is there (connected and past the controller's handshake). */
async function waitForSwitch(page: Page, limitMs: number): Promise<void> {
  const deadline = Date.now() + limitMs;
  for (;;) {
    const listed = await page.evaluate(async (dpid) => {
      const res = await fetch("/api/trpc/switches.list");
      return res.ok && ((await res.json()).result.data.json.switches as { dpid: string }[]).some((x) => x.dpid === dpid);
    }, DPID);
    if (listed) return;
    if (Date.now() > deadline) throw new Error(`switch ${DPID} did not connect to the server's controller within ${limitMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** Asks the server to re-read the bridge's flow table until its mirror holds every flow. */
async function waitForMirror(page: Page, count: number) {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const { n, problem } = await page.evaluate(async (dpid) => {
      const input = encodeURIComponent(JSON.stringify({ json: { dpid, refresh: true } }));
      const res = await fetch(`/api/trpc/switches.get?input=${input}`);
      if (!res.ok) return { n: -1, problem: `HTTP ${res.status}: ${(await res.text()).slice(0, 300)}` };
      return { n: ((await res.json()).result.data.json.flows as unknown[]).length, problem: "" };
    }, DPID);
    if (n >= count) return n;
    if (Date.now() > deadline) throw new Error(`the controller's mirror holds ${n} of ${count} flows after 120 s ${problem}`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

/** When the page asked for the switch's data and when the answer had arrived (ms from navigation start), and its size. */
async function switchFetch(page: Page): Promise<{ requestedMs: number; answeredMs: number; mb: number } | null> {
  return page.evaluate(() => {
    const e = (performance.getEntriesByType("resource") as PerformanceResourceTiming[]).find((r) => r.name.includes("switches.get"));
    return e ? { requestedMs: e.startTime, answeredMs: e.responseEnd, mb: e.decodedBodySize / 1e6 } : null;
  });
}

async function renderRun(page: Page, s: Server, count: number): Promise<number> {
  await page.goto("about:blank");
  await page.goto(`${s.url}/switches/${DPID}`, { waitUntil: "commit" });
  // performance.now() counts from this navigation's start.
  return page.waitForFunction(
    (n) => {
      const shown = document.querySelector('[data-testid="flow-count"]')?.getAttribute("data-count");
      const rows = document.querySelectorAll('[data-testid="flow-table"] tbody tr[data-index]').length;
      return shown === String(n) && rows > 0 ? performance.now() : false;
    },
    count,
    { polling: "raf", timeout: 60_000 },
  ).then((h) => h.jsonValue() as Promise<number>);
}

/** Scrolls the virtualised table from top to bottom in 40 steps, one per frame; returns the longest frame. */
async function scrollRun(page: Page): Promise<number> {
  return page.evaluate(
    () =>
      new Promise<number>((resolve) => {
        const el = document.querySelector('[data-testid="flow-scroller"]') as HTMLElement;
        let step = 0;
        let last = performance.now();
        let worst = 0;
        const tick = (t: number) => {
          worst = Math.max(worst, t - last);
          last = t;
          el.scrollTop = (el.scrollHeight * ++step) / 40;
          if (step < 40) requestAnimationFrame(tick);
          else resolve(worst);
        };
        requestAnimationFrame((t) => {
          last = t;
          requestAnimationFrame(tick);
        });
      }),
  );
}

/** One migration of vm1 from the Instances page; returns ms from the confirm click to the first live state shown. */
async function migrationRun(page: Page, s: Server, dialogShot?: string): Promise<{ firstMs: number; precopyMs: number | null; startMs: number; navigatedMs: number; fetches: string[] }> {
  await page.goto(`${s.url}/instances`);
  const row = page.getByTestId("vm-table").getByRole("row").filter({ hasText: "vm1" });
  await row.getByRole("button", { name: "Live migrate" }).waitFor();
  // Wait until vm1 is running (not still settling from the previous run).
  await row.getByText("running", { exact: true }).waitFor({ timeout: MIGRATION_LIMIT_MS });
  await row.getByRole("button", { name: "Live migrate" }).click();
  const dialog = page.getByRole("dialog", { name: "Live migrate vm1" });
  const confirm = dialog.getByRole("button", { name: "Confirm migration" });
  await dialog.getByTestId("prechecks").getByText(/is up/).first().waitFor();
  await page.waitForFunction(() => {
    const b = [...document.querySelectorAll("dialog button")].find((x) => x.textContent?.includes("Confirm migration")) as HTMLButtonElement | undefined;
    return !!b && !b.disabled;
  });
  if (dialogShot) await page.screenshot({ path: dialogShot });
  // The click's time as the page saw it (kept across the navigation that follows).
  await page.evaluate(() => {
    sessionStorage.removeItem("bench-confirm-at");
    document.addEventListener("click", () => (sessionStorage.setItem("bench-confirm-at", String(Date.now())), sessionStorage.setItem("bench-confirm-perf", String(performance.now()))), { capture: true, once: true });
  });
  const started = page.waitForResponse((r) => r.url().includes("migrations.start"), { timeout: 30_000 }).then(() => Date.now());
  await confirm.click();
  // The view may show before its URL does (the page that started the migration shows it while the
  // navigation is on its way): watched from the click, wherever it shows.
  const shown = page.waitForFunction(
    () => (document.querySelector('[data-testid="phase-timeline"] [data-status="active"], [data-testid="phase-timeline"] [data-status="done"]') ? Date.now() : false),
    undefined,
    { polling: "raf", timeout: 30_000 },
  );
  await page.waitForURL(/\/migrations\/[0-9a-f-]{36}$/, { timeout: 30_000, waitUntil: "commit" });
  const navigatedAt = Date.now();
  const first = await shown;
  const t0 = Number(await page.evaluate(() => sessionStorage.getItem("bench-confirm-at")));
  if (!t0) throw new Error("the confirm click was not seen by the page");
  const firstMs = ((await first.jsonValue()) as number) - t0;
  const startMs = (await started) - t0;
  // What the page fetched after the click (ms from the click), while it was still the same document.
  const fetches = await page.evaluate(() => {
    const at = Number(sessionStorage.getItem("bench-confirm-perf"));
    return (performance.getEntriesByType("resource") as PerformanceResourceTiming[])
      .filter((e) => e.startTime >= at)
      .map((e) => `${new URL(e.name).pathname.replace(/^.*\/(?=[^/]+$)/, "").slice(0, 40)} ${Math.round(e.startTime - at)}–${Math.round(e.responseEnd - at)}`);
  });
  const navigatedMs = navigatedAt - t0;
  const precopy = await page
    .waitForFunction(() => (Number(document.querySelector('[role="progressbar"]')?.getAttribute("aria-valuenow") ?? 0) > 0 ? Date.now() : false), undefined, { polling: "raf", timeout: MIGRATION_LIMIT_MS })
    .then(async (h) => ((await h.jsonValue()) as number) - t0)
    .catch(() => null);
  await page.getByTestId("migration-status").getByText(/completed|failed|cancelled/).waitFor({ timeout: MIGRATION_LIMIT_MS });
  const status = await page.getByTestId("migration-status").innerText();
  if (!/completed/.test(status)) throw new Error(`migration ended: ${status}`);
  return { firstMs, precopyMs: precopy, startMs, navigatedMs, fetches };
}

async function main() {
  // --quick: one render and one migration.
  const runs = arg("runs", process.argv.includes("--quick") ? 1 : 3);
  const shots = shotsDir();
  const flows = arg("flows", 10_000);
  const why = ovsUnavailableReason();
  if (why) throw new Error(`cannot start a private Open vSwitch: ${why}`);

  let server: Server | null = null;
  let ovs: OvsInstance | null = null;
  let browser: Browser | null = null;
  const cleanup = async () => {
    await browser?.close().catch(() => {});
    await ovs?.stop().catch((e: Error) => console.error(`ovs stop: ${e.message}`));
    if (server) await stopServer(server).catch((e: Error) => console.error(`server stop: ${e.message}`));
    browser = null;
    ovs = null;
    server = null;
  };
  const onSignal = () => void cleanup().finally(() => process.exit(130));
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    console.log("starting the built server with its lab …");
    server = await startServer();
    browser = await chromium.launch({
      executablePath: process.env.FERRY_CHROMIUM ?? "/usr/bin/chromium",
      args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    });
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    // tsx compiles this file keeping function names (`__name(fn, "tick")`); functions passed to
    // page.evaluate carry those calls into the page, which has no such helper.
    await context.addInitScript({ content: "globalThis.__name = (fn) => fn;" });
    const page = await context.newPage();
    await signIn(page, server);

    console.log(`connecting a private OVS bridge (dpid ${DPID}) with ${flows} flows …`);
    ovs = await startOvs({ withVswitchd: true, netns: `${NS_PREFIX}ovs` });
    await fillBridge(ovs, server, page, flows);
    // The bench's flows plus the controller's own table-miss flow: the page shows them all.
    const mirrored = await waitForMirror(page, flows);
    console.log(`controller mirror holds ${mirrored} flows`);
    const render: number[] = [];
    const scroll: number[] = [];
    for (let i = 0; i < runs; i++) {
      render.push(await renderRun(page, server, mirrored));
      const fetched = await switchFetch(page);
      scroll.push(await scrollRun(page));
      if (shots && i === 0) await page.screenshot({ path: path.join(shots, "ui-switch-10k-flows.png") });
      console.log(`render run ${i + 1}: ${render.at(-1)!.toFixed(0)} ms to a ${mirrored}-flow table (its data asked for at ${fetched?.requestedMs.toFixed(0) ?? "?"} ms, in by ${fetched?.answeredMs.toFixed(0) ?? "?"} ms, ${fetched?.mb.toFixed(1) ?? "?"} MB); longest frame while scrolling it: ${scroll.at(-1)!.toFixed(0)} ms`);
    }

    const first: number[] = [];
    for (let i = 0; i < runs; i++) {
      const r = await migrationRun(page, server, shots && i === 0 ? path.join(shots, "ui-migrate-dialog.png") : undefined);
      if (shots) await page.screenshot({ path: path.join(shots, `ui-migration-${i + 1}.png`), fullPage: true });
      first.push(r.firstMs);
      console.log(`migration run ${i + 1}: first progress shown ${r.firstMs} ms after confirm (start answered at ${r.startMs} ms, migration page from ${r.navigatedMs} ms); first pre-copy figure ${r.precopyMs ?? "—"} ms; fetched after the click (ms): ${r.fetches.join(", ") || "— (new document)"}`);
    }

    const result = { bench: "ui", first_progress_ms: Math.round(median(first)), render_10k_flows_ms: Math.round(median(render)) };
    console.log(`goals: first_progress_ms ≤ ${GOALS.first_progress_ms} (${result.first_progress_ms <= GOALS.first_progress_ms ? "met" : "not met"}), render_10k_flows_ms ≤ ${GOALS.render_10k_flows_ms} (${result.render_10k_flows_ms <= GOALS.render_10k_flows_ms ? "met" : "not met"})`);
    await cleanup();
    console.log(JSON.stringify(result));
  } catch (err) {
    // What the controller said about the switches (connects, disconnects and their reasons).
    if (server) console.error(`server log, OpenFlow lines:\n${server.log().split("\n").filter((l) => /openflow|switch/i.test(l)).slice(-40).join("\n")}`);
    const vswitchdLog = ovs ? path.join(ovs.dir, "ovs-vswitchd.log") : "";
    if (vswitchdLog && fs.existsSync(vswitchdLog)) console.error(`ovs-vswitchd log, controller lines:\n${fs.readFileSync(vswitchdLog, "utf8").split("\n").filter((l) => /rconn|connmgr|vconn|bridge|ERR|WARN/.test(l)).slice(-30).join("\n")}`);
    await cleanup();
    throw err;
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
