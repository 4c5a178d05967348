import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isParseRunning } from '../../src/uploads/parse-in-worker.js';
import { UPLOAD_LIMITS } from '../../src/uploads/zip-guard.js';
import { badLists } from '../bench/hostile-files.js';
import { inlineRow, partsXlsx, worksheetXml } from '../support/hostile-xlsx.js';
import { startTestService, type TestService } from '../support/service.js';

// biome-ignore lint/suspicious/noExplicitAny: the tests read the API's JSON answers as a user would, field by field.
const json = (response: Response): Promise<any> => response.json();

const TOKEN = 'uploads-test-admin-token-0123456789';
const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

/** A sheet of people without a <dimension>: only counting its rows tells how many there are. */
function peopleWithoutDimension(rows: number): Buffer {
  const body = [inlineRow(1, ['人员编码', '姓名'])];
  for (let r = 2; r <= rows; r++) body.push(inlineRow(r, [`p${r}`, `人员${r}`]));
  return partsXlsx([{ name: '人员', xml: worksheetXml(body.join('')) }]);
}

function upload(service: TestService, name: string, data: Buffer) {
  const form = new FormData();
  form.append('file', new Blob([data], { type: XLSX }), name);
  return fetch(`${service.url}/api/admin/directory?mode=merge`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${TOKEN}` },
    body: form,
  });
}

/**
 * Polls /healthz every 20 ms until `done` settles: the latency of each answer (Infinity for a failure), and how many
 * were answered while a worker was parsing the file (none, were the parse holding the event loop).
 */
async function pollHealth(service: TestService, done: Promise<unknown>) {
  const latencies: number[] = [];
  let duringParse = 0;
  let finished = false;
  void done.finally(() => {
    finished = true;
  });
  while (!finished) {
    const started = performance.now();
    const status = await fetch(`${service.url}/healthz`).then(
      (r) => r.status,
      () => 0,
    );
    latencies.push(status === 200 ? performance.now() - started : Number.POSITIVE_INFINITY);
    if (status === 200 && isParseRunning()) duringParse++;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return { latencies, duringParse };
}

describe('a hostile spreadsheet upload, read in a worker thread', () => {
  let service: TestService;

  beforeAll(async () => {
    // The row limit lowered, so that a file past it is small enough to build in a test.
    service = await startTestService(
      { ADMIN_TOKEN: TOKEN },
      { uploads: { limits: { ...UPLOAD_LIMITS, maxSheetRows: 2000 } } },
    );
  });
  afterAll(async () => {
    await service?.stop();
  });

  it('imports a file within the limit through the worker', async () => {
    const response = await upload(service, '名录.xlsx', peopleWithoutDimension(300));
    expect(response.status, JSON.stringify(await json(response.clone()))).toBe(200);
    expect((await json(response)).people).toMatchObject({ created: 299 });
  });

  it('stops at the row limit of a sheet without <dimension> with a clear 400, while /healthz keeps answering', async () => {
    const answer = upload(service, '名录.xlsx', peopleWithoutDimension(3000));
    const { latencies, duringParse } = await pollHealth(service, answer);
    const response = await answer;
    expect(response.status).toBe(400);
    const body = await json(response);
    expect(body.error).toMatchObject({
      code: 'invalid_directory',
      message: expect.stringContaining('名录有 1 处问题'),
    });
    expect(body.error.details).toEqual([
      {
        sheet: '名录.xlsx',
        row: 0,
        reason: '名录.xlsx 的工作表“人员”超过 2,000 行的上限（读到第 2,001 行时停止）；请拆分后分别导入',
      },
    ]);
    // Answered while the worker parsed, and every poll answered without being held up (a second is lenient: a
    // shared CI box is slow, not stuck).
    expect(duringParse).toBeGreaterThan(0);
    expect(Math.max(...latencies)).toBeLessThan(1000);
  });

  it('lists the first 100 problems of a file of bad rows and counts the rest, in a small answer', async () => {
    const body = [inlineRow(1, ['人员编码', '姓名', '手机号'])];
    for (let r = 2; r <= 400; r++) body.push(inlineRow(r, [`q${r}`, `某${r}`, '123']));
    const response = await upload(service, '坏.xlsx', partsXlsx([{ name: '人员', xml: worksheetXml(body.join('')) }]));
    expect(response.status).toBe(400);
    const text = await response.text();
    expect(text.length).toBeLessThan(30_000);
    const error = JSON.parse(text).error;
    expect(error.message).toContain('名录有 399 处问题');
    expect(error.message).toContain('details 列出前 100 处，另有 299 处问题未列出');
    expect(error.details).toHaveLength(100);
    expect(error.details[0]).toMatchObject({ sheet: '人员', row: 2, column: '手机号' });
    expect(error.details[99]).toMatchObject({ sheet: '人员', row: 101 });
  });
});

describe('files past the bytes a route takes, read into a buffer reused from upload to upload', () => {
  let service: TestService;

  beforeAll(async () => {
    service = await startTestService({ ADMIN_TOKEN: TOKEN });
  });
  afterAll(async () => {
    await service?.stop();
  });

  const put = (path: string, body: Buffer | FormData, type?: string) =>
    fetch(`${service.url}${path}`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${TOKEN}`, ...(type ? { 'content-type': type } : {}) },
      body,
    });

  it('answers 413 with what the limit is, as a raw body and as a file; the uploads after them import whole', async () => {
    // The checklists take 16 MB; 17 MB of anything is refused while it is read, not after.
    const big = Buffer.alloc(17 * 2 ** 20, 0x41);
    const raw = await put('/api/admin/checklists', big, XLSX);
    expect(raw.status).toBe(413);
    expect((await json(raw)).error).toEqual({
      code: 'body_too_large',
      message: '请求体过大：上传的文件合计超过 16 MB 的上限',
    });
    const form = new FormData();
    form.append('file', new Blob([big], { type: XLSX }), 'checklists.xlsx');
    const multipart = await put('/api/admin/checklists', form);
    expect(multipart.status).toBe(413);
    expect((await json(multipart)).error.code).toBe('body_too_large');
    // Each next upload reads into the memory the one before used: nothing of theirs may show through.
    for (const [rows, created] of [
      [150, 149],
      [20, 0],
      [300, 150],
    ] as const) {
      const response = await put('/api/admin/directory?mode=merge', peopleWithoutDimension(rows), XLSX);
      const report = await json(response);
      expect(response.status, JSON.stringify(report)).toBe(200);
      expect(report.people.created).toBe(created);
    }
    const people = (
      await json(
        await fetch(`${service.url}/api/admin/directory`, {
          headers: { authorization: `Bearer ${TOKEN}` },
        }),
      )
    ).people as { code: string; name: string }[];
    expect(people).toHaveLength(299);
    expect(people.every((p) => p.name === `人员${p.code.slice(1)}`)).toBe(true);
    expect((await fetch(`${service.url}/healthz`)).status).toBe(200);
  });
});

