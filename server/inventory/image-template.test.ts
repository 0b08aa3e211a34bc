import { describe, expect, it } from "vitest";
import { fillTemplate, templateFromCmdline, templatePlaceholders } from "./image-template";
import { labCmdlineTemplate } from "./images";
import { guestCmdline } from "../lab/guest/image";

describe("image command-line templates", () => {
  it("the lab template, filled, is exactly what the guest's own guestCmdline renders", () => {
    const t = labCmdlineTemplate();
    expect([...templatePlaceholders(t)].sort()).toEqual(["dirty_mbps", "fill_mb", "ip", "name", "prefix"]);
    const filled = fillTemplate(t, { ip: "10.99.0.2", prefix: 24, name: "web-1", fill_mb: 64, dirty_mbps: 4 });
    expect(filled).toBe(guestCmdline({ ip: "10.99.0.2/24", hostname: "web-1", fillMb: 64, dirtyMbps: 4 }));
  });

  it("rejects unknown placeholders, unbalanced braces and multi-line templates", () => {
    expect(() => templatePlaceholders("console=ttyS0 ip={address}")).toThrow(/unknown placeholder \{address\}/);
    expect(() => templatePlaceholders("console=ttyS0 ip={ip")).toThrow(/unbalanced/);
    expect(() => templatePlaceholders("a\nb")).toThrow(/one line/);
  });

  it("refuses missing or unsafe values instead of producing a broken command line", () => {
    expect(() => fillTemplate("gw={gateway}", {})).toThrow(/needs \{gateway\}/);
    expect(() => fillTemplate("host={name}", { name: "a b" })).toThrow(/not safe/);
  });

  it("turns a rendered command line into a template key by key", () => {
    expect(templateFromCmdline("quiet x.ip=1.2.3.4/24 x.name=a", { "x.ip": "{ip}/{prefix}", "x.name": "{name}" })).toBe("quiet x.ip={ip}/{prefix} x.name={name}");
    expect(() => templateFromCmdline("quiet", { "x.ip": "{ip}" })).toThrow(/appears 0 times/);
  });
});
