import type { SigningKey } from "@statelab/check";
import { beforeAll } from "vitest";
import { statelessTestApp } from "../support/stateless.js";
import { defineCheckSuite, listenForFile } from "./suite.js";

let url: string;
let signingKeys: SigningKey[];
beforeAll(async () => {
  const { app, keys } = await statelessTestApp();
  url = await listenForFile(app);
  signingKeys = [keys.signer];
});

defineCheckSuite({ name: "stateless, in process", kind: "bearer", target: () => ({ baseUrl: url, signingKeys }) });
