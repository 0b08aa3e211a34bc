import { EventEmitter } from "node:events";
import type { Socket } from "node:net";
import { describe, expect, it } from "vitest";
import { Datapath } from "./datapath";
import { decodeMessage, encodeMessage, OfpFramer } from "./openflow";

/** Just enough of a net.Socket to watch what a Datapath writes, one entry per socket.write. */
class FakeSocket extends EventEmitter {
  readonly writes: Buffer[] = [];
  destroyed = false;
  setNoDelay(): this {
    return this;
  }
  write(b: Buffer): boolean {
    this.writes.push(Buffer.from(b));
    return true;
  }
  end(): this {
    return this;
  }
  destroy(): this {
    this.destroyed = true;
    return this;
  }
}

const types = (b: Buffer) => new OfpFramer().push(b).frames.map((f) => decodeMessage(f)).map((m) => `${m.type}:${m.xid}`);

describe("Datapath output batching", () => {
  it("sends everything answering one received chunk in a single write, in order", () => {
    const socket = new FakeSocket();
    const dp = new Datapath(socket as unknown as Socket, "fake", { cookie: 1n, versions: [4] });
    expect(socket.writes.map(types)).toEqual([["hello:1"]]); // outside a chunk: written at once
    const chunk = Buffer.concat([
      encodeMessage(4, { type: "hello", xid: 9 }),
      encodeMessage(4, { type: "echo_request", xid: 5, data: Buffer.from("a") }),
      encodeMessage(4, { type: "echo_request", xid: 6, data: Buffer.from("b") }),
    ]);
    socket.emit("data", chunk);
    expect(socket.writes.map(types)).toEqual([["hello:1"], ["features_request:2", "echo_reply:5", "echo_reply:6"]]);
    dp.close("test over");
  });

  it("still sends the ERROR that explains a close caused by the chunk, before ending", () => {
    const socket = new FakeSocket();
    const dp = new Datapath(socket as unknown as Socket, "fake", { cookie: 1n, versions: [4] });
    socket.emit("data", Buffer.from("0402000400000009", "hex")); // bad length: ERROR then close
    expect(dp.state).toBe("closed");
    expect(socket.writes.map(types)).toEqual([["hello:1"], ["error:9"]]);
  });
});
