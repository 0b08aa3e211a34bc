#!/usr/bin/env node
// The `ferry` command (package.json "bin"): runs the TypeScript entry through tsx, as the server does.
import { register } from "tsx/esm/api";

register();
await import("./main.ts");
