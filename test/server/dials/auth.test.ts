/**
 * DIALS authentication on the embedded server: the device flow end to end (pending, approval by
 * visiting the verification URL or after N polls, tokens, refresh), token expiry (accepted by
 * default like the real server, refused with rejectExpired), and the client secret.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TokenStore } from '../../../src/server/dials/auth.js';
import { startServer, type RunningServer } from '../../../src/server/index.js';

async function post(
  url: string,
  body: unknown,
): Promise<{ status: number; json: Record<string, unknown> | undefined; text: string }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  let json: Record<string, unknown> | undefined;
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    json = undefined;
  }
  return { status: res.status, json, text };
}

async function th1Status(server: RunningServer, token: string): Promise<number> {
  return (await fetch(`${server.url}/api/v1/th1/?page_size=1`, { headers: { Authorization: `Bearer ${token}` } }))
    .status;
}

describe('device flow', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer({ api: 'dials', port: 0, tokenTtlSeconds: 60, refreshTtlSeconds: 120 });
  }, 180_000);
  afterAll(async () => server?.close());

  it('pending until the verification URL is visited, then a working token pair; refresh rotates it', async () => {
    const device = (await (await fetch(`${server.url}/api/v1/auth/new-device/`)).json()) as Record<string, unknown>;
    expect(Object.keys(device)).toEqual(['device_code', 'verification_uri_complete', 'expires_in']);
    const pending = await post(`${server.url}/api/v1/auth/device-token/`, { device_code: device.device_code });
    expect(pending.status).toBe(400);
    expect(pending.json).toEqual({
      detail: 'The authorization request is still pending',
      code: 'authorization_pending',
    });
    expect((await fetch(String(device.verification_uri_complete))).status).toBe(200);
    const issued = await post(`${server.url}/api/v1/auth/device-token/`, { device_code: device.device_code });
    expect(issued.status).toBe(200);
    expect(Object.keys(issued.json!)).toEqual([
      'access_token',
      'expires_in',
      'refresh_expires_in',
      'refresh_token',
      'token_type',
      'session_state',
      'scope',
    ]);
    expect(issued.json).toMatchObject({ expires_in: 60, refresh_expires_in: 120, token_type: 'Bearer' });
    expect(await th1Status(server, String(issued.json!.access_token))).toBe(200);
    // A device code is used once.
    expect(
      (await post(`${server.url}/api/v1/auth/device-token/`, { device_code: device.device_code })).json,
    ).toMatchObject({ code: 'invalid_grant' });

    const renewed = await post(`${server.url}/api/v1/auth/refresh-token/`, {
      refresh_token: issued.json!.refresh_token,
    });
    expect(renewed.status).toBe(200);
    expect(renewed.json!.access_token).not.toBe(issued.json!.access_token);
    expect(await th1Status(server, String(renewed.json!.access_token))).toBe(200);
    // The old refresh token is spent: the real view crashes on Keycloak's error (500 page).
    const again = await post(`${server.url}/api/v1/auth/refresh-token/`, { refresh_token: issued.json!.refresh_token });
    expect(again.status).toBe(500);
  });

  it('answers a missing attribute with a 400 text page and GET with 405', async () => {
    const missing = await post(`${server.url}/api/v1/auth/device-token/`, {});
    expect(missing.status).toBe(400);
    expect(missing.text).toBe("Attribute 'device_code' not found in request body.");
    const noRefresh = await post(`${server.url}/api/v1/auth/refresh-token/`, {});
    expect(noRefresh.text).toBe("Attribute 'refresh_token' not found in request body.");
    const get = await fetch(`${server.url}/api/v1/auth/device-token/`);
    expect(get.status).toBe(405);
    expect(await get.json()).toEqual({ detail: 'Method "GET" not allowed.' });
  });
});

describe('device auto-approval and the client secret', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer({ api: 'dials', port: 0, deviceAutoApprove: 2, clientSecret: 'secret-1234' });
  }, 180_000);
  afterAll(async () => server?.close());

  it('approves a device by itself after N pending polls', async () => {
    const device = (await (await fetch(`${server.url}/api/v1/auth/new-device/`)).json()) as { device_code: string };
    const polls: number[] = [];
    for (let i = 0; i < 3; i++) polls.push((await post(`${server.url}/api/v1/auth/device-token/`, device)).status);
    expect(polls).toEqual([400, 400, 200]);
  });

  it('checks X-CLIENT-SECRET before the Bearer token', async () => {
    const ok = await fetch(`${server.url}/api/v1/run/count/`, { headers: { 'X-CLIENT-SECRET': 'secret-1234' } });
    expect(ok.status).toBe(200);
    const wrong = await fetch(`${server.url}/api/v1/run/count/`, {
      headers: { 'X-CLIENT-SECRET': 'nope', Authorization: `Bearer ${server.dialsToken}` },
    });
    expect(wrong.status).toBe(403);
    expect(await wrong.json()).toEqual({ detail: 'Token is invalid or expired', code: 'token_not_valid' });
  });
});

describe('token expiry', () => {
  const policy = { accessTtlSeconds: 10, refreshTtlSeconds: 100 };

  it('accepts an expired access token by default, as the real server does', () => {
    let now = 1_000_000;
    const store = new TokenStore({ ...policy, rejectExpired: false }, [], () => now);
    const pair = store.issue();
    expect(store.check(pair.access_token)).toBe('ok');
    now += 10_001;
    expect(store.check(pair.access_token)).toBe('expired');
    expect(store.check('unknown')).toBe('unknown');
  });

  it('refuses a refresh after the refresh token expired', () => {
    let now = 0;
    const store = new TokenStore({ ...policy, rejectExpired: true }, [], () => now);
    const pair = store.issue();
    now += 100_001;
    expect(store.refreshWith(pair.refresh_token)).toBeUndefined();
  });

  it('with rejectExpired the server answers 403 token_not_valid once the token expired', async () => {
    const server = await startServer({
      api: 'dials',
      port: 0,
      tokenTtlSeconds: 1,
      rejectExpiredTokens: true,
      deviceAutoApprove: 1,
    });
    try {
      const device = (await (await fetch(`${server.url}/api/v1/auth/new-device/`)).json()) as { device_code: string };
      await post(`${server.url}/api/v1/auth/device-token/`, device);
      const pair = (await post(`${server.url}/api/v1/auth/device-token/`, device)).json as { access_token: string };
      // The expiry itself is what is waited for: the token was issued before this point, so it is
      // expired 1.1 s later whatever the load (the 'ok' side is the TokenStore test above).
      const deadline = Date.now() + 1100;
      while (Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      const res = await fetch(`${server.url}/api/v1/th1/?page_size=1`, {
        headers: { Authorization: `Bearer ${pair.access_token}` },
      });
      expect(res.status).toBe(403);
      expect(await res.json()).toEqual({ detail: 'Token is invalid or expired', code: 'token_not_valid' });
    } finally {
      await server.close();
    }
  });
});
