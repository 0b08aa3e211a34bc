import { expect as baseExpect, test } from "@playwright/test";
import { shot, signIn, url } from "./helpers";

// Pages read live state from the lab; on a shared, loaded 2-core machine a first paint can take tens of seconds.
const expect = baseExpect.configure({ timeout: 45_000 });
test.describe.configure({ timeout: 300_000 });




test("global search: '/' focuses it, a VM is found by IP and a switch by dpid, grouped, and Enter opens the switch", async ({ page }, testInfo) => {
  await signIn(page);
  await page.locator("body").press("/");
  const box = page.getByRole("combobox", { name: "Search VMs, IPs, MACs, switches" });
  await expect(box).toBeFocused();
  await box.fill("10.99.0.12");
  const results = page.getByTestId("search-results");
  await expect(results.getByRole("group", { name: "Instances" }).getByRole("option")).toHaveText([/vm2.*10\.99\.0\.12/]);
  await shot(page, testInfo, "search-by-ip");
  await box.fill("fe:00:02:01");
  await expect(results.getByRole("group", { name: "Switches" }).getByRole("option", { name: /00000000fe000201/ })).toBeVisible();
  await box.press("Enter");
  await expect(page).toHaveURL(/\/switches\/00000000fe000201/);
  await expect(page.getByRole("heading", { name: "Switch 00000000fe000201" })).toBeVisible();
  // Port counters come from the switch itself (OpenFlow port stats).
  await expect(page.getByTestId("port-stats").getByRole("row").filter({ hasText: "br-int" })).toContainText(/\d/);
  await shot(page, testInfo, "switch-page");
});

test("the site filter narrows every list to one site, survives navigation, and All restores it", async ({ page }, testInfo) => {
  await signIn(page);
  const filter = page.getByTestId("site-filter");
  await filter.getByRole("button", { name: "B", exact: true }).click();
  await expect(page).toHaveURL(/[?&]site=b/);
  await expect(page.getByTestId("lab-topology").getByText("host-a1", { exact: true })).toHaveCount(0);
  await expect(page.getByTestId("lab-topology").getByText("host-b1", { exact: true })).toBeVisible();
  await shot(page, testInfo, "overview-site-b");

  const nav = page.getByRole("navigation", { name: "Main" });
  await nav.getByRole("link", { name: "Hypervisors", exact: true }).click();
  const hosts = page.getByTestId("host-table");
  await expect(hosts.getByRole("row").filter({ hasText: "host-b1" })).toHaveCount(1);
  await expect(hosts.getByRole("row").filter({ hasText: "host-a1" })).toHaveCount(0);
  await expect(page.getByTestId("site-scope")).toContainText("Site B: 1 of 2 hosts");
  await expect(page).toHaveURL(/[?&]site=b/);

  await nav.getByRole("link", { name: "Switches", exact: true }).click();
  const switches = page.getByTestId("switch-table");
  await expect(switches.getByRole("row").filter({ hasText: "00000000fe000201" })).toHaveCount(1);
  await expect(switches.getByRole("row").filter({ hasText: "00000000fe000101" })).toHaveCount(0);
  await shot(page, testInfo, "switches-site-b");

  await filter.getByRole("button", { name: "All", exact: true }).click();
  await expect(switches.getByRole("row").filter({ hasText: "00000000fe000101" })).toHaveCount(1);
  await expect(page).not.toHaveURL(/[?&]site=/);
});

test("before any migration, the timings chart says so instead of drawing invented points", async ({ page }, testInfo) => {
  await signIn(page);
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Migrations", exact: true }).click();
  await expect(page.getByTestId("timings")).toHaveAttribute("data-state", "ready");
  // Without completed migrations: the empty state, or only the benchmark's series with that said.
  await expect(page.getByTestId("timings").getByText("No completed migrations yet")).toBeVisible();
  await expect(page.getByTestId("timing-point")).toHaveCount(0);
  await shot(page, testInfo, "timings-empty");
});

test("every console page renders at 1280 px without an error, each saved as a screenshot", async ({ page }, testInfo) => {
  await page.setViewportSize({ width: 1280, height: 800 });
  await signIn(page);
  const pages: [string, string][] = [
    ["/", "Overview"],
    ["/hypervisors", "Hypervisors"],
    ["/instances", "Instances"],
    ["/migrations", "Migrations"],
    ["/switches", "Switches"],
    ["/switches/00000000fe000101", "Switch 00000000fe000101"],
    ["/events", "Events"],
    ["/network", "Network"],
    ["/audit", "Audit"],
  ];
  for (const [path, heading] of pages) {
    await page.goto(`${url()}${path}`);
    await expect(page.getByRole("heading", { name: heading, exact: true })).toBeVisible();
    await expect(page.getByText("Loading…")).toHaveCount(0);
    await expect(page.getByText(/^Could not load/)).toHaveCount(0);
    // Nothing wider than the window: no horizontal scroll at 1280 px.
    if (path !== "/instances") expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(1280);
    await shot(page, testInfo, `page${path.replaceAll("/", "-") || "-overview"}`);
  }
});
