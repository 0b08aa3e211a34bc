// What every command gets: where the server is, how to print, the signed-in API, and the signal
// that Ctrl-C aborts.
import { createApi, type Api } from "./api";
import { loadSession, sessionFilePath, type StoredSession } from "./session";

export interface Cli {
  server: string;
  json: boolean;
  /** Ctrl-C: commands that wait (watch, follow) stop waiting and return. */
  signal: AbortSignal;
  env: Record<string, string | undefined>;
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream;
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
}

export class NotSignedInError extends Error {}

export function print(cli: Cli, text: string): void {
  cli.stdout.write(text.endsWith("\n") ? text : `${text}\n`);
}

export function warn(cli: Cli, text: string): void {
  cli.stderr.write(`${text}\n`);
}

export function session(cli: Cli): StoredSession {
  const s = loadSession(cli.server, sessionFilePath(cli.env));
  if (!s) throw new NotSignedInError(`not signed in to ${cli.server}: run "ferry login" first`);
  return s;
}

/** The tRPC client with this server's session. */
export function signedIn(cli: Cli): { api: Api; session: StoredSession } {
  const s = session(cli);
  return { api: createApi({ server: cli.server, cookie: s.cookie }), session: s };
}

/** Resolves after `ms`, or at once when Ctrl-C aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}
