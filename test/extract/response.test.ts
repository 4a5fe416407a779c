import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AuthError, ConfigError, ServerError, TransientError } from '../../src/errors.js';
import {
  interpretFailure,
  interpretResponse,
  isInvalidPage,
  serverMessage,
  type ResponseFacts,
} from '../../src/extract/http/response.js';

const CAPTURES = join(import.meta.dirname, '..', 'fixtures', 'captures');

/** A capture as the transport would see it. */
function fromCapture(name: string): ResponseFacts {
  const c = JSON.parse(readFileSync(join(CAPTURES, name), 'utf8'));
  const headers: Record<string, string> = {};
  for (const [k, v] of c.headers as [string, string][]) headers[k.toLowerCase()] = v;
  const body =
    c.body === null ? '' : typeof c.body === 'string' && c.body_kind === 'text' ? c.body : JSON.stringify(c.body);
  return { method: c.request.method, url: `http://127.0.0.1:8000${c.request.path}`, status: c.status, headers, body };
}

describe('interpretResponse on real captures', () => {
  it.each([
    ['50_runs.json', 'ok', undefined, undefined],
    ['10_discover_as_admin.json', 'ok', undefined, undefined],
    ['02_api_runs_no_token.json', 'fail', AuthError, 'E_AUTH_UNAUTHORIZED'],
    ['03_api_runs_wrong_token.json', 'fail', AuthError, 'E_AUTH_UNAUTHORIZED'],
    ['08_discover_as_nonadmin.json', 'fail', AuthError, 'E_AUTH_FORBIDDEN'],
    ['52_runs_page999_beyond_last.json', 'fail', ServerError, 'E_INVALID_PAGE'],
    ['53_runs_page_abc_invalid.json', 'fail', ServerError, 'E_INVALID_PAGE'],
    ['61_run_detail_404.json', 'fail', ServerError, 'E_HTTP_404'],
    ['77_h1d_filter_run_gte_notanumber.json', 'fail', ServerError, 'E_HTTP_400'],
    ['20_start_parsing_bad_empty_body.json', 'fail', ServerError, 'E_HTTP_400'],
    ['28_start_parsing_get_method_not_allowed.json', 'fail', ServerError, 'E_HTTP_405'],
    ['79_h1d_filter_run_in_bad.json', 'retry', ServerError, 'E_HTTP_500'],
    ['24_start_parsing_run_granularity_not_implemented.json', 'retry', ServerError, 'E_HTTP_500'],
    ['134_unknown_api_path_404.json', 'fail', ServerError, 'E_HTTP_404'],
    ['135_api_no_trailing_slash.json', 'fail', ServerError, 'E_HTTP_301'],
  ])('%s -> %s %s', (file, action, cls, code) => {
    const r = interpretResponse(fromCapture(file));
    expect(r.action).toBe(action);
    if (r.action !== 'ok') {
      expect(r.error).toBeInstanceOf(cls);
      expect(r.error.code).toBe(code);
      expect(r.error.message).toContain('http://127.0.0.1:8000/api/');
    }
  });

  it('puts the server message of a 400 in the error', () => {
    const r = interpretResponse(fromCapture('77_h1d_filter_run_gte_notanumber.json'));
    expect(r.action === 'fail' && r.error.message).toContain('lumisection__run__run_number__gte: Enter a number.');
  });
  it('keeps a bare JSON string body as the message (start_parsing)', () => {
    const r = interpretResponse(fromCapture('35_start_parsing_already_parsed.json'));
    expect(r.action === 'fail' && r.error.message).toContain('HistogramDataFile with pk 1 is already parsed');
  });
  it('tells which variable to set on 401', () => {
    const r = interpretResponse(fromCapture('03_api_runs_wrong_token.json'));
    expect(r.action === 'fail' && r.error.message).toMatch(/Invalid token\..*DQM_PLAYGROUND_TOKEN/);
  });
  it('gives the 403 detail', () => {
    const r = interpretResponse(fromCapture('08_discover_as_nonadmin.json'));
    expect(r.action === 'fail' && r.error.message).toContain('You do not have permission to perform this action.');
  });
  it('summarises an HTML 500 by its title, not the page', () => {
    const r = interpretResponse(fromCapture('79_h1d_filter_run_in_bad.json'));
    expect(r.action).toBe('retry');
    if (r.action === 'retry') {
      expect(r.error.message).toContain('HTML page "Server Error (500)"');
      expect(r.error.message).not.toContain('<');
      expect(r.reason).toBe('status-5xx');
      expect(r.notProcessed).toBe(false);
    }
  });
  it('marks Invalid page as recognisable', () => {
    const r = interpretResponse(fromCapture('83_h1d_page999.json'));
    expect(r.action === 'fail' && isInvalidPage(r.error)).toBe(true);
    expect(isInvalidPage(new Error('x'))).toBe(false);
  });
  it('retries 429 and honours Retry-After', () => {
    const r = interpretResponse({
      method: 'GET',
      url: 'u',
      status: 429,
      headers: { 'retry-after': '7' },
      body: '{"detail":"slow down"}',
    });
    expect(r).toMatchObject({ action: 'retry', reason: 'status-429', retryAfterMs: 7000, notProcessed: true });
    expect(r.action === 'retry' && r.error).toBeInstanceOf(TransientError);
  });
  it('retries 503 with its Retry-After', () => {
    const r = interpretResponse({ method: 'GET', url: 'u', status: 503, headers: { 'retry-after': '2' }, body: '' });
    expect(r).toMatchObject({ action: 'retry', reason: 'status-5xx', retryAfterMs: 2000 });
  });
});

