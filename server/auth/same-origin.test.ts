import { describe, expect, it } from "vitest";
import { crossSiteRefusal, isOwnOrigin, trpcRefusalBody } from "./same-origin";

describe("the same-origin guard", () => {
  it("accepts an Origin naming the host the request was sent to, in either scheme and with default ports", () => {
    expect(isOwnOrigin("http://127.0.0.1:3000", "127.0.0.1:3000")).toBe(true);
    expect(isOwnOrigin("https://Ferry.Example", "ferry.example")).toBe(true);
    expect(isOwnOrigin("http://ferry.example", "ferry.example:80")).toBe(true);
    expect(isOwnOrigin("https://ferry.example:443", "ferry.example")).toBe(true);
    expect(isOwnOrigin("http://[::1]:3000", "[::1]:3000")).toBe(true);
  });

  it("refuses another host, another port, a path, null and other schemes", () => {
    expect(isOwnOrigin("http://evil.example", "ferry.example")).toBe(false);
    expect(isOwnOrigin("http://127.0.0.1:3001", "127.0.0.1:3000")).toBe(false);
    expect(isOwnOrigin("http://ferry.example.evil.example", "ferry.example")).toBe(false);
    expect(isOwnOrigin("http://ferry.example/", "ferry.example")).toBe(false);
    expect(isOwnOrigin("null", "ferry.example")).toBe(false);
    expect(isOwnOrigin("file://ferry.example", "ferry.example")).toBe(false);
  });

  it("lets a request through with its own Origin, or without Origin but with a named client", () => {
    expect(crossSiteRefusal({ host: "127.0.0.1:3000", origin: "http://127.0.0.1:3000" })).toBeNull();
    expect(crossSiteRefusal({ host: "127.0.0.1:3000", "x-ferry-client": "ferry-cli" })).toBeNull();
  });

  it("refuses a foreign Origin even with a client header, and a request with neither", () => {
    expect(crossSiteRefusal({ host: "a:1", origin: "http://b:1", "x-ferry-client": "ferry-cli" })).toMatch(/^cross-site request refused/);
    expect(crossSiteRefusal({ host: "a:1", origin: "http://a:1", "x-ferry-client": "x" })).toBeNull();
    expect(crossSiteRefusal({ origin: "http://a:1" })).toMatch(/^cross-site request refused/);
    expect(crossSiteRefusal({ host: "a:1" })).toMatch(/x-ferry-client/);
    expect(crossSiteRefusal({ host: "a:1", "x-ferry-client": " " })).toMatch(/x-ferry-client/);
  });

  it("words the refusal as a tRPC FORBIDDEN error, one per call of a batch", () => {
    const single = JSON.parse(trpcRefusalBody(new URL("http://h/api/trpc/users.create"), "no"));
    expect(single.error.json).toMatchObject({ message: "no", data: { code: "FORBIDDEN", httpStatus: 403 } });
    const batch = JSON.parse(trpcRefusalBody(new URL("http://h/api/trpc/a.b,c.d?batch=1"), "no"));
    expect(batch).toHaveLength(2);
    expect(batch[1].error.json.data.code).toBe("FORBIDDEN");
  });
});
