// Integration: what a Ferry server exposes on the network. A server process is started with its
// HTTP, OpenFlow TCP and OpenFlow TLS listeners on three distinct loopback addresses, and every
// listening socket that process owns (as `ss` sees it) must be exactly those, plus the OpenFlow
// UNIX socket. The lab's OVSDB servers, started in a namespace of the test's own, listen on a
// UNIX socket and on no TCP port.
import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ovsUnavailableReason } from "../../controller/ovsdb/testing/ovs-instance";
import { startOvs } from "../lab/ovs-daemons";
import { spawnFerry, type FerryProcess } from "../testing/ferry-process";

function sh(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile(cmd, args, { timeout: 30_000 }, (err, stdout, stderr) => (err ? reject(new Error(`${cmd} ${args.join(" ")}: ${stderr || err.message}`)) : resolve(stdout))),
  );
}

/** Local addresses of the listening sockets `ss` reports for one process (tcp: "ip:port", unix: path). */
async function listenersOf(pid: number, kind: "tcp" | "unix"): Promise<string[]> {
  const out = await sh("ss", [kind === "tcp" ? "-ltnpH" : "-lxpH"]);
  return out
    .split("\n")
    .filter((line) => line.includes(`pid=${pid},`))
    .map((line) => {
      const cols = line.trim().split(/\s+/);
      // tcp: State Recv-Q Send-Q Local Peer …; unix adds Netid first.
      return kind === "tcp" ? cols[3]! : cols[4]!;
    })
    .sort();
}

describe("the server's listening sockets", () => {
  let dir: string;
  let ferry: FerryProcess;
  let url: string;
  let openflow: string[];

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "ferry-listen-"));
    await sh("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1", "-subj", "/CN=ferry-test", "-keyout", path.join(dir, "key.pem"), "-out", path.join(dir, "cert.pem")]);
    ferry = spawnFerry({
      FERRY_PORT: "0",
      FERRY_HOST: "127.0.0.2",
      FERRY_DATA_DIR: dir,
      FERRY_OF_TCP: "127.0.0.3:0",
      FERRY_OF_UNIX: path.join(dir, "of.sock"),
      FERRY_OF_TLS: "127.0.0.4:0",
      FERRY_OF_TLS_KEY: path.join(dir, "key.pem"),
      FERRY_OF_TLS_CERT: path.join(dir, "cert.pem"),
    });
    ({ url, openflow } = await ferry.ready);
  }, 120_000);
  afterAll(async () => {
    await ferry?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("binds HTTP to FERRY_HOST, OpenFlow to FERRY_OF_TCP and FERRY_OF_TLS, and nothing else on TCP", async () => {
    const http = new URL(url);
    expect(http.hostname).toBe("127.0.0.2");
    const tcp = openflow.find((t) => t.startsWith("tcp:"))!.slice(4);
    const tls = openflow.find((t) => t.startsWith("ssl:"))!.slice(4);
    expect(tcp).toMatch(/^127\.0\.0\.3:\d+$/);
    expect(tls).toMatch(/^127\.0\.0\.4:\d+$/);
    expect(await listenersOf(ferry.pid, "tcp")).toEqual([http.host, tcp, tls].sort());
    // And it answers there.
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
  });

  it("listens on no UNIX socket but the OpenFlow one from FERRY_OF_UNIX", async () => {
    expect(await listenersOf(ferry.pid, "unix")).toEqual([path.join(dir, "of.sock")]);
  });
});

const unavailable = ovsUnavailableReason();

describe.skipIf(unavailable)("a lab host's OVSDB server", () => {
  const ns = `ferry-lsn${process.pid % 100000}`;
  let dir: string;
  let pids: number[] = [];

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "ferry-lsn-"));
    await sh("ip", ["netns", "add", ns]);
    pids = (await startOvs(ns, dir)).map((p) => p.pid);
  }, 60_000);
  afterAll(async () => {
    for (const pid of pids) {
      try {
        process.kill(pid, "SIGTERM");
      } catch {
        // Already gone.
      }
    }
    for (let i = 0; i < 50 && pids.some(alive); i++) await new Promise((r) => setTimeout(r, 100));
    for (const pid of pids.filter(alive)) process.kill(pid, "SIGKILL");
    await sh("ip", ["netns", "del", ns]).catch(() => {});
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("listens on its UNIX socket only: no TCP port in the host's namespace", async () => {
    expect(await sh("ip", ["netns", "exec", ns, "ss", "-ltnH"])).toBe("");
    const unix = await sh("ip", ["netns", "exec", ns, "ss", "-lxH"]);
    expect(unix).toContain(path.join(dir, "ovs", "db.sock"));
  });
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
