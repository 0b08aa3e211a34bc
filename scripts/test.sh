#!/usr/bin/env bash
# Runs every test — unit, integration and browser (e2e) — after installing what they need.
# Prints one closing line: "tests: N passed, M failed". Exits non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")/.."

bash scripts/install.sh || exit 1
mkdir -p test-reports

# Database-facing tests run on SQLite and, here, on a private PostgreSQL server as well.
source scripts/test-postgres.sh
if [ -z "${FERRY_TEST_POSTGRES_URL:-}" ]; then
  pg_test_start || exit 1
  trap pg_test_stop EXIT
fi
rm -f test-reports/vitest.json test-reports/playwright.json

npm run --silent test:unit -- --reporter=default --reporter=json --outputFile.json=test-reports/vitest.json
unit=$?
PLAYWRIGHT_JSON_OUTPUT_NAME=test-reports/playwright.json npm run --silent test:e2e -- --reporter=list,json
e2e=$?

node -e '
const fs = require("fs");
const read = (f) => { try { return JSON.parse(fs.readFileSync(f, "utf8")); } catch { return null; } };
const v = read("test-reports/vitest.json"), p = read("test-reports/playwright.json");
let passed = 0, failed = 0, skipped = 0;
if (v) { passed += v.numPassedTests; failed += v.numFailedTests; skipped += v.numPendingTests + (v.numTodoTests || 0); }
if (p) { passed += p.stats.expected + p.stats.flaky; failed += p.stats.unexpected; skipped += p.stats.skipped; }
if (!v) failed += 1; if (!p) failed += 1;  // a runner that produced no report counts as a failure
console.log(`tests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
'
[ $unit -eq 0 ] && [ $e2e -eq 0 ]
