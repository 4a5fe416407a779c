/** API semantics beyond the captures: every filter, errors, methods, HEAD/OPTIONS, POST validation. */
import { describe, expect, it } from 'vitest';
import { FILTERS } from '../../src/domain.js';
import { FILTER_NAMES } from '../../src/server/filters.js';
import { apiRequest, useServer } from '../helpers/server.js';

const server = useServer();
type Page = { total: number; results: Array<Record<string, unknown>> };
async function total(path: string): Promise<number> {
  const res = await apiRequest(server(), path);
  expect(res.status, `${path}: ${res.text.slice(0, 200)}`).toBe(200);
  return (res.json as Page).total;
}

describe('filters', () => {
  it('covers every filter name of src/domain.ts', () => {
    expect(FILTER_NAMES.histograms.sort()).toEqual(Object.keys(FILTERS.lumisection_histograms_1d).sort());
    expect(FILTER_NAMES.runs.sort()).toEqual(Object.keys(FILTERS.runs).sort());
    expect(FILTER_NAMES.lumisections.sort()).toEqual(Object.keys(FILTERS.lumisections).sort());
    expect(FILTER_NAMES.histogram_data_files.sort()).toEqual(Object.keys(FILTERS.histogram_data_files).sort());
  });

  const h1 = '/api/lumisection_histograms_1d/';
  const h2 = '/api/lumisection_histograms_2d/';
  it.each([
    [`${h1}?lumisection__run__run_number__gte=315713`, 160],
    [`${h1}?lumisection__run__run_number__lte=315705`, 89],
    [`${h1}?lumisection__run__run_number__in=315488, 316457`, 89],
    [`${h1}?lumisection__ls_number__gte=39`, 21],
    [`${h1}?lumisection__ls_number__lte=1`, 6],
    [`${h1}?lumisection__ls_number__in=1,2,229`, 21],
    [`${h1}?lumisection__ls_number=229`, 9],
    [`${h1}?entries__gte=100000`, 2],
    [`${h1}?entries__lte=20000`, 1],
    [`${h2}?entries__gte=150000`, 87],
    [`${h1}?source_data_file=1`, 9],
    [`${h1}?source_data_file=2`, 240],
    [`${h2}?source_data_file=2`, 0],
    [`${h2}?source_data_file__filepath__contains=2D_synthetic`, 240],
    [`${h1}?source_data_file__filepath__contains=1D_&source_data_file=2`, 240],
    [`${h1}?lumisection__run__run_number=`, 249],
    [`${h1}?lumisection__run__run_number=1&lumisection__run__run_number=315488`, 9],
    [`${h1}?lumisection__run__run_number=315488.0`, 9],
    ['/api/histogram_data_files/?id=2', 1],
    ['/api/histogram_data_files/?data_era=2018A', 0],
    ['/api/histogram_data_files/?data_era=', 3],
    ['/api/histogram_data_files/?processing_complete=true', 3],
    ['/api/histogram_data_files/?processing_complete=False', 0],
    ['/api/histogram_data_files/?processing_complete=maybe', 3],
    ['/api/histogram_data_files/?entries_total__gt=9', 2],
    ['/api/histogram_data_files/?entries_total__lt=240', 1],
    ['/api/histogram_data_files/?granularity=run', 0],
    ['/api/histogram_data_files/?data_dimensionality=1', 2],
    ['/api/runs/?run_number=315488', 1],
    ['/api/runs/?year=2018', 0],
    ['/api/runs/?period=A', 0],
    ['/api/lumisections/?ls_number=40', 3],
    ['/api/lumisections/?run=315713&ls_number=40', 1],
    ['/api/lumisections/?oms_zerobias_rate=1.5', 0],
  ])('%s -> %i', async (path, expected) => {
    expect(await total(path)).toBe(expected);
  });

  it('entries bounds select by value', async () => {
    const all = (await apiRequest(server(), '/api/lumisection_histograms_1d/?lumisection__run__run_number=315488'))
      .json as Page;
    const entries = all.results.map((h) => h.entries as number).sort((a, b) => a - b);
    expect(
      await total(`/api/lumisection_histograms_1d/?entries__gte=${entries[4]}&lumisection__run__run_number=315488`),
    ).toBe(5);
    expect(
      await total(`/api/lumisection_histograms_1d/?entries__lte=${entries[4]}&lumisection__run__run_number=315488`),
    ).toBe(5);
  });

  it('reports every bad filter at once, in the FilterSet order', async () => {
    const res = await apiRequest(
      server(),
      '/api/lumisection_histograms_1d/?title=nope&entries__gte=x&lumisection__run__run_number__gte=y&source_data_file=9',
    );
    expect(res.status).toBe(400);
    expect(res.text).toBe(
      '{"lumisection__run__run_number__gte":["Enter a number."],"entries__gte":["Enter a number."],' +
        '"source_data_file":["Select a valid choice. That choice is not one of the available choices."],' +
        '"title":["Select a valid choice. nope is not one of the available choices."]}',
    );
    expect((await apiRequest(server(), '/api/runs/?date=yesterday')).json).toEqual({
      date: ['Enter a valid date/time.'],
    });
    expect((await apiRequest(server(), '/api/histogram_data_files/?granularity=x')).json).toEqual({
      granularity: ['Select a valid choice. x is not one of the available choices.'],
    });
    // A 400 wins over the 500 of a bad __in item, and over an invalid page.
    expect(
      (await apiRequest(server(), '/api/lumisection_histograms_1d/?entries__gte=x&lumisection__ls_number__in=a&page=0'))
        .status,
    ).toBe(400);
  });

  it('titles are per endpoint', async () => {
    expect(
      (await apiRequest(server(), '/api/lumisection_histograms_2d/?title=NormalizedHitResiduals_TEC__wheel__1')).status,
    ).toBe(400);
    expect(await total('/api/lumisection_histograms_2d/?title=clusterposition_zphi_ontrack_PXLayer_1')).toBe(120);
  });

  it('dates filter exactly', async () => {
    const runs = (await apiRequest(server(), '/api/runs/')).json as Page;
    const date = runs.results[1].date as string;
    expect((await apiRequest(server(), `/api/runs/?date=${encodeURIComponent(date)}`)).json).toMatchObject({
      total: 1,
      results: [runs.results[1]],
    });
  });
});

