// The process launcher's helper (see launcher.ts): a small Node process that starts commands on
// the server's behalf. Forking the server itself costs ~14 ms of its event loop per command at
// ~340 MB resident (the page tables are copied); forking this process costs almost nothing, and
// the server only writes a line. Protocol, one JSON object per line:
//   in:  {"op":"spawn","id":N,"cmd":…,"args":[…],"env":{…},"out":bool,"err":bool}
//        {"op":"kill","id":N,"signal":"SIGKILL"}
//   out: {"id":N,"ev":"out"|"err","data":base64,"at":epochMs}
//        {"id":N,"ev":"error","message":…}
//        {"id":N,"ev":"exit","code":…,"signal":…,"at":epochMs}   (always the last for an id)
// It exits when its stdin closes (the server went away); commands it started run on, as they
// would have had the server started them itself.
"use strict";
const { spawn } = require("node:child_process");
const { createInterface } = require("node:readline");

const procs = new Map();
const send = (m) => process.stdout.write(JSON.stringify(m) + "\n");

function start(m) {
  let done = false;
  const exit = (code, signal) => {
    if (done) return;
    done = true;
    procs.delete(m.id);
    send({ id: m.id, ev: "exit", code, signal, at: Date.now() });
  };
  let c;
  try {
    c = spawn(m.cmd, m.args, { env: m.env, stdio: ["ignore", m.out ? "pipe" : "ignore", m.err ? "pipe" : "ignore"] });
  } catch (e) {
    send({ id: m.id, ev: "error", message: String((e && e.message) || e) });
    exit(null, null);
    return;
  }
  procs.set(m.id, c);
  if (c.stdout) c.stdout.on("data", (b) => send({ id: m.id, ev: "out", data: b.toString("base64"), at: Date.now() }));
  if (c.stderr) c.stderr.on("data", (b) => send({ id: m.id, ev: "err", data: b.toString("base64"), at: Date.now() }));
  c.on("error", (e) => {
    send({ id: m.id, ev: "error", message: e.message });
    // A command that never started (ENOENT, EACCES) has no exit of its own to wait for.
    if (c.pid === undefined) exit(null, null);
  });
  c.on("close", (code, signal) => exit(code, signal));
  // "close" waits for the output pipes, which a command's own children may hold open long after it
  // died: report the exit after a short grace for the last output.
  c.on("exit", (code, signal) => setTimeout(() => exit(code, signal), 200).unref());
}

function command(line) {
  let m;
  try {
    m = JSON.parse(line);
  } catch {
    return;
  }
  if (m.op === "spawn") start(m);
  else if (m.op === "kill") {
    const c = procs.get(m.id);
    if (c && c.exitCode === null && c.signalCode === null) {
      try {
        c.kill(m.signal || "SIGTERM");
      } catch {
        // Already gone: its exit is on the way.
      }
    }
  }
}

createInterface({ input: process.stdin, crlfDelay: Infinity })
  .on("line", command)
  .on("close", () => process.exit(0));
