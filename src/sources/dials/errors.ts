/**
 * How DIALS answers are read, before the generic rules: authentication failures are 403 (never 401)
 * with a `code` that says what to do; an unknown workspace is a 404 naming it; a bad cursor is a 404
 * `Invalid cursor`; bad filter values are a 400 listing every bad field.
 */
import type { CodeOf } from '../../error-codes.js';
import { AuthError, ConfigError, ServerError } from '../../errors.js';
import type { Resolution, ResponseFacts } from '../../extract/http/response.js';

/** The 403 `code`s the backend sends, with the error code and advice for each. */
const AUTH_CODES: Record<string, { code: CodeOf<'auth'>; advice: string }> = {
  authorization_not_found: {
    code: 'E_DIALS_NO_CREDENTIALS',
    advice:
      'no credentials reached DIALS: run `dqm-export login dials`, or set DIALS_TOKEN (or source.token / token_file / client_secret)',
  },
  token_not_valid: {
    code: 'E_DIALS_TOKEN_INVALID',
    advice:
      'the access token is malformed, unknown or revoked (or the client secret is wrong): run `dqm-export login dials` again, or check DIALS_TOKEN',
  },
  access_token_unexpected_error: {
    code: 'E_DIALS_TOKEN_AUDIENCE',
    advice:
      'the token was not issued for DIALS (wrong audience): use a token from `dqm-export login dials` against this server',
  },
  access_token_invalid_jws_signature: {
    code: 'E_DIALS_TOKEN_SIGNATURE',
    advice: 'the token signature does not verify: it comes from another Keycloak realm or was altered; log in again',
  },
};

function parseJson(body: string): Record<string, unknown> | null {
  try {
    const v = JSON.parse(body) as unknown;
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** The DIALS-specific reading of a response, or undefined to fall back to the generic one. */
export function interpretDials(
  facts: ResponseFacts,
  workspaces?: () => readonly string[] | undefined,
): Resolution | undefined {
  const { status, url, method } = facts;
  if (status < 400) return undefined;
  const body = parseJson(facts.body);
  const detail = typeof body?.detail === 'string' ? body.detail : undefined;
  const context = { url, status, method };
  if (status === 403 || status === 401) {
    const code = typeof body?.code === 'string' ? body.code : undefined;
    const known = code ? AUTH_CODES[code] : undefined;
    const what = known
      ? known.advice
      : `DIALS refused the request: ${detail ?? 'permission denied'}${code ? ` (${code})` : ''}`;
    return {
      action: 'fail',
      error: new AuthError(known?.code ?? 'E_DIALS_FORBIDDEN', `${what} (HTTP ${status} from ${method} ${url})`, {
        ...context,
        dialsCode: code ?? null,
      }),
    };
  }
  if (status === 404 && detail && /^Workspace '.*' not found$/.test(detail)) {
    const valid = workspaces?.();
    return {
      action: 'fail',
      error: new ConfigError(
        'E_DIALS_WORKSPACE',
        `${detail} on ${url}${valid?.length ? `; valid workspaces: ${valid.join(', ')}` : ''} (source.workspace, lower case)`,
        { ...context, field: 'source.workspace' },
      ),
    };
  }
  if (status === 404 && detail === 'Invalid cursor') {
    return {
      action: 'fail',
      error: new ServerError(
        'E_DIALS_CURSOR',
        `DIALS rejected the page cursor (Invalid cursor) on ${url}; the export must restart that slice`,
        context,
      ),
    };
  }
  if (status === 400 && body && !detail && !('error' in body)) {
    const fields = Object.entries(body).map(([k, v]) => `${k}: ${Array.isArray(v) ? v.join(' ') : String(v)}`);
    return {
      action: 'fail',
      error: new ConfigError(
        'E_DIALS_BAD_FILTER',
        `DIALS rejected filter values: ${fields.join('; ')} (${method} ${url})`,
        context,
      ),
    };
  }
  return undefined;
}

/** True for a gateway timeout of a big page (502/504), which a smaller page may avoid. */
export function isGatewayTimeout(facts: ResponseFacts): boolean {
  return facts.status === 502 || facts.status === 504;
}
