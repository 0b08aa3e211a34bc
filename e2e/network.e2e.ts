import { execFileSync } from "node:child_process";
import { expect, test } from "@playwright/test";
import { shot, signIn, url } from "./helpers";
import { E2E_NS_PREFIX } from "./global-setup";



/** Traffic between the two sites' clients, across the GRE tunnel (addresses inside the lab's namespaces). */
function pingAcrossSites(count: number) {
  return execFileSync("ip", ["netns", "exec", `${E2E_NS_PREFIX}client-a`, "ping", "-c", String(count), "-i", "0.2", "-W", "2", "10.99.0.202"], { encoding: "utf8", timeout: 30_000 });
}

test("the overview shows the lab's two sites with both bridges connected to the controller", async ({ page }) => {
  await signIn(page);
  const topo = page.getByTestId("lab-topology");
  await expect(topo.getByText("host-a1", { exact: true })).toBeVisible();
  await expect(topo.getByText("host-b1", { exact: true })).toBeVisible();
  await expect(topo.getByText("connected", { exact: true })).toHaveCount(2, { timeout: 15_000 });
  await expect(topo.getByText("gre-host-b1 → 10.250.2.11")).toBeVisible();
  await expect(page.getByTestId("stat-sites")).toContainText("2");
  await expect(page.getByTestId("stat-hosts")).toContainText("2 / 2");
  await expect(page.getByTestId("stat-switches")).toContainText("2");
  await expect(page.getByTestId("stat-vms")).toContainText("2 / 2");
});

test("a flow learned from real traffic appears in the switch's live flow table", async ({ page }) => {
  await signIn(page);
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Switches", exact: true }).click();
  const table = page.getByTestId("switch-table");
  await expect(table.getByRole("row")).toHaveCount(3, { timeout: 15_000 });
  await table.getByRole("link", { name: "00000000fe000101" }).click();
  await expect(page.getByRole("heading", { name: "Switch 00000000fe000101" })).toBeVisible();
  expect(pingAcrossSites(3)).toMatch(/3 received/);
  const flows = page.getByTestId("flow-table");
  // Client A (52:54:00:fe:00:10) → client B (…:11), pushed live into the page.
  await expect(flows.getByRole("row").filter({ hasText: "dl_src=52:54:00:fe:00:10,dl_dst=52:54:00:fe:00:11" })).toHaveCount(1, { timeout: 10_000 });
  await page.getByLabel("Filter flows").fill("52:54:00:fe:00:11");
  await expect(flows.getByRole("row").filter({ hasText: "dl_dst=52:54:00:fe:00:11" }).first()).toBeVisible();
});

/** ARP broadcasts for an overlay address nobody has: every one reaches the controller as a packet-in. */
function arpForNobody() {
  try {
    execFileSync("ip", ["netns", "exec", `${E2E_NS_PREFIX}client-a`, "ping", "-c", "2", "-i", "0.5", "-W", "1", "10.99.0.250"], { timeout: 10_000 });
  } catch {
    // Nobody answers, by design.
  }
}

test("the events page streams packet-ins with exact totals, and pauses", async ({ page }) => {
  await signIn(page);
  await page.goto(`${url()}/events`);
  await expect(page.getByText("live ·")).toBeVisible();
  arpForNobody();
  const table = page.getByTestId("event-table");
  await expect(table.getByRole("row").filter({ hasText: "packet_in" }).first()).toBeVisible({ timeout: 10_000 });
  await page.getByRole("button", { name: "Pause" }).click();
  await expect(page.getByText("paused — counts keep running")).toBeVisible();
});

test("the lab's hosts and client ports are in the inventory: Hypervisors and Network pages", async ({ page }) => {
  await signIn(page);
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Hypervisors", exact: true }).click();
  const hosts = page.getByTestId("host-table");
  for (const [host, dpid] of [["host-a1", "00000000fe000101"], ["host-b1", "00000000fe000201"]]) {
    const row = hosts.getByRole("row").filter({ hasText: host });
    await expect(row).toContainText(dpid);
    await expect(row).toContainText("connected");
    await expect(row).toContainText("up");
    // CPUs and memory as the host's own libvirtd reports them (virsh nodeinfo through the driver).
    await expect(row).toContainText(/\d[\d,]* MiB/);
  }
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Network", exact: true }).click();
  const ports = page.getByTestId("port-table");
  await expect(ports.getByRole("row").filter({ hasText: "10.99.0.201" })).toContainText("host-a1");
  await expect(ports.getByRole("row").filter({ hasText: "10.99.0.202" })).toContainText("host-b1");
});

