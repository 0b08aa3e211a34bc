import { execFileSync } from "node:child_process";
import { expect, test, type Page } from "@playwright/test";
import { signIn, url } from "./helpers";
import { E2E_NS_PREFIX } from "./global-setup";

const NAME = "e2e-web";


/** GET / on the VM from the site-A client (inside the lab's namespace), a bounded number of tries. */
function httpFromSiteA(ip: string): { hostname: string; ip: string } | null {
  for (let i = 0; i < 15; i++) {
    try {
      return JSON.parse(execFileSync("ip", ["netns", "exec", `${E2E_NS_PREFIX}client-a`, "curl", "-sS", "--max-time", "5", `http://${ip}/`], { encoding: "utf8", timeout: 10_000 }));
    } catch {
      execFileSync("sleep", ["1"]);
    }
  }
  return null;
}

/** Domains host-a1's own libvirtd knows, asked over its TCP listener inside the host's namespace. */
function domainsOnA1(): string[] {
  const out = execFileSync("ip", ["netns", "exec", `${E2E_NS_PREFIX}host-a1`, "virsh", "-c", "qemu+tcp://10.250.1.11/system", "list", "--all", "--name"], { encoding: "utf8", timeout: 30_000 });
  return out.split("\n").map((s) => s.trim()).filter(Boolean);
}

test("an admin launches a 512 MiB instance at site A from the catalogue; it serves HTTP; shut down and deleted, it is gone", async ({ page }) => {
  test.setTimeout(400_000);
  await signIn(page);
  try {
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Instances", exact: true }).click();
    // The first visit may wait for the hosts to answer on a busy machine.
    await expect(page.getByTestId("vm-table")).toBeVisible({ timeout: 60_000 });
    await page.screenshot({ path: test.info().outputPath("instances.png"), fullPage: true });

    await page.getByRole("button", { name: "Launch instance" }).click();
    const dialog = page.getByRole("dialog", { name: "Launch instance" });
    await expect(dialog.getByRole("radio", { name: /ferry-guest/ })).toBeChecked();
    await dialog.getByLabel("Name").fill(NAME);
    await dialog.getByRole("button", { name: "512 MiB" }).click();
    await dialog.getByRole("radio", { name: /Automatic at site A/ }).check();
    await expect(dialog.getByText(/host-a1/).first()).toBeVisible({ timeout: 30_000 });
    await page.screenshot({ path: test.info().outputPath("launch-dialog.png"), fullPage: true });
    await dialog.getByRole("button", { name: "Launch", exact: true }).click();

    // The instance's page: pending while it boots, then running.
    await expect(page.getByRole("heading", { name: `Instance ${NAME}` })).toBeVisible({ timeout: 60_000 });
    await expect(page.getByText("on host-a1 (site A)")).toBeVisible();
    await page.screenshot({ path: test.info().outputPath("instance-booting.png"), fullPage: true });
    await expect(page.getByTestId("boot-progress")).toBeHidden({ timeout: 240_000 });
    await expect(page.getByRole("heading", { name: `Instance ${NAME}` }).getByText("running", { exact: true })).toBeVisible();
    const ports = page.getByTestId("vm-ports");
    await expect(ports).toContainText("host-a1");
    await expect(ports).toContainText("active");
    const ip = (await ports.getByRole("row").nth(1).getByRole("cell").first().innerText()).trim();
    expect(ip).toMatch(/^10\.99\.0\.\d+$/);
    await page.screenshot({ path: test.info().outputPath("instance-running.png"), fullPage: true });

    expect(httpFromSiteA(ip)).toMatchObject({ hostname: NAME, ip });
    expect(domainsOnA1()).toContain(NAME);

    const actions = page.getByRole("group", { name: "Instance actions" });
    await actions.getByRole("button", { name: "Shut down" }).click();
    const confirmOff = page.getByRole("dialog", { name: `Shut down ${NAME}?` });
    await confirmOff.getByRole("button", { name: "Shut down" }).click();
    await expect(confirmOff).toBeHidden({ timeout: 60_000 });
    await expect(page.getByRole("heading", { name: `Instance ${NAME}` }).getByText("shutoff", { exact: true })).toBeVisible();

    await actions.getByRole("button", { name: "Delete" }).click();
    const confirmDel = page.getByRole("dialog", { name: `Delete ${NAME}?` });
    await page.screenshot({ path: test.info().outputPath("confirm-delete.png"), fullPage: true });
    await confirmDel.getByRole("button", { name: "Delete" }).click();
    await expect(page).toHaveURL(/\/instances$/, { timeout: 60_000 });
    await expect(page.getByTestId("vm-table").getByRole("link", { name: NAME })).toHaveCount(0);

    // Gone from the hypervisor and from the registry (no port left on the Network page).
    expect(domainsOnA1()).not.toContain(NAME);
    await page.goto(`${url()}/instances/${NAME}`);
    await expect(page.getByRole("alert").filter({ hasText: `no instance named "${NAME}"` })).toBeVisible();
    await page.goto(`${url()}/network`);
    await expect(page.getByText("lab-overlay").first()).toBeVisible();
    await expect(page.getByText(ip, { exact: true })).toHaveCount(0);
  } finally {
    // A failure half-way must not leave the instance behind for the specs that follow.
    await page.request
      .post(`${url()}/api/trpc/instances.delete`, { data: { json: { name: NAME } }, headers: { "x-ferry-client": "e2e-cleanup" } })
      .catch(() => undefined);
  }
});
