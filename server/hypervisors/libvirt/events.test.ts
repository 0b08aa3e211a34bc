import { describe, expect, it } from "vitest";
import { parseLifecycleLine } from "./events";

describe("parseLifecycleLine", () => {
  it("reads the domain, the event and its detail from virsh's event lines", () => {
    expect(parseLifecycleLine("event 'lifecycle' for domain 'vm1': Resumed Migrated\n", 5)).toEqual({ domain: "vm1", event: "Resumed", detail: "Migrated", at: 5 });
    expect(parseLifecycleLine("event 'lifecycle' for domain 'a b': Suspended Paused", 1)).toEqual({ domain: "a b", event: "Suspended", detail: "Paused", at: 1 });
    expect(parseLifecycleLine("event 'lifecycle' for domain 'x': Defined", 2)).toEqual({ domain: "x", event: "Defined", detail: "", at: 2 });
  });

  it("takes virsh's timestamp when there is one", () => {
    expect(parseLifecycleLine("2026-11-27 16:17:57.526+0000: event 'lifecycle' for domain 'vm1': Suspended Migrated", 9)).toEqual({
      domain: "vm1",
      event: "Suspended",
      detail: "Migrated",
      at: Date.UTC(2026, 10, 27, 16, 17, 57, 526),
    });
    expect(parseLifecycleLine("2026-11-27 17:17:57.526+0100: event 'lifecycle' for domain 'x': Resumed Migrated", 9)!.at).toBe(Date.UTC(2026, 10, 27, 16, 17, 57, 526));
  });

  it("ignores anything else virsh prints", () => {
    expect(parseLifecycleLine("events received: 3", 0)).toBeNull();
    expect(parseLifecycleLine("event 'reboot' for domain 'vm1'", 0)).toBeNull();
    expect(parseLifecycleLine("", 0)).toBeNull();
  });
});
