-- AlterTable
ALTER TABLE "Migration" ADD COLUMN "pauseMs" REAL;
