-- AlterTable
ALTER TABLE "Migration" ADD COLUMN     "hypervisorWallMs" DOUBLE PRECISION;
