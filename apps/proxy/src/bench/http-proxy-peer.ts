// The peer: node-http-proxy (the `http-proxy` package) with a keep-alive agent, round-robin over the backends.
import http from "node:http";
import httpProxy from "http-proxy";

const targets = String(process.env.TARGETS).split(",");
const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
const proxy = httpProxy.createProxyServer({ agent, xfwd: true });
proxy.on("error", (_err, _req, res) => {
  if ("writeHead" in res && !res.headersSent) res.writeHead(502);
  res.end();
});
let next = 0;
http
  .createServer((req, res) => proxy.web(req, res, { target: targets[next++ % targets.length] }))
  .listen(Number(process.env.PORT), "127.0.0.1", () => process.send?.("ready"));
process.once("disconnect", () => process.exit(0));
