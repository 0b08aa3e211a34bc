// The image catalogue (the Glance role): the lab's guest image, registered when the lab syncs its
// inventory, and kernel + initrd pairs an administrator registers from shared storage.
import "server-only";
import fs from "node:fs";
import path from "node:path";
import type { Db } from "../db";
import type { HypervisorDriver } from "../hypervisors/driver";
import { guestCmdline } from "../lab/guest/image";
import { InventoryError } from "./errors";
import { templateFromCmdline, templatePlaceholders } from "./image-template";

/** The lab guest's catalogue name (also what the lab's own VMs record as their image). */
export const LAB_IMAGE = "ferry-guest";
export const IMAGE_NAME_RE = /^[a-z0-9][a-z0-9._-]{0,62}$/;

/**
 * The lab guest's command line with the per-instance values as placeholders. Rendered by the
 * guest's own guestCmdline(), so the template follows the image's recipe.
 */
export function labCmdlineTemplate(): string {
  const sample = guestCmdline({ ip: "192.0.2.10/24", hostname: "sample", fillMb: 1, dirtyMbps: 1 });
  return templateFromCmdline(sample, {
    "ferry.ip": "{ip}/{prefix}",
    "ferry.hostname": "{name}",
    "ferry.fill_mb": "{fill_mb}",
    "ferry.dirty_mbps": "{dirty_mbps}",
  });
}

function fileSize(p: string): number | null {
  try {
    const st = fs.statSync(p);
    return st.isFile() ? st.size : null;
  } catch {
    return null;
  }
}

/** Adds (or refreshes) the lab guest in the catalogue, if its files exist in `guestDir`. */
export async function registerLabImage(db: Db, guestDir: string): Promise<boolean> {
  const kernel = path.join(guestDir, "vmlinuz");
  const initrd = path.join(guestDir, "initrd.img");
  const k = fileSize(kernel);
  const i = fileSize(initrd);
  if (k === null || i === null) return false;
  const data = {
    description: "Lab guest: Debian cloud kernel + busybox; serves JSON on port 80; optional memory load",
    kernel,
    initrd,
    cmdlineTemplate: labCmdlineTemplate(),
    sizeBytes: BigInt(k + i),
    source: "lab",
  };
  await db.image.upsert({ where: { name: LAB_IMAGE }, create: { name: LAB_IMAGE, ...data }, update: data });
  return true;
}

export interface CatalogueImage {
  id: string;
  name: string;
  description: string | null;
  kernel: string;
  initrd: string;
  cmdlineTemplate: string;
  sizeBytes: number | null;
  source: string;
  /** Its kernel and initrd are files on this server's view of shared storage. */
  available: boolean;
  /** The template takes {fill_mb} / {dirty_mbps} (the guest can load its memory). */
  memoryLoad: boolean;
  createdAt: Date;
}

export async function listImages(db: Db): Promise<CatalogueImage[]> {
  const rows = await db.image.findMany({ orderBy: { name: "asc" } });
  // The lab's own image first: the Launch dialog preselects the first available one.
  rows.sort((a, b) => Number(b.source === "lab") - Number(a.source === "lab"));
  return rows.map((r) => {
    let placeholders = new Set<string>();
    try {
      placeholders = templatePlaceholders(r.cmdlineTemplate);
    } catch {
      // A template that no longer parses just offers no memory load.
    }
    return {
      id: r.id,
      name: r.name,
      description: r.description,
      kernel: r.kernel,
      initrd: r.initrd,
      cmdlineTemplate: r.cmdlineTemplate,
      sizeBytes: r.sizeBytes === null ? null : Number(r.sizeBytes),
      source: r.source,
      available: fileSize(r.kernel) !== null && fileSize(r.initrd) !== null,
      memoryLoad: placeholders.has("fill_mb"),
      createdAt: r.createdAt,
    };
  });
}

