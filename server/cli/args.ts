// The `ferry` command line: which command, which options. Pure: argv in, a typed command (or a
// UsageError with a message naming what is wrong) out.
import { parseArgs, type ParseArgsConfig } from "node:util";

export class UsageError extends Error {}

export interface GlobalOptions {
  /** --server; FERRY_URL and the default are applied later (config.ts). */
  server?: string;
  json: boolean;
}

export type LabAction = "up" | "down" | "status";

export type Command =
  | { name: "help"; topic?: string }
  | { name: "version" }
  | { name: "login"; username?: string; passwordStdin: boolean }
  | { name: "logout" }
  | { name: "whoami" }
  | { name: "hosts" }
  | { name: "vms" }
  | {
      name: "migrate";
      vm: string;
      /** A host name, or "auto" for the dashboard's choice. */
      to: string;
      bandwidthMiBps?: number;
      downtimeMs?: number;
      autoConverge: boolean;
      watch: boolean;
      timeoutS: number;
    }
  | { name: "migrations"; limit: number }
  | { name: "flows"; target: string; refresh: boolean }
  | { name: "events"; follow: boolean; forS?: number; types: string[] }
  | { name: "lab"; action: LabAction };

export interface CommandLine {
  global: GlobalOptions;
  command: Command;
}

type Options = NonNullable<ParseArgsConfig["options"]>;

const GLOBAL: Options = {
  server: { type: "string", short: "s" },
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
  version: { type: "boolean" },
};

const COMMAND_OPTIONS: Record<string, Options> = {
  login: { "password-stdin": { type: "boolean" } },
  logout: {},
  whoami: {},
  hosts: {},
  vms: {},
  migrate: {
    to: { type: "string", short: "t" },
    bandwidth: { type: "string" },
    downtime: { type: "string" },
    "auto-converge": { type: "boolean" },
    watch: { type: "boolean", short: "w" },
    timeout: { type: "string" },
  },
  migrations: { limit: { type: "string", short: "n" } },
  flows: { "no-refresh": { type: "boolean" } },
  events: { follow: { type: "boolean", short: "f" }, for: { type: "string" }, type: { type: "string", multiple: true } },
  lab: {},
  help: {},
};

export const COMMANDS = Object.keys(COMMAND_OPTIONS);

/** Event types the controller streams (WireEvent["type"]), for --type. */
export const EVENT_TYPES = ["packet_in", "flow_mod", "flow_removed", "port_status", "switch_connected", "switch_disconnected", "error", "relocation"] as const;

export const DEFAULT_WATCH_TIMEOUT_S = 900;

export const USAGE = `usage: ferry [--server URL] [--json] <command> [options]

Commands:
  login [USERNAME] [--password-stdin]   sign in; the session is kept in ~/.config/ferry/session.json (mode 0600)
  logout                                 end the session on the server and forget it here
  whoami                                 the signed-in user and role
  hosts                                  hypervisor hosts: site, status, memory, VMs, switches
  vms                                    virtual machines: state, host, site, IP and MAC
  migrate VM --to HOST|auto              start a live migration ("auto": an up host at another site with the most free memory)
      [--bandwidth MiB/s] [--downtime ms] [--auto-converge]
      [--watch] [--timeout SECONDS]     --watch: phases and progress until the migration ends (default timeout ${DEFAULT_WATCH_TIMEOUT_S} s)
  migrations [--limit N]                 recent migrations, newest first
  flows SWITCH [--no-refresh]            a switch's flow table in ovs-ofctl dump-flows form (SWITCH: dpid, HOST or HOST/BRIDGE)
  events [--follow] [--for SECONDS] [--type TYPE]...
                                         the controller's live events (without --follow: what arrives within 3 s)
  lab up|down|status                     the embedded two-site lab (a server started with FERRY_LAB=1)

Options:
  --server, -s URL   the Ferry server (default: $FERRY_URL, else http://127.0.0.1:3000)
  --json             machine-readable output (events: one JSON object per line)
  --help, -h         this text

Exit status: 0 success, 1 failure (including a failed migration), 2 bad usage, 3 lab not up (lab status).
`;

