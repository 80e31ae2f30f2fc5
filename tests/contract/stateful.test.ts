import { beforeAll } from "vitest";
import { statefulTestApp } from "../support/stateful.js";
import { defineCheckSuite, listenForFile } from "./suite.js";

let url: string;
beforeAll(async () => {
  url = await listenForFile((await statefulTestApp()).app);
});

defineCheckSuite({ name: "stateful, in process", kind: "cookie", target: () => ({ baseUrl: url }) });