/** Storage paths each host reports (hosts that do not answer within the bound are left out). */
export async function hostStoragePaths(drivers: Map<string, HypervisorDriver>, boundMs = 10_000): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  await Promise.all(
    [...drivers].map(async ([name, d]) => {
      const facts = await Promise.race([d.facts().catch(() => null), new Promise<null>((r) => setTimeout(() => r(null), boundMs))]);
      if (facts) out.set(name, facts.storagePaths);
    }),
  );
  return out;
}

function realOrNull(p: string): string | null {
  try {
    return fs.realpathSync(p);
  } catch {
    return null;
  }
}

/** Whether `file` (resolved, symlinks followed) lies inside `root`. */
export function isUnder(file: string, root: string): boolean {
  const r = realOrNull(root);
  const f = realOrNull(file);
  if (!r || !f) return false;
  return f === r || f.startsWith(r.endsWith(path.sep) ? r : r + path.sep);
}

/** A kernel/initrd path: absolute, an existing regular file, under one of `roots`. */
function checkImageFile(label: string, p: string, roots: string[]): number {
  if (!path.isAbsolute(p)) throw new InventoryError("BAD_INPUT", `${label}: "${p}" is not an absolute path`);
  if (/[,\s'"\\]/.test(p)) throw new InventoryError("BAD_INPUT", `${label}: "${p}" contains a comma, space, quote or backslash, which the hypervisors cannot take`);
  let st: fs.Stats;
  try {
    st = fs.statSync(p);
  } catch {
    throw new InventoryError("BAD_INPUT", `${label}: ${p} does not exist`);
  }
  if (!st.isFile()) throw new InventoryError("BAD_INPUT", `${label}: ${p} is ${st.isDirectory() ? "a directory" : "not a regular file"}`);
  if (!roots.some((r) => isUnder(p, r))) {
    throw new InventoryError("BAD_INPUT", `${label}: ${p} is not on shared storage (the hosts report ${roots.join(", ")})`);
  }
  return st.size;
}

export interface RegisterImageInput {
  name: string;
  description?: string;
  kernel: string;
  initrd: string;
  /** Default: the lab guest's template (images built from its recipe take the same options). */
  cmdlineTemplate?: string;
}

export async function registerFileImage(db: Db, drivers: Map<string, HypervisorDriver>, input: RegisterImageInput): Promise<CatalogueImage> {
  if (!IMAGE_NAME_RE.test(input.name)) throw new InventoryError("BAD_INPUT", "image name: 1–63 lowercase letters, digits, '.', '_' or '-', starting with a letter or digit");
  if (await db.image.findUnique({ where: { name: input.name } })) throw new InventoryError("CONFLICT", `an image named "${input.name}" is already in the catalogue`);
  const template = input.cmdlineTemplate?.trim() || labCmdlineTemplate();
  try {
    templatePlaceholders(template);
  } catch (e) {
    throw new InventoryError("BAD_INPUT", (e as Error).message);
  }
  const storage = await hostStoragePaths(drivers);
  const roots = [...new Set([...storage.values()].flat())];
  if (roots.length === 0) throw new InventoryError("BAD_INPUT", "no host reports a shared storage path, so no image file can be checked (are the hosts up?)");
  const size = checkImageFile("kernel", input.kernel, roots) + checkImageFile("initrd", input.initrd, roots);
  await db.image.create({
    data: { name: input.name, description: input.description?.trim() || null, kernel: input.kernel, initrd: input.initrd, cmdlineTemplate: template, sizeBytes: BigInt(size), source: "file" },
  });
  return (await listImages(db)).find((i) => i.name === input.name)!;
}

/** Removes an administrator-registered image (the lab's own image comes back with the lab). */
export async function removeImage(db: Db, name: string): Promise<void> {
  const img = await db.image.findUnique({ where: { name } });
  if (!img) throw new InventoryError("NOT_FOUND", `no image "${name}" in the catalogue`);
  if (img.source === "lab") throw new InventoryError("CONFLICT", `"${name}" is the lab's own image; it is registered again whenever the lab starts`);
  await db.image.delete({ where: { name } });
}