/** The command word: the first token that is neither an option nor the value of --server. */
function commandWord(argv: string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--") return argv[i + 1];
    if (a === "--server" || a === "-s") {
      i++;
      continue;
    }
    if (!a.startsWith("-")) return a;
  }
  return undefined;
}

function positiveNumber(name: string, v: string | undefined, { integer = false, max = Infinity } = {}): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === "" || !Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n)) || n > max) {
    throw new UsageError(`--${name} must be a positive ${integer ? "whole " : ""}number${Number.isFinite(max) ? ` up to ${max}` : ""}, not "${v}"`);
  }
  return n;
}

export function parseCommandLine(argv: string[]): CommandLine {
  const word = commandWord(argv);
  if (word !== undefined && !(word in COMMAND_OPTIONS)) {
    throw new UsageError(`unknown command "${word}" (commands: ${COMMANDS.filter((c) => c !== "help").join(", ")})`);
  }
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: argv, options: { ...GLOBAL, ...(word ? COMMAND_OPTIONS[word] : {}) }, allowPositionals: true, strict: true });
  } catch (err) {
    // node:util's messages name the option; drop its advice about "--" which does not apply here.
    throw new UsageError((err as Error).message.replace(/\. To specify a positional argument.*$/s, ""));
  }
  const v = parsed.values as Record<string, string | boolean | string[] | undefined>;
  const [, ...rest] = parsed.positionals;
  const global: GlobalOptions = { server: v.server as string | undefined, json: v.json === true };
  const str = (k: string) => v[k] as string | undefined;
  const flag = (k: string) => v[k] === true;
  const noMore = (max: number) => {
    if (rest.length > max) throw new UsageError(`${word}: unexpected argument "${rest[max]}"`);
  };

  if (v.version) return { global, command: { name: "version" } };
  if (v.help || word === undefined || word === "help") return { global, command: { name: "help", topic: word === "help" ? rest[0] : word } };

  switch (word) {
    case "login":
      noMore(1);
      return { global, command: { name: "login", username: rest[0], passwordStdin: flag("password-stdin") } };
    case "logout":
    case "whoami":
    case "hosts":
    case "vms":
      noMore(0);
      return { global, command: { name: word } };
    case "migrate": {
      noMore(1);
      if (!rest[0]) throw new UsageError("migrate: name the VM, e.g. ferry migrate vm1 --to auto");
      const to = str("to");
      if (!to) throw new UsageError('migrate: --to HOST or --to auto is required');
      return {
        global,
        command: {
          name: "migrate",
          vm: rest[0],
          to,
          bandwidthMiBps: positiveNumber("bandwidth", str("bandwidth"), { max: 100_000 }),
          downtimeMs: positiveNumber("downtime", str("downtime"), { integer: true, max: 60_000 }),
          autoConverge: flag("auto-converge"),
          watch: flag("watch"),
          timeoutS: positiveNumber("timeout", str("timeout")) ?? DEFAULT_WATCH_TIMEOUT_S,
        },
      };
    }
    case "migrations":
      noMore(0);
      return { global, command: { name: "migrations", limit: positiveNumber("limit", str("limit"), { integer: true, max: 500 }) ?? 20 } };
    case "flows":
      noMore(1);
      if (!rest[0]) throw new UsageError("flows: name the switch (dpid, host, or host/bridge)");
      return { global, command: { name: "flows", target: rest[0], refresh: !flag("no-refresh") } };
    case "events": {
      noMore(0);
      const types = (v.type as string[] | undefined) ?? [];
      const unknown = types.find((t) => !(EVENT_TYPES as readonly string[]).includes(t));
      if (unknown) throw new UsageError(`events: unknown --type "${unknown}" (one of ${EVENT_TYPES.join(", ")})`);
      return { global, command: { name: "events", follow: flag("follow"), forS: positiveNumber("for", str("for")), types } };
    }
    case "lab": {
      noMore(1);
      const action = rest[0];
      if (action !== "up" && action !== "down" && action !== "status") throw new UsageError(`lab: say up, down or status${action ? `, not "${action}"` : ""}`);
      return { global, command: { name: "lab", action } };
    }
  }
  throw new UsageError(`unknown command "${word}"`);
}
