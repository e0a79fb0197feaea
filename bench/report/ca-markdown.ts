import type { CaSection } from "./results.js";

const fmtNum = (x: number, digits = 0): string => (Number.isFinite(x) ? x.toFixed(digits) : "—");

/**
 * The CA section of the bench report (issue 3): certificates issued per second and the time
 * until 100 identities on one node hold certificates, or why the run left the scenario out.
 */
export function renderCaMarkdown(ca: CaSection | undefined): string[] {
  if (ca === undefined) return [];
  const out = ["", "### CA (control plane certificate authority)", ""];
  if (ca.status !== "ok") {
    out.push(`CA scenario ${ca.status.toUpperCase()}: ${ca.reason.split("\n")[0]}`);
    return out;
  }
  const r = ca.result;
  out.push(
    "| certificates issued / s | CPU ms per certificate | time until " +
      `${r.identities} identities on one node hold certificates | load average (1 min) |`,
    "| --- | --- | --- | --- |",
    `| ${fmtNum(r.certsPerSecond)} (${r.certsIssued} over gRPC + TLS, ${r.concurrency} concurrent) | ` +
      `${fmtNum(r.cpuMsPerCert, 2)} | ${fmtNum(r.timeUntilAllHeldMs)} ms ` +
      `(${r.identitiesAvailable}/${r.identities} held) | ${fmtNum(r.loadAverage1m, 1)} |`,
    "",
    "CA and clients share one process on the bench host, so the rate is a lower bound for a " +
      "dedicated CA. The time to 100 identities includes key and CSR generation through ztunnel's " +
      "SecretManager (at most 8 CSRs in flight).",
  );
  return out;
}