describe('serverMessage', () => {
  it.each([
    ['', undefined, '(empty body)'],
    ['"Required param(s) missing"', 'application/json', 'Required param(s) missing'],
    ['{"detail":"Not found."}', 'application/json', 'Not found.'],
    ['{"a":["x","y"],"b":["z"]}', 'application/json', 'a: x y; b: z'],
    ['<html><head><title>Bad Gateway</title></head></html>', 'text/html', 'HTML page "Bad Gateway"'],
    ['<!doctype html><h1>Oops</h1>', undefined, 'HTML page "Oops"'],
    ['plain\ntext', 'text/plain', 'plain text'],
  ])('%j', (body, type, expected) => {
    expect(serverMessage(body, type)).toBe(expected);
  });
  it('clips long bodies to 200 characters', () => {
    expect(serverMessage('x'.repeat(5000)).length).toBe(200);
  });
});

describe('interpretFailure', () => {
  const err = (code: string, message = code) => Object.assign(new Error(message), { code });
  it.each([
    ['ECONNRESET', 'headers', 'retry', 'reset', false],
    ['ECONNREFUSED', 'headers', 'retry', 'reset', true],
    ['UND_ERR_SOCKET', 'headers', 'retry', 'reset', false],
    ['UND_ERR_CONNECT_TIMEOUT', 'headers', 'retry', 'timeout', true],
    ['UND_ERR_HEADERS_TIMEOUT', 'headers', 'retry', 'timeout', false],
    ['UND_ERR_BODY_TIMEOUT', 'body', 'retry', 'timeout', false],
    ['UND_ERR_SOCKET', 'body', 'retry', 'truncated', false],
    ['UND_ERR_RES_CONTENT_LENGTH_MISMATCH', 'headers', 'retry', 'truncated', false],
  ] as const)('%s during %s -> %s %s', (code, phase, action, reason, notProcessed) => {
    const r = interpretFailure(err(code), 'GET', 'http://h/api/runs/', phase);
    expect(r).toMatchObject({ action, reason, notProcessed });
  });
  it('fails at once on an untrusted certificate, pointing at caFile', () => {
    const r = interpretFailure(
      err('UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'unable to verify the first certificate'),
      'GET',
      'https://h/',
      'headers',
    );
    expect(r.action).toBe('fail');
    expect(r.action === 'fail' && r.error).toBeInstanceOf(ConfigError);
    expect(r.action === 'fail' && r.error.message).toContain('caFile');
  });
  it('fails at once on an unknown host', () => {
    const r = interpretFailure(err('ENOTFOUND'), 'GET', 'https://nowhere/', 'headers');
    expect(r.action === 'fail' && r.error.code).toBe('E_HOST_NOT_FOUND');
  });
  it('finds the code on a wrapped cause', () => {
    const wrapped = Object.assign(new Error('fetch failed'), { cause: err('ECONNRESET') });
    expect(interpretFailure(wrapped, 'GET', 'u', 'headers')).toMatchObject({ action: 'retry', reason: 'reset' });
  });
});
