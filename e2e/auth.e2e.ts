import { expect, test } from "@playwright/test";

const url = () => process.env.FERRY_E2E_URL!;
const adminPassword = () => process.env.FERRY_E2E_ADMIN_PASSWORD!;

test("a protected page without a session redirects to the sign-in page", async ({ page }) => {
  await page.goto(`${url()}/switches`);
  await expect(page).toHaveURL(`${url()}/login?next=%2Fswitches`);
  await expect(page.getByRole("heading", { name: "Sign in" })).toBeVisible();
});

test("a wrong password is refused with a clear message and no session", async ({ page, context }) => {
  await page.goto(`${url()}/login`);
  await page.getByLabel("Username").fill("admin");
  await page.getByLabel("Password").fill("not-the-password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("alert").filter({ hasText: "wrong" })).toHaveText("wrong username or password");
  expect((await context.cookies()).some((c) => c.name === "ferry_session")).toBe(false);
});

test("the printed admin signs in, sees the shell, signs out, and is sent back to sign-in", async ({ page, context }) => {
  await page.goto(`${url()}/audit`);
  await expect(page).toHaveURL(/\/login\?next=%2Faudit$/);
  await page.getByLabel("Username").fill("admin");
  await page.getByLabel("Password").fill(adminPassword());
  await page.getByRole("button", { name: "Sign in" }).click();

  // Back where we wanted to go, inside the shell.
  await expect(page).toHaveURL(`${url()}/audit`);
  const nav = page.getByRole("navigation", { name: "Main" });
  for (const item of ["Overview", "Hypervisors", "Instances", "Migrations", "Switches", "Events", "Network", "Audit"]) {
    await expect(nav.getByRole("link", { name: item, exact: true })).toBeVisible();
  }
  await expect(page.getByTestId("signed-in-user")).toContainText("admin");
  await expect(page.getByTestId("live-indicator")).toHaveAttribute("data-state", "live");
  // The sign-in we just made is in the audit log, next to the refused one from the earlier test.
  const table = page.getByTestId("audit-table");
  await expect(table.getByRole("row").filter({ hasText: "auth.login" }).filter({ hasText: "ok" }).first()).toBeVisible();

  const cookie = (await context.cookies()).find((c) => c.name === "ferry_session");
  expect(cookie?.httpOnly).toBe(true);
  expect(cookie?.sameSite).toBe("Strict");

  await nav.getByRole("link", { name: "Overview", exact: true }).click();
  await expect(page.getByRole("heading", { name: "Overview" })).toBeVisible();
  await expect(page.getByTestId("database-kind")).toHaveText("SQLite");

  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(`${url()}/login`);
  expect((await context.cookies()).some((c) => c.name === "ferry_session" && c.value !== "")).toBe(false);

  // The old session is gone server-side too: a protected page redirects again.
  await page.goto(`${url()}/instances`);
  await expect(page).toHaveURL(`${url()}/login?next=%2Finstances`);
});
