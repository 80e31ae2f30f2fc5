import { expect4xx, expectError } from "../assert.js";
import type { Check, CheckContext } from "../types.js";
import { BOTH, expectRefusedOrCut } from "./support.js";

const rawPost = (ctx: CheckContext, contentType: string, body: string | Buffer) =>
  ctx.client.request("POST", ctx.route("login")).set("Content-Type", contentType).send(body);

/** Hostile or broken requests that must each get a 4xx, never a 5xx or a stack trace. */
const GARBAGE: readonly { what: string; contentType: string; body: string }[] = [
  { what: "truncated JSON", contentType: "application/json", body: '{"username":"a","password":' },
  { what: "a bare string", contentType: "application/json", body: '"username"' },
  { what: "null", contentType: "application/json", body: "null" },
  { what: "deep nesting", contentType: "application/json", body: `${"[".repeat(5000)}${"]".repeat(5000)}` },
  { what: "numbers for strings", contentType: "application/json", body: '{"username":1,"password":2}' },
  { what: "arrays for strings", contentType: "application/json", body: '{"username":["a"],"password":["b"]}' },
  { what: "objects for strings", contentType: "application/json", body: '{"username":{"$ne":1},"password":{}}' },
  { what: "a NUL byte", contentType: "application/json", body: '{"username":"a\\u0000b","password":"x"}' },
  { what: "a lone surrogate", contentType: "application/json", body: '{"username":"\\ud800","password":"x"}' },
  { what: "a UTF-16 charset", contentType: "application/json; charset=utf-16", body: "{}" },
  { what: "form encoding", contentType: "application/x-www-form-urlencoded", body: "username=a&password=b" },
  { what: "XML", contentType: "application/xml", body: "<a/>" },
];

/** HTTP input: bad bodies are the client's fault (4xx), never the server's (5xx). */
export const httpChecks: Check[] = [
  {
    id: "http.malformed-json",
    area: "http",
    title: "malformed JSON → 400 malformed_json",
    kinds: BOTH,
    async run(ctx) {
      const res = await rawPost(ctx, "application/json", "{oops");
      expectError(ctx.mapping, res, 400, "malformed_json", "login with the body {oops");
    },
  },
  {
    id: "http.content-type",
    area: "http",
    title: "a body that is not application/json → 415 unsupported_media_type",
    kinds: BOTH,
    async run(ctx) {
      const res = await rawPost(ctx, "text/plain", "username=a");
      expectError(ctx.mapping, res, 415, "unsupported_media_type", "login with a text/plain body");
    },
  },
  {
    id: "http.oversized-body",
    area: "http",
    title: "a 1 MB body → 413 payload_too_large",
    kinds: BOTH,
    async run(ctx) {
      const { username, password } = ctx.mapping.fields;
      const body = JSON.stringify({ [username]: ctx.uniqueName(), [password]: "p".repeat(1_000_000) });
      const res = await rawPost(ctx, "application/json", body);
      expectError(ctx.mapping, res, 413, "payload_too_large", "login with a 1 MB body");
    },
  },
  {
    id: "http.unknown-keys",
    area: "http",
    title: "extra keys (__proto__, constructor) in a body → 400 invalid_request",
    kinds: BOTH,
    async run(ctx) {
      const { username, password } = ctx.mapping.fields;
      for (const extra of ['"__proto__":{"admin":true}', '"constructor":{"prototype":{"admin":true}}']) {
        const body = `{"${username}":"${ctx.uniqueName()}","${password}":"whatever-123",${extra}}`;
        const res = await rawPost(ctx, "application/json", body);
        expectError(ctx.mapping, res, 400, "invalid_request", `login with ${extra.slice(0, 15)}…`);
      }
    },
  },
  {
    id: "http.oversized-header",
    area: "http",
    title: "a 20 KB Cookie header → 431 (or the connection cut), never 5xx",
    kinds: BOTH,
    async run(ctx) {
      const request = async () => ctx.client.request("GET", ctx.route("me")).set("Cookie", `big=${"x".repeat(20_000)}`);
      await expectRefusedOrCut(request, [431], "GET /me with a 20 KB cookie");
    },
  },
  {
    id: "http.garbage",
    area: "http",
    title: `${GARBAGE.length} broken bodies (truncated, nested, wrong types, NUL, charsets) → 4xx each`,
    kinds: BOTH,
    async run(ctx) {
      for (const { what, contentType, body } of GARBAGE) {
        const res = await rawPost(ctx, contentType, body);
        expect4xx(res, `login with ${what}`);
      }
    },
  },
];
