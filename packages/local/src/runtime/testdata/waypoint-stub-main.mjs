// Stand-in for the waypoint main in namespaced tests: answers the readiness port like the real
// one and reports the flags it was started with, so a test can check the runtime's contract.
import { createServer } from "node:http";

const server = createServer((req, res) => {
  if (req.url === "/healthz/ready") res.end("ready\n");
  else if (req.url === "/argv") res.end(JSON.stringify(process.argv.slice(2)));
  else {
    res.statusCode = 404;
    res.end();
  }
});
server.listen(15021, "0.0.0.0");
process.on("SIGTERM", () => server.close(() => process.exit(0)));
