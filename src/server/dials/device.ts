/**
 * The device flow DIALS offers people (`login`): `GET auth/new-device/` issues a device code and a
 * verification URL; `POST auth/device-token/` answers 400 `authorization_pending` until the user
 * approves, then the token pair; `POST auth/refresh-token/` renews it. The real approval happens
 * at CERN's Keycloak; here, visiting the verification URL (`GET /device/?user_code=...`, what a
 * browser would do) approves the device, and `autoApproveAfter` approves it by itself after that
 * many polls, so tests and demos need no browser.
 */
import { randomBytes } from 'node:crypto';
import type { Reply } from '../http.js';
import type { TokenStore } from './auth.js';
import { ALLOW_POST, dialsBadRequestText, dialsHtmlServerError, dialsJson } from './http.js';

/** Device-flow settings. */
export interface DeviceFlowOptions {
  /** Lifetime of a device code, seconds (Keycloak's default 600). */
  codeTtlSeconds: number;
  /** Approve a device after this many pending polls (0: only through the verification URL). */
  autoApproveAfter: number;
}

interface Device {
  userCode: string;
  expires: number;
  approved: boolean;
  polls: number;
}

/** Pending and approved device codes. */
export class DeviceFlow {
  private readonly devices = new Map<string, Device>();

  constructor(
    private readonly tokens: TokenStore,
    private readonly options: DeviceFlowOptions,
    private readonly clock: () => number = Date.now,
  ) {}

  /** `GET auth/new-device/`. `base` is `scheme://host` of the request. */
  newDevice(base: string): Reply {
    const deviceCode = randomBytes(24).toString('base64url');
    const letters = randomBytes(8).toString('hex').toUpperCase();
    const userCode = `${letters.slice(0, 4)}-${letters.slice(4, 8)}`;
    this.devices.set(deviceCode, {
      userCode,
      expires: this.clock() + this.options.codeTtlSeconds * 1000,
      approved: false,
      polls: 0,
    });
    const body = {
      device_code: deviceCode,
      verification_uri_complete: `${base}/device/?user_code=${userCode}`,
      expires_in: this.options.codeTtlSeconds,
    };
    return dialsJson(200, JSON.stringify(body));
  }

  /** Approves the device with this user code (the verification page); false if none is pending. */
  approve(userCode: string): boolean {
    for (const d of this.devices.values()) {
      if (d.userCode === userCode && d.expires > this.clock()) {
        d.approved = true;
        return true;
      }
    }
    return false;
  }

  /** `POST auth/device-token/`. */
  deviceToken(body: Record<string, unknown>): Reply {
    const code = body.device_code;
    if (typeof code !== 'string' || code === '')
      return dialsBadRequestText("Attribute 'device_code' not found in request body.");
    const device = this.devices.get(code);
    const error = (detail: string, errCode: string): Reply =>
      dialsJson(400, JSON.stringify({ detail, code: errCode }), { allow: ALLOW_POST });
    if (!device) return error('Invalid device code', 'invalid_grant');
    if (device.expires <= this.clock()) {
      this.devices.delete(code);
      return error('The device code has expired.', 'expired_token');
    }
    device.polls++;
    if (!device.approved && this.options.autoApproveAfter > 0 && device.polls > this.options.autoApproveAfter)
      device.approved = true;
    if (!device.approved) return error('The authorization request is still pending', 'authorization_pending');
    this.devices.delete(code);
    return dialsJson(200, JSON.stringify(this.tokens.issue()), { allow: ALLOW_POST });
  }

  /** `POST auth/refresh-token/`: an unknown or expired refresh token crashes the real view (500). */
  refreshToken(body: Record<string, unknown>): Reply {
    const token = body.refresh_token;
    if (typeof token !== 'string' || token === '')
      return dialsBadRequestText("Attribute 'refresh_token' not found in request body.");
    const pair = this.tokens.refreshWith(token);
    return pair ? dialsJson(200, JSON.stringify(pair), { allow: ALLOW_POST }) : dialsHtmlServerError();
  }
}
