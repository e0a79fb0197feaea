/**
 * A bookinfo-like application in one small script: `node --import tsx app.ts <role>`.
 * Roles: productpage → details, reviews (v1 | v2 | v3 via $VERSION; v2 and v3 call ratings);
 * ratings; client <url> [count] (prints answers; for `ambit exec`).
 * Every answer says which pod/version answered, on which node, and the client IP it saw — the
 * raw material of the demo's proof (with the mesh, ztunnel preserves the original client IP).
 */
import http from "node:http";

const role = process.argv[2] ?? "";
const port = Number(process.env["PORT"] ?? 9080);
const me = {
  service: role,
  version: process.env["VERSION"] ?? "v1",
  pod: process.env["POD_NAME"] ?? "unknown",
  podIp: process.env["POD_IP"] ?? "unknown",
  node: process.env["NODE_NAME"] ?? "unknown",
  serviceAccount: process.env["SERVICE_ACCOUNT"] ?? "unknown",
};
const upstream = (name: string): string => process.env[`${name.toUpperCase()}_URL`] ?? `http://${name}:9080`;

function clientIp(req: http.IncomingMessage): string {
  return (req.socket.remoteAddress ?? "").replace(/^::ffff:/, "");
}

/** GET a JSON answer from an upstream; failures become `{error}` so the caller shows which hop broke. */
function getJson(url: string, timeoutMs = 3000): Promise<unknown> {
  return new Promise((resolve) => {
    // agent: false — a new connection per request, so the mesh load-balances every call.
    const req = http.get(url, { timeout: timeoutMs, agent: false }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => {
        body += c;
      });
      res.on("end", () => {
        try {
          resolve(JSON.parse(body) as unknown);
        } catch {
          resolve({ error: `HTTP ${res.statusCode}: ${body.slice(0, 200)}` });
        }
      });
    });
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", (e: NodeJS.ErrnoException) => resolve({ error: `${url}: ${e.code ?? e.message}` }));
  });
}

async function answer(req: http.IncomingMessage): Promise<Record<string, unknown>> {
  const base = { ...me, clientIp: clientIp(req), path: req.url };
  switch (role) {
    case "productpage": {
      const [details, reviews] = await Promise.all([
        getJson(`${upstream("details")}/details/0`),
        getJson(`${upstream("reviews")}/reviews/0`),
      ]);
      return { ...base, details, reviews };
    }
    case "details":
      return {
        ...base,
        book: { id: 0, author: "William Shakespeare", year: 1595, pages: 200, isbn: "1234567890" },
      };
    case "reviews": {
      const reviews = [
        { reviewer: "Reviewer1", text: "An extremely entertaining play by Shakespeare." },
        { reviewer: "Reviewer2", text: "Absolutely fun and entertaining." },
      ];
      if (me.version === "v1") return { ...base, reviews };
      const ratings = await getJson(`${upstream("ratings")}/ratings/0`);
      return { ...base, stars: me.version === "v2" ? "black" : "red", reviews, ratings };
    }
    case "ratings":
      return { ...base, ratings: { Reviewer1: 5, Reviewer2: 4 } };
    default:
      return { ...base, error: `unknown role ${role}` };
  }
}

async function client(url: string, count: number): Promise<void> {
  for (let i = 0; i < count; i++) process.stdout.write(JSON.stringify(await getJson(url)) + "\n");
}

if (role === "client") {
  await client(process.argv[3] ?? `${upstream("productpage")}/`, Number(process.argv[4] ?? 1));
} else if (["productpage", "details", "reviews", "ratings"].includes(role)) {
  const server = http.createServer((req, res) => {
    answer(req).then(
      (body) => {
        res.setHeader("content-type", "application/json");
        res.end(JSON.stringify(body));
      },
      (e: unknown) => {
        res.statusCode = 500;
        res.end(JSON.stringify({ ...me, error: String(e) }));
      },
    );
  });
  server.listen(port, () =>
    process.stdout.write(`${role} ${me.version} (${me.pod}) listening on :${port}\n`),
  );
  const stop = (): void => {
    server.close();
    process.exit(0);
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
} else {
  process.stderr.write("usage: app.ts productpage|details|reviews|ratings | client <url> [count]\n");
  process.exit(2);
}
