import { describe, expect, it } from "vitest";
import { OFCTL_GOLDEN } from "../../../controller/openflow/fixtures/ofctl-golden";
import { parseDumpFlows, parseDumpFlowsLine } from "./dump-flows";

describe("ovs-ofctl dump-flows reader (the CLI tests' oracle)", () => {
  it("reads every line Open vSwitch 3.1 printed for the golden flow-stats replies", () => {
    for (const g of OFCTL_GOLDEN) expect(parseDumpFlows(g.lines.join("\n"), { strict: true })).toHaveLength(g.lines.length);
  });

  it("splits counters, timeouts, flags, priority, match and actions", () => {
    expect(
      parseDumpFlowsLine(" cookie=0x2a, duration=1.005s, table=0, n_packets=3, n_bytes=294, idle_timeout=60, send_flow_rem priority=100,in_port=1,dl_dst=aa:bb:cc:dd:ee:02 actions=output:2"),
    ).toEqual({
      cookie: "0x2a",
      durationS: 1.005,
      table: 0,
      packets: 3n,
      bytes: 294n,
      idleTimeout: 60,
      hardTimeout: undefined,
      flags: ["send_flow_rem"],
      priority: 100,
      match: "in_port=1,dl_dst=aa:bb:cc:dd:ee:02",
      actions: "output:2",
    });
    // No priority printed: the default; no match at all: match-all.
    expect(parseDumpFlowsLine(" cookie=0x0, duration=7s, table=0, n_packets=0, n_bytes=0, udp,tp_src=68 actions=LOCAL")).toMatchObject({ priority: 32768, match: "udp,tp_src=68" });
    expect(parseDumpFlowsLine(" cookie=0x0, duration=7s, table=0, n_packets=0, n_bytes=0, priority=0 actions=CONTROLLER:65535")).toMatchObject({ priority: 0, match: "", actions: "CONTROLLER:65535" });
  });

  it("refuses what ovs-ofctl would not print, in strict mode", () => {
    expect(parseDumpFlowsLine("cookie=0x0, duration=7s, table=0, n_packets=0, n_bytes=0, priority=0 actions=drop")).toBeNull();
    expect(parseDumpFlowsLine(" cookie=0x0, duration=7s, table=0, n_packets=0, n_bytes=0, priority=0")).toBeNull();
    expect(() => parseDumpFlows("OFPST_FLOW reply (OF1.3) (xid=0x2):\n cookie=0x0, duration=1s, table=0, n_packets=0, n_bytes=0, priority=0 actions=drop", { strict: true })).toThrowError(/not an ovs-ofctl dump-flows line/);
    expect(parseDumpFlows("OFPST_FLOW reply (OF1.3) (xid=0x2):\n cookie=0x0, duration=1s, table=0, n_packets=0, n_bytes=0, priority=0 actions=drop")).toHaveLength(1);
  });
});
