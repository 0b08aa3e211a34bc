-- AlterTable
ALTER TABLE "Migration" ADD COLUMN     "pauseMs" DOUBLE PRECISION;
