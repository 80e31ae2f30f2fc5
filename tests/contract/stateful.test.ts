import { beforeAll } from "vitest";
import { statefulTestApp } from "../support/stateful.js";
import { cookieClient, type Target } from "./client.js";
import { defineContractSuite } from "./suite.js";

let target: Target;
beforeAll(async () => {
  target = (await statefulTestApp()).app;
});

defineContractSuite({ name: "stateful, in process", target: () => target, client: cookieClient });
