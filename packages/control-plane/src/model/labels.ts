/**
 * Label selector matching (`matchLabels` only, which is all AuthorizationPolicy, PeerAuthentication
 * and Service selectors use): every selector entry must be present with the same value.
 */
export function selectorMatches(
  selector: Readonly<Record<string, string>>,
  labels: Readonly<Record<string, string>>,
): boolean {
  for (const k in selector) {
    if (labels[k] !== selector[k]) return false;
  }
  return true;
}

/** True when a selector has at least one entry (an empty Service selector selects nothing). */
export function hasEntries(selector: Readonly<Record<string, string>> | undefined): boolean {
  if (!selector) return false;
  for (const _ in selector) return true;
  return false;
}
