import { describe, expect, it } from "vitest";
import { DEFAULT_WATCH_TIMEOUT_S, parseCommandLine, UsageError } from "./args";
import { resolveServer, DEFAULT_SERVER } from "./session";

const parse = (line: string) => parseCommandLine(line.split(" ").filter(Boolean));

describe("ferry command line", () => {
  it("parses migrate with every option, in any order, global options before the command", () => {
    expect(parse("--server http://10.0.0.1:4000 --json migrate vm1 --watch --to host-b1 --bandwidth 64 --downtime=300 --auto-converge --timeout 120")).toEqual({
      global: { server: "http://10.0.0.1:4000", json: true },
      command: { name: "migrate", vm: "vm1", to: "host-b1", bandwidthMiBps: 64, downtimeMs: 300, autoConverge: true, watch: true, timeoutS: 120 },
    });
  });

  it("gives migrate defaults: no limits, no watch, the default watch timeout", () => {
    expect(parse("migrate vm2 -t auto").command).toEqual({ name: "migrate", vm: "vm2", to: "auto", bandwidthMiBps: undefined, downtimeMs: undefined, autoConverge: false, watch: false, timeoutS: DEFAULT_WATCH_TIMEOUT_S });
  });

  it.each([
    ["migrate vm1", /--to HOST or --to auto is required/],
    ["migrate --to auto", /name the VM/],
    ["migrate vm1 --to b --bandwidth fast", /--bandwidth must be a positive number/],
    ["migrate vm1 --to b --downtime 2.5", /--downtime must be a positive whole number/],
    ["migrate vm1 --to b --downtime 0", /--downtime must be a positive whole number/],
    ["migrate vm1 vm2 --to b", /unexpected argument "vm2"/],
    ["migrate vm1 --to b --colour red", /Unknown option '--colour'/],
    ["flows", /name the switch/],
    ["lab restart", /lab: say up, down or status, not "restart"/],
    ["lab", /lab: say up, down or status$/],
    ["events --type packet-in", /unknown --type "packet-in"/],
    ["migrations --limit 0", /--limit must be a positive whole number/],
    ["teleport vm1", /unknown command "teleport"/],
    ["hosts extra", /unexpected argument "extra"/],
  ])("refuses %j with a message naming the problem", (line, message) => {
    expect(() => parse(line)).toThrowError(UsageError);
    expect(() => parse(line)).toThrowError(message);
  });

  it("parses the other commands", () => {
    expect(parse("login alice --password-stdin").command).toEqual({ name: "login", username: "alice", passwordStdin: true });
    expect(parse("login").command).toEqual({ name: "login", username: undefined, passwordStdin: false });
    expect(parse("hosts --json")).toEqual({ global: { server: undefined, json: true }, command: { name: "hosts" } });
    expect(parse("migrations -n 5").command).toEqual({ name: "migrations", limit: 5 });
    expect(parse("migrations").command).toEqual({ name: "migrations", limit: 20 });
    expect(parse("flows host-a1/br-int --no-refresh").command).toEqual({ name: "flows", target: "host-a1/br-int", refresh: false });
    expect(parse("events -f --for 10 --type packet_in --type flow_mod").command).toEqual({ name: "events", follow: true, forS: 10, types: ["packet_in", "flow_mod"] });
    expect(parse("lab status").command).toEqual({ name: "lab", action: "status" });
  });

  it("shows help for no command, -h anywhere, and help TOPIC", () => {
    expect(parse("").command).toEqual({ name: "help", topic: undefined });
    expect(parse("migrate -h").command).toEqual({ name: "help", topic: "migrate" });
    expect(parse("help flows").command).toEqual({ name: "help", topic: "flows" });
    expect(parse("--version").command).toEqual({ name: "version" });
  });

  it("takes the server from --server, else FERRY_URL, else the default, without a trailing slash", () => {
    expect(resolveServer("http://127.0.0.1:4000/", {})).toBe("http://127.0.0.1:4000");
    expect(resolveServer(undefined, { FERRY_URL: "https://ferry.example:8443" })).toBe("https://ferry.example:8443");
    expect(resolveServer(undefined, {})).toBe(DEFAULT_SERVER);
    expect(() => resolveServer("ftp://x", {})).toThrowError(/must start with http/);
    expect(() => resolveServer("not a url", {})).toThrowError(/not a server URL/);
  });
});
