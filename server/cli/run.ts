// One command line → one exit status: parse, pick the server, dispatch, report failures.
import fs from "node:fs";
import path from "node:path";
import { describeError } from "./api";
import { parseCommandLine, UsageError, USAGE, type Command } from "./args";
import { NotSignedInError, type Cli } from "./context";
import { resolveServer } from "./session";
import { login, logout, whoami } from "./commands/auth";
import { hosts, vms } from "./commands/inventory";
import { migrate, migrations } from "./commands/migrate";
import { flows } from "./commands/flows";
import { events } from "./commands/events";
import { lab } from "./commands/lab";

function version(): string {
  const pkg = JSON.parse(fs.readFileSync(path.resolve(import.meta.dirname, "../../package.json"), "utf8")) as { version: string };
  return pkg.version;
}

async function dispatch(cli: Cli, command: Command): Promise<number> {
  switch (command.name) {
    case "help":
      cli.stdout.write(USAGE);
      return 0;
    case "version":
      cli.stdout.write(`ferry ${version()}\n`);
      return 0;
    case "login":
      return login(cli, command);
    case "logout":
      return logout(cli);
    case "whoami":
      return whoami(cli);
    case "hosts":
      return hosts(cli);
    case "vms":
      return vms(cli);
    case "migrate":
      return migrate(cli, command);
    case "migrations":
      return migrations(cli, command);
    case "flows":
      return flows(cli, command);
    case "events":
      return events(cli, command);
    case "lab":
      return lab(cli, command);
  }
}

/** Runs one command line; returns the exit status. Never throws. */
export async function run(argv: string[], io: Omit<Cli, "server" | "json">): Promise<number> {
  let parsed;
  try {
    parsed = parseCommandLine(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    io.stderr.write(`ferry: ${err.message}\n(ferry --help lists the commands and options)\n`);
    return 2;
  }
  let server = "";
  try {
    server = resolveServer(parsed.global.server, io.env);
    return await dispatch({ ...io, server, json: parsed.global.json }, parsed.command);
  } catch (err) {
    io.stderr.write(`ferry: ${err instanceof NotSignedInError ? err.message : describeError(err, server)}\n`);
    return 1;
  }
}

