// Where the CLI talks to and the session it holds there. The session cookie is a bearer secret:
// it lives in a file only this user can read (0600, in a 0700 directory), one entry per server.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

/** Environment variables as read here (process.env, or a plain object in tests). */
export type Env = Record<string, string | undefined>;

export const DEFAULT_SERVER = "http://127.0.0.1:3000";

export interface StoredSession {
  /** "ferry_session=<token>", exactly as sent back in the Cookie header. */
  cookie: string;
  username: string;
  role: string;
  expiresAt: string;
}

interface SessionFile {
  version: 1;
  sessions: Record<string, StoredSession>;
}

/** --server, else FERRY_URL, else the server's default address; normalised to scheme://host[:port]. */
export function resolveServer(flag: string | undefined, env: Env = process.env): string {
  const raw = flag ?? (env.FERRY_URL || DEFAULT_SERVER);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error(`not a server URL: "${raw}" (e.g. http://127.0.0.1:3000)`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new Error(`the server URL must start with http:// or https://, not "${raw}"`);
  return `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, "")}`;
}

export function sessionFilePath(env: Env = process.env): string {
  if (env.FERRY_SESSION_FILE) return env.FERRY_SESSION_FILE;
  const base = env.XDG_CONFIG_HOME || path.join(os.homedir(), ".config");
  return path.join(base, "ferry", "session.json");
}

function readFile(file: string): SessionFile {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return { version: 1, sessions: {} };
    throw err;
  }
  try {
    const parsed = JSON.parse(text) as SessionFile;
    if (parsed && parsed.version === 1 && typeof parsed.sessions === "object" && parsed.sessions) return parsed;
  } catch {
    // fall through: a damaged file is replaced on the next login
  }
  return { version: 1, sessions: {} };
}

function writeFile(file: string, content: SessionFile): void {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  // Written to a private temporary file and renamed, so the secret is never readable by others,
  // not even for a moment, whatever the umask.
  const tmp = `${file}.${process.pid}.tmp`;
  const fd = fs.openSync(tmp, "w", 0o600);
  try {
    fs.fchmodSync(fd, 0o600);
    fs.writeFileSync(fd, JSON.stringify(content, null, 2) + "\n");
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
}

export function loadSession(server: string, file = sessionFilePath()): StoredSession | null {
  const content = readFile(file);
  const s = content.sessions[server];
  if (!s) return null;
  // Refuse to keep using a token others could have read; the user signs in again.
  const mode = fs.statSync(file).mode & 0o777;
  if (mode & 0o077) throw new Error(`${file} is readable by other users (mode ${mode.toString(8)}): run "chmod 600 ${file}" or sign in again`);
  if (Date.parse(s.expiresAt) <= Date.now()) return null;
  return s;
}

export function saveSession(server: string, session: StoredSession, file = sessionFilePath()): void {
  const content = readFile(file);
  content.sessions[server] = session;
  writeFile(file, content);
}

export function forgetSession(server: string, file = sessionFilePath()): void {
  const content = readFile(file);
  if (!(server in content.sessions)) return;
  delete content.sessions[server];
  writeFile(file, content);
}
