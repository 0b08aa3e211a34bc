// How an instance's state shows: pill colour, which states are passing, the filter's choices.
export const STATES = ["running", "booting", "building", "shutoff", "migrating", "paused", "deleting", "error", "unknown"] as const;

/** States an instance passes through on its own: pages poll faster while one is shown. */
export const TRANSIENT = new Set(["building", "booting", "deleting", "migrating"]);

const TONE: Record<string, "ok" | "running" | "warning" | "failed" | "neutral"> = {
  running: "ok",
  booting: "running",
  building: "running",
  migrating: "running",
  deleting: "warning",
  paused: "warning",
  error: "failed",
  crashed: "failed",
  shutoff: "neutral",
  unknown: "neutral",
};

export function stateTone(state: string) {
  return TONE[state] ?? "neutral";
}
