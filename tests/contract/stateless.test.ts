import { beforeAll } from "vitest";
import { statelessTestApp } from "../support/stateless.js";
import { bearerClient } from "./bearer-client.js";
import type { Target } from "./client.js";
import { defineContractSuite } from "./suite.js";

let target: Target;
beforeAll(async () => {
  target = (await statelessTestApp()).app;
});

defineContractSuite({ name: "stateless, in process", target: () => target, client: bearerClient });