test("the lab's two VMs are listed as instances, and each answers HTTP from the site A client", async ({ page }) => {
  await signIn(page);
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Instances", exact: true }).click();
  const table = page.getByTestId("vm-table");
  await expect(table.getByRole("row").filter({ hasText: "vm1" })).toContainText("host-a1");
  await expect(table.getByRole("row").filter({ hasText: "vm1" })).toContainText("10.99.0.11");
  await expect(table.getByRole("row").filter({ hasText: "vm2" })).toContainText("host-b1");
  await expect(table.getByRole("row").filter({ hasText: "vm2" })).toContainText("running");
  for (const [ip, name] of [["10.99.0.11", "vm1"], ["10.99.0.12", "vm2"]]) {
    const body = execFileSync("ip", ["netns", "exec", `${E2E_NS_PREFIX}client-a`, "curl", "-sS", "--max-time", "10", `http://${ip}/`], { encoding: "utf8", timeout: 15_000 });
    expect(JSON.parse(body).hostname).toBe(name);
  }
});


test("an admin live-migrates vm1 to site B from the dashboard: pre-checks, six phases, same VM afterwards", async ({ page }, testInfo) => {
  // Two tabs, a migration and the timings chart: more than the default bound on a loaded machine.
  test.setTimeout(360_000);
  const probe = () => JSON.parse(execFileSync("ip", ["netns", "exec", `${E2E_NS_PREFIX}client-a`, "curl", "-sS", "--max-time", "10", "http://10.99.0.11/"], { encoding: "utf8", timeout: 15_000 })) as { boot_id: string; requests: number };
  const before = probe();
  await signIn(page);
  // The timings chart before: its points (none on a fresh database) or its empty state.
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Migrations", exact: true }).click();
  await expect(page.getByTestId("timings")).toHaveAttribute("data-state", "ready", { timeout: 60_000 });
  const pointsBefore = await page.getByTestId("timing-point").count();
  await shot(page, testInfo, "1-timings-before");
  // A second tab watches the overview's topology while the migration runs.
  const overview = await page.context().newPage();
  await overview.goto(`${url()}/`);
  await expect(overview.getByTestId("lab-topology").locator('[data-vm-chip="vm1"][data-host="host-a1"]')).toBeVisible({ timeout: 60_000 });
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Instances", exact: true }).click();
  await page.getByTestId("vm-table").getByRole("row").filter({ hasText: "vm1" }).getByRole("button", { name: "Live migrate" }).click();
  const dialog = page.getByRole("dialog", { name: "Live migrate vm1" });
  await expect(dialog.getByText("best choice")).toBeVisible();
  await expect(dialog.getByLabel("host-b1")).toBeChecked();
  const checks = dialog.getByTestId("prechecks");
  await expect(checks.getByText("host-b1 is up")).toBeVisible();
  await expect(checks.getByText(/MiB free, vm1 needs 256 MiB/)).toBeVisible();
  await expect(checks.getByText("fail", { exact: true })).toHaveCount(0);
  await shot(page, testInfo, "2-migrate-dialog");
  await dialog.getByRole("button", { name: "Confirm migration" }).click();

  await expect(page).toHaveURL(/\/migrations\/[0-9a-f-]{36}$/, { timeout: 60_000 });
  const migrationId = /\/migrations\/([0-9a-f-]{36})$/.exec(page.url())![1]!;
  await expect(page.getByRole("heading", { name: "Migration of vm1" })).toBeVisible();
  await shot(page, testInfo, "3-migration-running");
  // The overview in the second tab, mid-migration (vm1 on both hosts with an arrow while the
  // migration is still running; a ~10 s migration can end before this step, so it is a record, not an assertion).
  const topo = overview.getByTestId("lab-topology");
  await shot(overview, testInfo, "4-overview-migrating");
  await expect(page.getByTestId("migration-status")).toContainText("completed", { timeout: 60_000 });
  await shot(page, testInfo, "5-migration-completed");
  // Its first phase is the checks run again at the start, each listed with its outcome.
  await expect(page.getByTestId("phase-timeline").locator('[data-phase="pre-migration"]')).toHaveAttribute("title", /^pass: vm1 is running on host-a1$/m);
  // On commit it moves: vm1 is a plain chip on host-b1, and no longer on host-a1.
  await expect(topo.locator('[data-vm-chip="vm1"][data-host="host-b1"][data-role="resident"]')).toBeVisible({ timeout: 60_000 });
  await expect(topo.locator('[data-vm-chip="vm1"][data-host="host-a1"]')).toHaveCount(0);
  await shot(overview, testInfo, "6-overview-after");
  await overview.close();
  const timeline = page.getByTestId("phase-timeline");
  for (const phase of ["pre-migration", "reservation", "pre-copy", "stop-and-copy", "commitment", "activation"]) {
    await expect(timeline.locator(`[data-phase="${phase}"]`)).toHaveAttribute("data-status", "done");
  }
  await expect(page.getByTestId("downtime")).toContainText("ms");
  // Progress once it is over: the throughput (the last sample's, or the average over pre-copy and
  // stop-and-copy) and the pre-copy curve, or, when pre-copy ended before two samples, why not.
  await expect(page.getByTestId("progress-figures")).toContainText(/throughput\s*\d+\.\d MB\/s/);
  if ((await page.getByRole("img", { name: "remaining memory per sample" }).count()) === 0) {
    await expect(page.getByTestId("precopy-curve-empty")).toHaveText(/^No pre-copy curve: pre-copy took \d+ ms, and [01] progress samples? arrived in that time\.$/);
  }

  // The same VM (boot id) keeps serving, now from site B across the tunnel.
  const after = probe();
  expect(after.boot_id).toBe(before.boot_id);
  expect(after.requests).toBeGreaterThan(before.requests);
  // The Network panel: vm1's MAC (as site A's client resolved it over the wire), its port now
  // bound at site B, and site A's switch sending that MAC into the tunnel after commitment.
  const mac = /lladdr ([0-9a-f:]{17})/.exec(execFileSync("ip", ["netns", "exec", `${E2E_NS_PREFIX}client-a`, "ip", "neigh", "show", "10.99.0.11"], { encoding: "utf8" }))?.[1];
  expect(mac).toBeTruthy();
  await expect(page.getByTestId("vm-mac")).toHaveText(mac!);
  await expect(page.getByTestId("port-binding")).toHaveText(/→\s*host-b\d+\s*active$/);
  const siteA = page.locator('[data-testid="switch-flows"][data-dpid="00000000fe000101"]');
  await expect(siteA).toHaveAttribute("data-host", "host-a1");
  const toward = new RegExp(`priority=90,dl_dst=${mac} actions=output:(\\d+)`);
  await expect(siteA.getByTestId("flows-after")).toContainText(toward);
  const port = toward.exec((await siteA.getByTestId("flows-after").textContent()) ?? "")![1];
  await expect(siteA.getByTestId("flows-before")).not.toContainText(new RegExp(`priority=90,dl_dst=${mac} actions=output:${port}(?!\\d)`));
  await shot(page, testInfo, "5b-migration-network-panel");
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Instances", exact: true }).click();
  await expect(page.getByTestId("vm-table").getByRole("row").filter({ hasText: "vm1" })).toContainText("host-b1");
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Migrations", exact: true }).click();
  await expect(page.getByTestId("migration-table").getByRole("row").filter({ hasText: "vm1" })).toContainText("completed");
  // The timings chart has a new point: this migration, which hovering names and clicking opens.
  const point = page.getByTestId("timings-chart").locator(`[data-testid="timing-point"][data-id="${migrationId}"]`);
  await expect(point).toHaveCount(1, { timeout: 60_000 });
  await expect(page.getByTestId("timing-point")).toHaveCount(pointsBefore + 1);
  await point.hover();
  await expect(page.getByRole("tooltip")).toContainText("vm1: host-a1 → host-b1");
  await shot(page, testInfo, "7-timings-after");
  await point.click();
  await expect(page).toHaveURL(new RegExp(`/migrations/${migrationId}$`));
});
