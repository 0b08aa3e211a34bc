import { describe, expect, it } from "vitest";
import { EventHub, type ControllerEvent } from "./events";

const ev = (n: number): ControllerEvent => ({ type: "packet_in", at: n, dpid: "d", in_port: 1, reason: 0, eth_src: "", eth_dst: "", eth_type: 0, length: n });

describe("event hub", () => {
  it("keeps only the most recent events but counts all of them exactly", () => {
    const hub = new EventHub(3);
    for (let i = 1; i <= 10; i++) hub.emit(ev(i));
    expect(hub.recent().map((e) => e.at)).toEqual([8, 9, 10]);
    expect(hub.recent(2).map((e) => e.at)).toEqual([9, 10]);
    expect(hub.totals.packet_in).toBe(10);
  });

  it("delivers to listeners, survives a throwing listener, and unsubscribes", () => {
    const hub = new EventHub(10);
    const seen: number[] = [];
    hub.on(() => {
      throw new Error("bad listener");
    });
    const off = hub.on((e) => seen.push(e.at));
    hub.emit(ev(1));
    off();
    hub.emit(ev(2));
    expect(seen).toEqual([1]);
  });
});
