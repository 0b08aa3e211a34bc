// What every spec needs: the server's URL (from global-setup), signing in, and step screenshots.
import { expect, type Page, type TestInfo } from "@playwright/test";

export const url = () => process.env.FERRY_E2E_URL!;

/** Signs in through the login form and waits for the Overview (first paints can be slow on a busy machine). */
export async function signIn(page: Page, username = "admin", password = process.env.FERRY_E2E_ADMIN_PASSWORD!) {
  await page.goto(`${url()}/login`);
  await page.getByLabel("Username").fill(username);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("heading", { name: "Overview" })).toBeVisible({ timeout: 45_000 });
}

/** A screenshot of this step, kept as a file in the test's output directory and attached to its report. */
export async function shot(page: Page, testInfo: TestInfo, name: string) {
  const file = testInfo.outputPath(`${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  await testInfo.attach(name, { path: file, contentType: "image/png" });
}
