-- AlterTable
ALTER TABLE "Migration" ADD COLUMN "hypervisorWallMs" REAL;
