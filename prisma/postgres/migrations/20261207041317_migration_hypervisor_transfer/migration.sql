-- AlterTable
ALTER TABLE "Migration" ADD COLUMN     "hypervisorTransferMs" DOUBLE PRECISION;
