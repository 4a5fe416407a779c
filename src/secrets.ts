/**
 * Secret redaction. Every token the process learns about is registered here, and every string that
 * may leave the process (log lines, error messages, manifests, journals) goes through `redact`.
 * A registry rather than a regex, because a token is an opaque string that no pattern recognises.
 */

const secrets = new Set<string>();

/** Remembers a secret so that `redact` removes it from any later string. Empty values are ignored. */
export function registerSecret(value: string | undefined | null): void {
  if (value && value.length >= 4) secrets.add(value);
}

/** Forgets every registered secret (tests only). */
export function clearSecrets(): void {
  secrets.clear();
}

/** Replaces every registered secret, and any `Token xxx` / `token=xxx` pattern, with `***`. */
export function redact(text: string): string {
  let out = text;
  for (const s of secrets) {
    if (out.includes(s)) out = out.split(s).join('***');
  }
  return out
    .replace(/(Authorization:\s*)(Token|Bearer)\s+[^\s"',}]+/gi, '$1$2 ***')
    .replace(/([?&](?:token|access_token|api_key)=)[^&\s"']+/gi, '$1***');
}

/** Strips user-info and secret-looking query parameters from a URL, for messages and manifests. */
export function safeUrl(url: string | URL): string {
  try {
    const u = new URL(String(url));
    u.username = '';
    u.password = '';
    for (const key of [...u.searchParams.keys()]) {
      if (/^(token|access_token|api_key|key)$/i.test(key)) u.searchParams.set(key, '***');
    }
    return redact(u.toString());
  } catch {
    return redact(String(url));
  }
}
