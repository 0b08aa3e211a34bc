// Kernel command-line templates of catalogue images: placeholders such as {ip} are filled from
// the new instance's port. Pure functions.

export const PLACEHOLDERS = ["ip", "prefix", "cidr", "gateway", "name", "mac", "fill_mb", "dirty_mbps"] as const;
export type Placeholder = (typeof PLACEHOLDERS)[number];
export type TemplateValues = Partial<Record<Placeholder, string | number>>;

const PLACEHOLDER_RE = /\{([^{}]*)\}/g;
// The kernel command line has no quoting: values must need none.
const SAFE_VALUE = /^[A-Za-z0-9._:/-]+$/;
/** x86 kernels accept 2048 bytes; leave room for what the hypervisor adds. */
export const MAX_CMDLINE = 1900;

/** Placeholders a template uses; throws on unknown ones or a malformed template. */
export function templatePlaceholders(template: string): Set<Placeholder> {
  if (template.length === 0 || template.length > MAX_CMDLINE) throw new Error(`the command line template must be 1–${MAX_CMDLINE} characters`);
  if (/[\n\r\0]/.test(template)) throw new Error("the command line template must be one line");
  const found = new Set<Placeholder>();
  for (const m of template.matchAll(PLACEHOLDER_RE)) {
    const key = m[1]!;
    if (!(PLACEHOLDERS as readonly string[]).includes(key)) {
      throw new Error(`unknown placeholder {${key}} in the command line template (known: ${PLACEHOLDERS.map((p) => `{${p}}`).join(", ")})`);
    }
    found.add(key as Placeholder);
  }
  if (/[{}]/.test(template.replace(PLACEHOLDER_RE, ""))) throw new Error("unbalanced { or } in the command line template");
  return found;
}

/** The template with every placeholder replaced; throws if one has no (or an unsafe) value. */
export function fillTemplate(template: string, values: TemplateValues): string {
  templatePlaceholders(template);
  return template.replace(PLACEHOLDER_RE, (_, key: Placeholder) => {
    const v = values[key];
    if (v === undefined || v === null || v === "") throw new Error(`the image's command line needs {${key}}, which this instance does not have`);
    const s = String(v);
    if (!SAFE_VALUE.test(s)) throw new Error(`value for {${key}} is not safe on a kernel command line: ${JSON.stringify(s)}`);
    return s;
  });
}

/**
 * Turns a rendered command line into a template by replacing the values of `key=` options with
 * placeholders, e.g. { "ferry.ip": "{ip}/{prefix}" }. Every key must be present once.
 */
export function templateFromCmdline(cmdline: string, keys: Record<string, string>): string {
  let out = cmdline;
  for (const [key, placeholder] of Object.entries(keys)) {
    const re = new RegExp(`(^|\\s)${key.replace(/\./g, "\\.")}=\\S*`, "g");
    const hits = out.match(re)?.length ?? 0;
    if (hits !== 1) throw new Error(`option ${key}= appears ${hits} times in "${cmdline}"`);
    out = out.replace(re, (m, lead: string) => `${lead}${key}=${placeholder}`);
  }
  return out;
}
