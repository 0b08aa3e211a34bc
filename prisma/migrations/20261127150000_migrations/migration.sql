-- CreateTable
CREATE TABLE "Migration" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "vmId" TEXT NOT NULL,
    "vmName" TEXT NOT NULL,
    "sourceHost" TEXT NOT NULL,
    "destHost" TEXT NOT NULL,
    "memoryMiB" INTEGER NOT NULL,
    "status" TEXT NOT NULL,
    "phase" TEXT NOT NULL,
    "options" TEXT,
    "startedBy" TEXT NOT NULL,
    "startedAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "finishedAt" DATETIME,
    "error" TEXT,
    "downtimeMs" REAL,
    "switchoverMs" REAL,
    "totalTimeMs" REAL,
    "hypervisorTotalMs" REAL,
    "transferredBytes" BIGINT,
    "passes" INTEGER
);

-- CreateTable
CREATE TABLE "MigrationPhase" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "migrationId" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "startedAt" DATETIME,
    "endedAt" DATETIME,
    "detail" TEXT,
    CONSTRAINT "MigrationPhase_migrationId_fkey" FOREIGN KEY ("migrationId") REFERENCES "Migration" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "MigrationSample" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "migrationId" TEXT NOT NULL,
    "at" DATETIME NOT NULL,
    "status" TEXT NOT NULL,
    "pass" INTEGER,
    "transferredBytes" BIGINT,
    "remainingBytes" BIGINT,
    "totalBytes" BIGINT,
    "dirtyPagesRate" REAL,
    "throughputBps" REAL,
    "expectedDowntimeMs" REAL,
    CONSTRAINT "MigrationSample_migrationId_fkey" FOREIGN KEY ("migrationId") REFERENCES "Migration" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateIndex
CREATE INDEX "Migration_vmId_idx" ON "Migration"("vmId");

-- CreateIndex
CREATE INDEX "Migration_startedAt_idx" ON "Migration"("startedAt");

-- CreateIndex
CREATE UNIQUE INDEX "MigrationPhase_migrationId_name_key" ON "MigrationPhase"("migrationId", "name");

-- CreateIndex
CREATE INDEX "MigrationSample_migrationId_at_idx" ON "MigrationSample"("migrationId", "at");
