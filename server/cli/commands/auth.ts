// login, logout, whoami. The password is read from the terminal without echo, or from stdin
// with --password-stdin (scripts); it never appears in argv, the environment or a file.
import readline from "node:readline";
import { Writable } from "node:stream";
import { createApi, sessionCookieFrom } from "../api";
import { print, signedIn, type Cli } from "../context";
import { forgetSession, loadSession, saveSession, sessionFilePath } from "../session";
import { toJson } from "../render";

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  let text = "";
  for await (const chunk of stream) text += String(chunk);
  return text;
}

async function ask(cli: Cli, question: string, hidden: boolean): Promise<string> {
  let muted = false;
  const output = new Writable({
    write(chunk, _enc, cb) {
      if (!muted) cli.stderr.write(chunk);
      cb();
    },
  });
  const rl = readline.createInterface({ input: cli.stdin, output, terminal: true });
  try {
    const answer = new Promise<string>((resolve) => rl.question(question, resolve));
    muted = hidden;
    const value = await answer;
    if (hidden) cli.stderr.write("\n");
    return value;
  } finally {
    rl.close();
  }
}

export async function login(cli: Cli, cmd: { username?: string; passwordStdin: boolean }): Promise<number> {
  let username = cmd.username;
  let password: string;
  if (cmd.passwordStdin) {
    password = (await readAll(cli.stdin)).split(/\r?\n/)[0] ?? "";
  } else {
    if (!cli.stdin.isTTY) throw new Error("no terminal to ask for the password: pipe it in with --password-stdin");
    username ??= (await ask(cli, "username: ", false)).trim();
    password = await ask(cli, "password: ", true);
  }
  if (!username) throw new Error("name the user: ferry login USERNAME");
  if (!password) throw new Error("empty password");

  let cookie: string | undefined;
  const api = createApi({ server: cli.server, onSetCookie: (set) => (cookie = sessionCookieFrom(set) ?? cookie) });
  const me = await api.auth.login.mutate({ username, password });
  if (!cookie) throw new Error("the server accepted the sign-in but set no session cookie");
  const file = sessionFilePath(cli.env);
  saveSession(cli.server, { cookie, username: me.username, role: me.role, expiresAt: new Date(me.expiresAt).toISOString() }, file);
  if (cli.json) print(cli, toJson({ server: cli.server, username: me.username, role: me.role, expiresAt: me.expiresAt, sessionFile: file }));
  else print(cli, `signed in to ${cli.server} as ${me.username} (${me.role}) until ${new Date(me.expiresAt).toISOString()}; session kept in ${file}`);
  return 0;
}

export async function logout(cli: Cli): Promise<number> {
  const file = sessionFilePath(cli.env);
  if (!loadSession(cli.server, file)) {
    forgetSession(cli.server, file);
    print(cli, cli.json ? toJson({ server: cli.server, signedOut: false }) : `not signed in to ${cli.server}`);
    return 0;
  }
  const { api } = signedIn(cli);
  try {
    await api.auth.logout.mutate();
  } finally {
    // Forget it here even when the server had already ended it.
    forgetSession(cli.server, file);
  }
  print(cli, cli.json ? toJson({ server: cli.server, signedOut: true }) : `signed out of ${cli.server}`);
  return 0;
}

export async function whoami(cli: Cli): Promise<number> {
  const { api } = signedIn(cli);
  const me = await api.auth.me.query();
  print(cli, cli.json ? toJson({ server: cli.server, ...me }) : `${me.username} (${me.role}) on ${cli.server}, session until ${new Date(me.expiresAt).toISOString()}`);
  return 0;
}
