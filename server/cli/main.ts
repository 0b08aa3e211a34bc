// `ferry`: the command-line client of a Ferry server. It uses the dashboard's own tRPC API and
// Socket.IO stream, so it can do what a signed-in user can do in the browser, and no more.
import { run } from "./run";

async function main(): Promise<void> {
  const abort = new AbortController();
  let interrupts = 0;
  const onSignal = () => {
    // First Ctrl-C: stop waiting and clean up; a second one: leave now.
    if (++interrupts > 1) process.exit(130);
    abort.abort();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  const code = await run(process.argv.slice(2), { signal: abort.signal, env: process.env, stdout: process.stdout, stderr: process.stderr, stdin: process.stdin });
  // Keep-alive sockets and timers must not hold the command open once it has answered.
  process.exit(code);
}

await main();
