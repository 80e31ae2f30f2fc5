#!/usr/bin/env node
// `npx statelab …` from a clone: run the TypeScript CLI through tsx's loader.
import { register } from "tsx/esm/api";

register();
await import("../src/cli.ts");