describe('routing and methods', () => {
  it('301 keeps the query string; unknown paths and actions are 404 pages', async () => {
    const res = await apiRequest(server(), '/api/runs?page=2&x=1');
    expect(res.status).toBe(301);
    expect(res.headers.location).toBe('/api/runs/?page=2&x=1');
    expect((await apiRequest(server(), '/api')).headers.location).toBe('/api/');
    expect((await apiRequest(server(), '/api/runs/1/start_parsing/')).status).toBe(404);
    expect((await apiRequest(server(), '/')).status).toBe(404);
    expect((await apiRequest(server(), '/api/runs/abc/')).json).toEqual({ detail: 'Not found.' });
    expect((await apiRequest(server(), '/api/tasks/1/')).json).toEqual({ detail: 'Not found.' });
    expect((await apiRequest(server(), '/api/strategies/')).json).toMatchObject({ total: 0, results: [] });
  });

  it('405 with DRF messages', async () => {
    expect((await apiRequest(server(), '/api/runs/315488/', { method: 'DELETE' })).json).toEqual({
      detail: 'Method "DELETE" not allowed.',
    });
    expect((await apiRequest(server(), '/api/lumisection_histograms_1d/', { method: 'POST', body: {} })).status).toBe(
      405,
    );
    expect((await apiRequest(server(), '/api/', { method: 'POST', body: {} })).status).toBe(405);
    expect(
      (await apiRequest(server(), '/api/histogram_data_files/discover/', { method: 'POST', body: {} })).status,
    ).toBe(405);
  });

  it('HEAD has the headers of GET and no body; OPTIONS describes the view', async () => {
    const get = await apiRequest(server(), '/api/lumisection_histograms_1d/1/');
    const head = await apiRequest(server(), '/api/lumisection_histograms_1d/1/', { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.text).toBe('');
    expect(head.headers['content-length']).toBe(get.headers['content-length']);
    expect((await apiRequest(server(), '/api/runs/', { method: 'OPTIONS' })).json).toMatchObject({ name: 'Run List' });
  });

  it('Token auth details', async () => {
    expect((await apiRequest(server(), '/api/runs/', { as: { header: 'Token a b' } })).json).toEqual({
      detail: 'Invalid token header. Token string should not contain spaces.',
    });
    expect((await apiRequest(server(), '/api/runs/', { as: { header: `token ${server().userToken}` } })).status).toBe(
      200,
    );
  });
});

describe('POST', () => {
  it('validates runs like DRF', async () => {
    const post = (body: unknown, contentType?: string) =>
      apiRequest(server(), '/api/runs/', { method: 'POST', body, contentType });
    expect((await post({})).json).toEqual({ run_number: ['This field is required.'] });
    expect((await post({ run_number: 1.5 })).json).toEqual({ run_number: ['A valid integer is required.'] });
    expect((await post({ run_number: 3e10 })).json).toEqual({
      run_number: ['Ensure this value is less than or equal to 2147483647.'],
    });
    expect((await post([1])).json).toEqual({
      non_field_errors: ['Invalid data. Expected a dictionary, but got list.'],
    });
    expect((await post('{"run_number": ')).json).toEqual({
      detail: 'JSON parse error - Expecting value: line 1 column 16 (char 15)',
    });
    expect((await post('run_number=1', 'text/plain')).status).toBe(415);
    expect((await post('run_number=123456', 'application/x-www-form-urlencoded')).json).toMatchObject({
      run_number: 123456,
    });
    expect((await post({ run_number: '123457' })).status).toBe(201);
  });

  it('validates lumisections like DRF', async () => {
    const post = (body: unknown) => apiRequest(server(), '/api/lumisections/', { method: 'POST', body });
    expect((await post({})).json).toEqual({ run: ['This field is required.'], ls_number: ['This field is required.'] });
    expect((await post({ run: 1, ls_number: 1 })).json).toEqual({ run: ['Invalid pk "1" - object does not exist.'] });
    expect((await post({ run: 'x', ls_number: 1 })).json).toEqual({
      run: ['Incorrect type. Expected pk value, received str.'],
    });
    expect((await post({ run: 315488, ls_number: 229 })).json).toEqual({
      non_field_errors: ['The fields run, ls_number must make a unique set.'],
    });
    const created = await post({ run: 315488, ls_number: 230 });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ run: 315488, ls_number: 230 });
    expect((await apiRequest(server(), '/api/lumisections/?run=315488')).json).toMatchObject({ total: 2 });
  });

  it('DELETE removes a histogram from lists, title choices and its file counts', async () => {
    const title = 'NormalizedHitResiduals_TEC__wheel__9';
    expect(await total(`/api/lumisection_histograms_1d/?title=${title}`)).toBe(1);
    const [h] = ((await apiRequest(server(), `/api/lumisection_histograms_1d/?title=${title}`)).json as Page).results;
    expect(
      (await apiRequest(server(), `/api/lumisection_histograms_1d/${h.id}/`, { method: 'DELETE', as: 'user' })).status,
    ).toBe(204);
    expect((await apiRequest(server(), `/api/lumisection_histograms_1d/?title=${title}`)).status).toBe(400);
    expect(await total('/api/lumisection_histograms_1d/')).toBe(248);
    expect((await apiRequest(server(), '/api/histogram_data_files/1/?_=after-delete')).json).toMatchObject({
      lumisection_histograms_1d: 8,
    });
  });
});
