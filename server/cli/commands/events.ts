// events: the controller's live events (the Events page's stream). Without --follow it prints
// what arrives within a few seconds; with --follow it runs until Ctrl-C or --for SECONDS.
import { print, session, sleep, type Cli } from "../context";
import { connectRealtime, subscribe } from "../realtime";
import { eventLine } from "../render";

export const DEFAULT_LISTEN_S = 3;

export async function events(cli: Cli, cmd: { follow: boolean; forS?: number; types: string[] }): Promise<number> {
  const { cookie } = session(cli);
  const socket = await connectRealtime(cli.server, cookie);
  try {
    let dropped = 0;
    socket.on("eventBatch", (batch) => {
      for (const e of batch.events) {
        if (cmd.types.length && !cmd.types.includes(e.type)) continue;
        print(cli, cli.json ? JSON.stringify(e) : eventLine(e));
      }
      // The server samples at most a bounded number per batch; say how many were not shown.
      const counted = Object.entries(batch.counts).reduce((n, [type, c]) => n + (cmd.types.length && !cmd.types.includes(type) ? 0 : (c ?? 0)), 0);
      const shown = batch.events.filter((e) => !cmd.types.length || cmd.types.includes(e.type)).length;
      dropped += Math.max(0, counted - shown);
    });
    socket.on("shutdown", ({ reason }) => {
      if (!cli.json) print(cli, `-- server shutting down (${reason})`);
    });
    await subscribe(socket, "events");
    const seconds = cmd.forS ?? (cmd.follow ? Infinity : DEFAULT_LISTEN_S);
    // A follow without --for ends on Ctrl-C; sleep in bounded steps so the timer never overflows.
    const deadline = Date.now() + seconds * 1000;
    while (!cli.signal.aborted && Date.now() < deadline) await sleep(Math.min(60_000, deadline - Date.now()), cli.signal);
    if (dropped && !cli.json) print(cli, `-- ${dropped} more event(s) were counted but not sampled by the server`);
    return 0;
  } finally {
    socket.close();
  }
}
