-- CreateTable
CREATE TABLE "Migration" (
    "id" TEXT NOT NULL,
    "vmId" TEXT NOT NULL,
    "vmName" TEXT NOT NULL,
    "sourceHost" TEXT NOT NULL,
    "destHost" TEXT NOT NULL,
    "memoryMiB" INTEGER NOT NULL,
    "status" TEXT NOT NULL,
    "phase" TEXT NOT NULL,
    "options" TEXT,
    "startedBy" TEXT NOT NULL,
    "startedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "finishedAt" TIMESTAMP(3),
    "error" TEXT,
    "downtimeMs" DOUBLE PRECISION,
    "switchoverMs" DOUBLE PRECISION,
    "totalTimeMs" DOUBLE PRECISION,
    "hypervisorTotalMs" DOUBLE PRECISION,
    "transferredBytes" BIGINT,
    "passes" INTEGER,

    CONSTRAINT "Migration_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "MigrationPhase" (
    "id" TEXT NOT NULL,
    "migrationId" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "startedAt" TIMESTAMP(3),
    "endedAt" TIMESTAMP(3),
    "detail" TEXT,

    CONSTRAINT "MigrationPhase_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "MigrationSample" (
    "id" SERIAL NOT NULL,
    "migrationId" TEXT NOT NULL,
    "at" TIMESTAMP(3) NOT NULL,
    "status" TEXT NOT NULL,
    "pass" INTEGER,
    "transferredBytes" BIGINT,
    "remainingBytes" BIGINT,
    "totalBytes" BIGINT,
    "dirtyPagesRate" DOUBLE PRECISION,
    "throughputBps" DOUBLE PRECISION,
    "expectedDowntimeMs" DOUBLE PRECISION,

    CONSTRAINT "MigrationSample_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "Migration_vmId_idx" ON "Migration"("vmId");

-- CreateIndex
CREATE INDEX "Migration_startedAt_idx" ON "Migration"("startedAt");

-- CreateIndex
CREATE UNIQUE INDEX "MigrationPhase_migrationId_name_key" ON "MigrationPhase"("migrationId", "name");

-- CreateIndex
CREATE INDEX "MigrationSample_migrationId_at_idx" ON "MigrationSample"("migrationId", "at");

-- AddForeignKey
ALTER TABLE "MigrationPhase" ADD CONSTRAINT "MigrationPhase_migrationId_fkey" FOREIGN KEY ("migrationId") REFERENCES "Migration"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "MigrationSample" ADD CONSTRAINT "MigrationSample_migrationId_fkey" FOREIGN KEY ("migrationId") REFERENCES "Migration"("id") ON DELETE CASCADE ON UPDATE CASCADE;
