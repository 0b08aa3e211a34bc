// lab up|down|status: the server's embedded lab, through the same procedures as the Overview page.
import { print, signedIn, type Cli } from "../context";
import { toJson } from "../render";
import { labText } from "../../lab/status-text";

/** Exit status of `lab status` when the lab is not up (as `npm run lab -- status`). */
export const LAB_NOT_UP = 3;

export async function lab(cli: Cli, cmd: { action: "up" | "down" | "status" }): Promise<number> {
  const { api } = signedIn(cli);
  if (cmd.action === "status") {
    const s = await api.lab.status.query();
    if (!s.enabled) {
      print(cli, cli.json ? toJson(s) : "the lab is not enabled on this server (start it with FERRY_LAB=1)");
      return LAB_NOT_UP;
    }
    print(cli, cli.json ? toJson(s) : labText(s));
    return s.up ? 0 : LAB_NOT_UP;
  }
  if (!cli.json) print(cli, cmd.action === "up" ? "bringing the lab up (about a minute)…" : "taking the lab down…");
  const s = cmd.action === "up" ? await api.lab.up.mutate() : await api.lab.down.mutate();
  print(cli, cli.json ? toJson(s) : labText(s));
  // "down" succeeded when nothing is left running; "up" when everything is.
  return cmd.action === "up" ? (s.up ? 0 : 1) : s.subsystem.state === "stopped" ? 0 : 1;
}
