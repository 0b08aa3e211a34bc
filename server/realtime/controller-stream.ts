// Forwards controller events to browsers. Switch-level changes go to the switch's room at once;
// the high-rate stream (packet-in, flow-mod, flow-removed, errors) is batched every 250 ms with
// exact per-type counts and at most SAMPLE_MAX sampled events, so a flood costs bounded work.
import "server-only";
import type { OpenFlowController } from "../../controller/controller";
import type { ControllerEvent } from "../../controller/events";
import type { FerryIo } from "./io";
import { toWire, type WireEvent } from "./wire";

export const BATCH_MS = 250;
export const SAMPLE_MAX = 200;

type StreamedType = WireEvent["type"];

export function streamControllerEvents(controller: OpenFlowController, io: FerryIo): () => void {
  let counts: Partial<Record<StreamedType, number>> = {};
  let sample: WireEvent[] = [];

  const off = controller.events.on((e: ControllerEvent) => {
    if (e.type === "flow_table") {
      io.to(`switch:${e.dpid}`).emit("flowTable", { dpid: e.dpid, at: e.at, changes: e.changes.map((c) => ({ kind: c.kind, flow: toWire.flow(c.entry) })) });
      return;
    }
    counts[e.type] = (counts[e.type] ?? 0) + 1;
    if (sample.length >= SAMPLE_MAX) sample.shift();
    sample.push(toWire.event(e));
    if (e.type === "switch_connected" || e.type === "switch_disconnected" || e.type === "port_status") {
      io.emit("switchChanged", { dpid: e.dpid, at: e.at, change: e.type });
    }
  });

  const timer = setInterval(() => {
    if (sample.length === 0) return;
    io.to("events").emit("eventBatch", { at: Date.now(), windowMs: BATCH_MS, counts, events: sample, totals: { ...controller.events.totals } });
    counts = {};
    sample = [];
  }, BATCH_MS);

  return () => {
    off();
    clearInterval(timer);
  };
}
