// A tiny upstream for the proxy benchmark: its own process, so its CPU is not the proxy's.
import http from "node:http";

const port = Number(process.env.PORT);
const id = String(process.env.BACKEND_ID);
const body = JSON.stringify({ ok: true, instance: id });
http
  .createServer((_req, res) => {
    res.writeHead(200, {
      "content-type": "application/json",
      "content-length": Buffer.byteLength(body),
      "x-instance-id": id,
    });
    res.end(body);
  })
  .listen(port, "127.0.0.1", () => process.send?.("ready"));
process.once("disconnect", () => process.exit(0));
