// migrate (with --watch: phases and a progress bar until the migration ends) and migrations.
import type { Api, Outputs } from "../api";
import { print, signedIn, sleep, warn, type Cli } from "../context";
import { connectRealtime, subscribe, type FerrySocket } from "../realtime";
import { migrationSummary, milliseconds, table, toJson } from "../render";
import { MigrationWatch, snapshotFromRecord, type Snapshot } from "../watch";

type Host = Pick<Outputs["inventory"]["hosts"][number], "name" | "site" | "status" | "memoryFreeMiB">;

/** The dashboard's automatic choice: an up host at another site with the most free memory. */
export function pickDestination(hosts: Host[], vm: { host: string | null; site: string | null }): string | null {
  const candidates = hosts.filter((h) => h.name !== vm.host);
  const other = candidates.filter((h) => h.status === "up" && h.site !== vm.site);
  return [...(other.length ? other : candidates)].sort((a, b) => (b.memoryFreeMiB ?? 0) - (a.memoryFreeMiB ?? 0))[0]?.name ?? null;
}

export interface MigrateCommand {
  vm: string;
  to: string;
  bandwidthMiBps?: number;
  downtimeMs?: number;
  autoConverge: boolean;
  watch: boolean;
  timeoutS: number;
}

/** How often --watch also asks the database, in case a live event was missed. */
const POLL_MS = 2_000;

async function destination(api: Api, vmName: string, to: string): Promise<string> {
  if (to !== "auto") return to;
  const [vms, hosts] = await Promise.all([api.inventory.vms.query(), api.inventory.hosts.query()]);
  const vm = vms.find((v) => v.name === vmName);
  if (!vm) throw new Error(`no VM "${vmName}" (ferry vms lists them)`);
  const dest = pickDestination(hosts, vm);
  if (!dest) throw new Error(`no host to move ${vmName} to`);
  return dest;
}

export async function migrate(cli: Cli, cmd: MigrateCommand): Promise<number> {
  const { api, session } = signedIn(cli);
  const destHost = await destination(api, cmd.vm, cmd.to);
  const options = {
    ...(cmd.bandwidthMiBps !== undefined ? { maxBandwidthMiBps: cmd.bandwidthMiBps } : {}),
    ...(cmd.downtimeMs !== undefined ? { downtimeLimitMs: cmd.downtimeMs } : {}),
    ...(cmd.autoConverge ? { autoConverge: true } : {}),
  };
  // Connected before the start, so the first phase changes reach us.
  const socket = cmd.watch ? await connectRealtime(cli.server, session.cookie) : null;
  try {
    const { id } = await api.migrations.start.mutate({ vm: cmd.vm, destHost, options });
    if (!socket) {
      print(cli, cli.json ? toJson({ id, vm: cmd.vm, destHost }) : `migration ${id}: ${cmd.vm} → ${destHost} started (ferry migrations shows how it went)`);
      return 0;
    }
    if (!cli.json) print(cli, `migration ${id}: ${cmd.vm} → ${destHost}`);
    return await watchMigration(cli, api, socket, id, cmd.timeoutS);
  } finally {
    socket?.close();
  }
}

async function watchMigration(cli: Cli, api: Api, socket: FerrySocket, id: string, timeoutS: number): Promise<number> {
  const watch = new MigrationWatch();
  const tty = cli.stdout.isTTY === true && !cli.json;
  let live = false;
  const show = (s: Snapshot) => {
    const out = watch.update(s);
    if (cli.json) return;
    if (out.lines.length) {
      if (live) cli.stdout.write("\r\x1b[2K");
      live = false;
      print(cli, out.lines.join("\n"));
    }
    if (tty && out.progress && !out.done) {
      cli.stdout.write(`\r\x1b[2K${out.progress}`);
      live = true;
    }
  };

  let wake: () => void = () => {};
  socket.on("migration", (e) => {
    if (e.id !== id) return;
    show(e);
    if (watch.done) wake();
  });
  await subscribe(socket, `migration:${id}`);

  const deadline = Date.now() + timeoutS * 1000;
  while (!watch.done && !cli.signal.aborted && Date.now() < deadline) {
    show(snapshotFromRecord(await api.migrations.get.query({ id })));
    if (watch.done) break;
    await Promise.race([sleep(Math.min(POLL_MS, Math.max(0, deadline - Date.now())), cli.signal), new Promise<void>((r) => (wake = r))]);
  }
  if (live) cli.stdout.write("\r\x1b[2K");

  if (!watch.done) {
    const why = cli.signal.aborted ? "interrupted" : `still running after ${timeoutS} s`;
    warn(cli, `${why}: migration ${id} goes on on the server (ferry migrations shows it; the dashboard can cancel it)`);
    return cli.signal.aborted ? 130 : 1;
  }
  const m = await api.migrations.get.query({ id });
  if (cli.json) {
    const { samples, ...rest } = m;
    print(cli, toJson({ ...rest, samples: samples.length }));
  } else print(cli, migrationSummary(m));
  return m.status === "completed" ? 0 : 1;
}

export function migrationsTable(rows: Outputs["migrations"]["list"]): string {
  return table(
    ["ID", "VM", "FROM", "TO", "STATUS", "PHASE", "STARTED", "TOTAL", "DOWNTIME"],
    rows.map((m) => [m.id, m.vmName, m.sourceHost, m.destHost, m.status, m.phase, new Date(m.startedAt).toISOString().slice(0, 19).replace("T", " "), milliseconds(m.totalTimeMs), milliseconds(m.downtimeMs)]),
  );
}

export async function migrations(cli: Cli, cmd: { limit: number }): Promise<number> {
  const { api } = signedIn(cli);
  const rows = await api.migrations.list.query({ limit: cmd.limit });
  print(cli, cli.json ? toJson(rows) : rows.length ? migrationsTable(rows) : "no migrations yet");
  return 0;
}