describe('a file of many bad rows within every limit', () => {
  let service: TestService;

  beforeAll(async () => {
    // A parse heap of a third of the service's: a sheet's problems kept only as far as they are listed, and its
    // rows let go once read, fit 60,000 bad rows in it (before they were kept whole: 413, out of memory).
    service = await startTestService(
      { ADMIN_TOKEN: TOKEN },
      { uploads: { worker: { maxHeapMb: 64, timeoutMs: 60_000 } } },
    );
  });
  afterAll(async () => {
    await service?.stop();
  });

  it('answers its first 100 problems and how many there are, not that it ran out of memory', async () => {
    const response = await upload(service, '坏.xlsx', badLists(60_000, 20_000, false));
    const body = await json(response);
    expect(response.status, JSON.stringify(body).slice(0, 300)).toBe(400);
    expect(body.error.message).toBe(
      '名录有 140,000 处问题，未导入任何内容；请按 details 逐条修改后重新导入（details 列出前 100 处，另有 139,900 处问题未列出）',
    );
    expect(body.error.details).toHaveLength(100);
    expect(body.error.details[0]).toMatchObject({ sheet: '人员', row: 2, column: '手机号' });
  });
});

describe('a parse that runs out of time', () => {
  let service: TestService;

  beforeAll(async () => {
    service = await startTestService(
      { ADMIN_TOKEN: TOKEN },
      { uploads: { worker: { maxHeapMb: 192, timeoutMs: 100 } } },
    );
  });
  afterAll(async () => {
    await service?.stop();
  });

  it('ends the worker and answers 413 saying why; the service goes on', async () => {
    const response = await upload(service, '名录.xlsx', peopleWithoutDimension(50));
    expect(response.status).toBe(413);
    expect((await json(response)).error).toEqual({
      code: 'upload_too_large',
      message: '名录.xlsx：文件在 0.1 秒内没有解析完，已停止；请拆分后分别导入',
    });
    expect((await fetch(`${service.url}/healthz`)).status).toBe(200);
  });
});
