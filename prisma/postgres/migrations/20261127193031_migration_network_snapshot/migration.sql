-- AlterTable
ALTER TABLE "Migration" ADD COLUMN     "networkSnapshot" TEXT;
