-- AlterTable
ALTER TABLE "Migration" ADD COLUMN "hypervisorTransferMs" REAL;
