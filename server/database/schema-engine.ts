// Loads Prisma's schema engine (WebAssembly) without `--experimental-wasm-modules`: the package's
// entry imports its .wasm as an ES module, so we instantiate the same file ourselves and hand the
// exports to the package's own JS glue, exactly as its entry does.
import fs from "node:fs";
import { createRequire } from "node:module";

type Bindings = typeof import("@prisma/schema-engine-wasm");
let loaded: Promise<Bindings> | null = null;

export function loadSchemaEngine(): Promise<Bindings> {
  return (loaded ??= (async () => {
    const require = createRequire(import.meta.url);
    const wasmPath = require.resolve("@prisma/schema-engine-wasm/schema_engine_bg").replace(/\.js$/, ".wasm");
    const glue = (await import("@prisma/schema-engine-wasm/schema_engine_bg")) as unknown as Bindings & {
      __wbg_set_wasm(exports: WebAssembly.Exports): void;
    };
    const { instance } = await WebAssembly.instantiate(fs.readFileSync(wasmPath), { "./schema_engine_bg.js": glue as any });
    glue.__wbg_set_wasm(instance.exports);
    (instance.exports.__wbindgen_start as () => void)();
    return glue;
  })());
}
