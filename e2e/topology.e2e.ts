import { expect as baseExpect, test } from "@playwright/test";
import { shot, signIn, url } from "./helpers";

// Pages read live state from the lab; on a shared, loaded 2-core machine a first paint can take tens of seconds.
const expect = baseExpect.configure({ timeout: 45_000 });

// A cap low enough that pre-copy of the lab guest lasts long enough to look at the topology mid-flight.
const CAP_MIBPS = "4";

test("while vm2 migrates to site A the overview shows it on both hosts with an arrow and its progress; on commit it moves", async ({ page }, testInfo) => {
  test.setTimeout(600_000);
  await signIn(page);
  // The overview in its own tab, open before the migration starts: everything after comes live.
  const overview = await page.context().newPage();
  await overview.goto(`${url()}/`);
  const topo = overview.getByTestId("lab-topology");
  const chip = (host: string, role: string) => topo.locator(`[data-vm-chip="vm2"][data-host="${host}"][data-role="${role}"]`);
  await expect(chip("host-b1", "resident")).toBeVisible({ timeout: 60_000 });
  await expect(topo.locator('[data-vm-chip="vm2"][data-host="host-a1"]')).toHaveCount(0);

  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Instances", exact: true }).click();
  await page.getByTestId("vm-table").getByRole("row").filter({ hasText: "vm2" }).getByRole("button", { name: "Live migrate" }).click();
  const dialog = page.getByRole("dialog", { name: "Live migrate vm2" });
  await expect(dialog.getByLabel("host-a1")).toBeChecked();
  await dialog.getByText("Advanced").click();
  await dialog.getByLabel("Bandwidth cap (MiB/s)").fill(CAP_MIBPS);
  await expect(dialog.getByTestId("prechecks").getByText("host-a1 is up")).toBeVisible();
  await expect(dialog.getByTestId("prechecks").getByText("fail", { exact: true })).toHaveCount(0);
  await dialog.getByRole("button", { name: "Confirm migration" }).click();
  await expect(page).toHaveURL(/\/migrations\/[0-9a-f-]{36}$/, { timeout: 60_000 });
  const migrationId = /\/migrations\/([0-9a-f-]{36})$/.exec(page.url())![1]!;

  // In flight: vm2 on its source (where it goes, with the progress) and on its destination (a
  // dashed chip with the phase and progress), joined by an arrow; nowhere as a resident VM.
  const source = chip("host-b1", "source");
  const dest = chip("host-a1", "destination");
  await expect(source).toBeVisible();
  await expect(dest).toBeVisible();
  await expect(source).toContainText(/→ host-a1 \d+%/);
  await expect(dest).toContainText(/← host-b1 · [a-z-]+ \d+%/);
  await expect(source.getByRole("link")).toHaveAttribute("href", `/migrations/${migrationId}`);
  await expect(topo.locator('[data-vm-chip="vm2"][data-role="resident"]')).toHaveCount(0);
  const arrows = topo.getByTestId("migration-arrows");
  await expect(arrows.locator("path[marker-end]")).toHaveCount(1);
  // The progress moves while it is in flight (the chips are still there when it is read).
  await expect
    .poll(async () => {
      const text = await dest.innerText();
      return Number(/(\d+)%/.exec(text)?.[1] ?? -1);
    }, { timeout: 120_000 })
    .toBeGreaterThan(0);
  await expect(source).toBeVisible();
  await expect(arrows.locator("text")).toHaveText(/\d+%/);
  await shot(overview, testInfo, "1-overview-in-flight");
  await shot(page, testInfo, "2-migration-running");

  await expect(page.getByTestId("migration-status")).toContainText("completed", { timeout: 300_000 });
  await shot(page, testInfo, "3-migration-completed");
  // On commit it moves: a plain chip on host-a1, nothing of vm2 on host-b1, no arrow.
  await expect(chip("host-a1", "resident")).toBeVisible({ timeout: 60_000 });
  await expect(topo.locator('[data-vm-chip="vm2"][data-host="host-b1"]')).toHaveCount(0);
  await expect(topo.locator('[data-vm-chip="vm2"][data-role="destination"]')).toHaveCount(0);
  await expect(topo.getByTestId("migration-arrows")).toHaveCount(0);
  await shot(overview, testInfo, "4-overview-after");
  await overview.close();
});
