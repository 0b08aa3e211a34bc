-- AlterTable
ALTER TABLE "Migration" ADD COLUMN "linkMbit" INTEGER;

-- CreateTable
CREATE TABLE "Image" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "name" TEXT NOT NULL,
    "description" TEXT,
    "kernel" TEXT NOT NULL,
    "initrd" TEXT NOT NULL,
    "cmdlineTemplate" TEXT NOT NULL,
    "sizeBytes" BIGINT,
    "source" TEXT NOT NULL DEFAULT 'file',
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL
);

-- CreateIndex
CREATE UNIQUE INDEX "Image_name_key" ON "Image"("name");
