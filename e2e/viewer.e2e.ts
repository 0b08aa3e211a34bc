import { expect as baseExpect, test, type Page } from "@playwright/test";
import { shot, signIn, url } from "./helpers";

// Pages read live state from the lab; on a shared, loaded 2-core machine a first paint can take tens of seconds.
const expect = baseExpect.configure({ timeout: 45_000 });
test.describe.configure({ timeout: 300_000 });

const VIEWER = { username: "e2e-viewer", password: "viewer-password-1" };



/** A tRPC mutation sent by hand from the page, as a forged request would be: same origin, the page's own cookie. */
function postMutation(page: Page, procedure: string, input: unknown) {
  return page.evaluate(
    async ({ procedure, input }) => {
      const res = await fetch(`/api/trpc/${procedure}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ json: input }) });
      return { status: res.status, body: await res.text() };
    },
    { procedure, input },
  );
}

test("a viewer sees no migrate or launch button, and a forged migration from the viewer's browser is refused and audited", async ({ browser }, testInfo) => {
  // The admin creates the viewer through the users router, from the admin's own signed-in browser.
  const adminCtx = await browser.newContext();
  const admin = await adminCtx.newPage();
  await signIn(admin, "admin", process.env.FERRY_E2E_ADMIN_PASSWORD!);
  const created = await postMutation(admin, "users.create", { ...VIEWER, role: "viewer" });
  expect(created.status, created.body).toBe(200);

  const viewerCtx = await browser.newContext();
  const page = await viewerCtx.newPage();
  await signIn(page, VIEWER.username, VIEWER.password);
  await expect(page.getByTestId("signed-in-user")).toContainText("viewer");

  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Instances", exact: true }).click();
  const table = page.getByTestId("vm-table");
  await expect(table.getByRole("row").filter({ hasText: "vm1" })).toBeVisible();
  await expect(page.getByRole("button", { name: /migrate/i })).toHaveCount(0);
  await expect(page.getByRole("button", { name: /launch/i })).toHaveCount(0);
  await shot(page, testInfo, "viewer-instances");

  const forged = await postMutation(page, "migrations.start", { vm: "vm1", destHost: "host-b1", options: {} });
  expect(forged.status).toBe(403);
  expect(forged.body).toContain("admin role");

  // The refusal is in the audit log, with the viewer's name, as "denied"; no migration was started by the viewer.
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Audit", exact: true }).click();
  const audit = page.getByTestId("audit-table");
  const row = audit.getByRole("row").filter({ hasText: "migrations.start" }).filter({ hasText: VIEWER.username });
  await expect(row.first()).toContainText("denied");
  await shot(page, testInfo, "viewer-audit-denied");
  const mine = await page.evaluate(async (who) => {
    const res = await fetch(`/api/trpc/migrations.list?input=${encodeURIComponent(JSON.stringify({ json: { limit: 500 } }))}`);
    const list = (await res.json()).result.data.json as { startedBy: string }[];
    return list.filter((m) => m.startedBy === who).length;
  }, VIEWER.username);
  expect(mine).toBe(0);

  await viewerCtx.close();
  await adminCtx.close();
});
