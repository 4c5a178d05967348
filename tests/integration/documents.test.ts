import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { eq, like } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hazardDocuments, hazards, outbox } from '../../src/db/schema/index.js';
import { sampleReportForm } from '../../src/dev/sample-county.js';
import { createCalendar } from '../../src/domain/calendar.js';
import { storeGovernancePlan } from '../../src/hazards/documents/index.js';
import { type Json, reportThroughChat, titleOf } from '../support/chat.js';
import { flat, readPdf } from '../support/pdf.js';
import { eventually, startTestService, type TestService } from '../support/service.js';

const TOKEN = 'documents-test-admin-token-0123456789';
const READER = 'documents-test-reader-token-0123456789';
const TOWN2_READER = 'documents-test-town02-token-0123456789';
const calendar = createCalendar();

const PEOPLE = [
  { code: 'insp', name: '县检查员', openId: 'ou_insp', roles: [{ role: 'inspector', scope: 'county' }] },
  { code: 'boss', name: '企业老板', openId: 'ou_boss', roles: [] },
  { code: 'safe', name: '安全员', openId: 'ou_safe', roles: [] },
];

const DIRECTORY = {
  regions: [
    { code: 'county-x', name: '某县', parent: null },
    { code: 'town-01', name: '城关镇', parent: 'county-x' },
    { code: 'town-02', name: '河西镇', parent: 'county-x' },
  ],
  departments: [{ code: 'yjj', name: '县应急管理局', sectors: ['工贸', '危险化学品'] }],
  people: PEOPLE,
  enterprises: [
    {
      code: 'e001',
      name: '城关化工有限公司',
      region: 'town-01',
      sectors: ['危险化学品'],
      department: 'yjj',
      principal: 'boss',
      safetyOfficer: 'safe',
    },
  ],
};

/** `2026-12-07` → 2026年12月7日 */
const inChinese = (date: string) => {
  const [y, m, d] = date.split('-').map(Number);
  return `${y}年${m}月${d}日`;
};

describe('hazard documents: PDFs sent into chat and kept with the hazard (整改通知书, 复查意见书, 治理方案)', () => {
  let service: TestService;
  let pngDir: string;
  const today = calendar.localDate(new Date());
  const deadline = calendar.addDays(today, 10).date;

  const cards = (openId: string) => service.sim.messages({ to: openId, msgType: 'interactive' });
  const files = (openId: string) => service.sim.messages({ to: openId, msgType: 'file' });
  const db = () => service.deps.database.db;
  const click = (openId: string, messageId: string, value: Json, formValue?: Record<string, string>) =>
    service.sim.clickCard(openId, messageId, { value, formValue }).then((d) => d.body as Json);
  const cardAbout = (openId: string, code: string, title: string) =>
    eventually(
      () =>
        cards(openId)
          .filter((m) => titleOf(m.content).includes(code) && titleOf(m.content).includes(title))
          .at(-1),
      10_000,
      `the card “${title}” about ${code} to ${openId}`,
    );
  /** The n-th (1-based) file message to `openId`, with the PDF the person got and the name it came with. */
  const fileTo = async (openId: string, n: number) => {
    const message = await eventually(() => files(openId)[n - 1], 10_000, `file message ${n} to ${openId}`);
    const key = message.content.file_key as string;
    const bytes = service.sim.file(key);
    const meta = service.sim.files().find((f) => f.fileKey === key);
    expect(bytes, `the uploaded bytes of ${key}`).toBeDefined();
    return { message, bytes: bytes!, fileName: meta?.fileName, fileType: meta?.fileType };
  };
  const api = (url: string, token: string | null = READER) =>
    fetch(`${service.url}${url}`, token ? { headers: { authorization: `Bearer ${token}` } } : {});

  beforeAll(async () => {
    pngDir = mkdtempSync(path.join(tmpdir(), 'documents-png-'));
    service = await startTestService({
      ADMIN_TOKEN: TOKEN,
      API_TOKENS: `dashboard:${READER},town02:${TOWN2_READER}`,
      API_TOKEN_SCOPES: 'town02=region:town-02',
    });
    for (const p of PEOPLE) service.sim.addUser({ openId: p.openId, name: p.name });
    const response = await fetch(`${service.url}/api/admin/directory`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify(DIRECTORY),
    });
    expect(response.status, await response.text()).toBe(200);
  });
  afterAll(async () => {
    await service?.stop();
    if (pngDir) rmSync(pngDir, { recursive: true, force: true });
  });

  it('report → notice PDF with the notice card; reject → review-1; resubmit → accept → review-2; the API serves each', async () => {
    const reported = await reportThroughChat(service.sim, 'ou_insp', {
      ...sampleReportForm(deadline),
      basis: '《危险化学品安全管理条例》第二十条',
    });
    expect(reported.body.toast?.type, JSON.stringify(reported.body)).toBe('success');
    const code = reported.code!;
    const notice = await cardAbout('ou_boss', code, '整改通知');

    // The responsible person gets the notice as a PDF file beside the card; the reporter gets no file.
    const sent = await fileTo('ou_boss', 1);
    expect(sent.fileName).toBe(`隐患整改通知书-${code}.pdf`);
    expect(sent.fileType).toBe('pdf');
    const read = readPdf(sent.bytes, { pngDir, name: 'notice' });
    for (const text of [
      '某县应急管理局',
      '隐患整改通知书',
      `〔${code.slice(3, 7)}〕${code}号`,
      '城关化工有限公司：',
      '隐患地点：储罐区 2 号罐',
      '隐患描述：储罐区静电接地线断开',
      '一般事故隐患',
      '依据条款：《危险化学品安全管理条例》第二十条',
      '整改措施（定措施）：恢复静电接地并检测',
      '整改标准（定标准）：接地电阻不大于 10 欧',
      `整改期限（定期限）：${inChinese(deadline)}前完成整改`,
      '整改责任人（定责任人）：企业老板',
      '检查（上报）人：县检查员',
      inChinese(today),
    ]) {
      expect(read.flat, text).toContain(flat(text));
    }
    expect(read.flat).not.toContain('停产停业');
    expect(read.pages).toBe(1);
    expect(read.pngs).toHaveLength(1);
    expect(read.pngs[0]!.length).toBeGreaterThan(5_000);
    expect(files('ou_insp')).toHaveLength(0);

    // The file message was an outbox row naming the stored document; the upload happened when it was sent.
    // (Marked sent just after the simulator took it.)
    const rows = await eventually(async () => {
      const found = await db()
        .select()
        .from(outbox)
        .where(like(outbox.topic, `hazard:${code}:document:%`));
      return found.length > 0 && found.every((r) => r.status === 'sent') ? found : undefined;
    });
    expect(rows.map((r) => [r.target, r.msgType, r.status, r.topic])).toEqual([
      ['ou_boss', 'file', 'sent', `hazard:${code}:document:notice`],
    ]);
    expect(rows[0]!.content).toMatchObject({ attachment: expect.stringMatching(/^hazard-document:\d+$/) });

    // Rectified, then rejected: the review opinion (不合格, the reason, the new deadline) goes to the responsible person.
    await click(
      'ou_boss',
      notice.messageId,
      { action: 'hazard.submitRectification', code },
      { rectification: '第一次' },
    );
    const verify = await cardAbout('ou_insp', code, '请验收');
    const rejected = await click(
      'ou_insp',
      verify.messageId,
      { action: 'hazard.reject', code },
      { reject_reason: '接地电阻仍超标' },
    );
    expect(rejected.toast.type).toBe('success');
    const newDeadline = (await db().select().from(hazards).where(eq(hazards.code, code)))[0]!.deadline;
    const review1 = await fileTo('ou_boss', 2);
    expect(review1.fileName).toBe(`整改复查意见书-${code}-1.pdf`);
    const r1 = readPdf(review1.bytes);
    for (const text of [
      '整改复查意见书',
      `${code}-复查1号`,
      '整改情况：第一次',
      '整改不合格，予以驳回。理由：接地电阻仍超标。',
      `重新整改期限：${inChinese(newDeadline)}前`,
      '复查人：县检查员',
      '整改责任人：企业老板',
    ]) {
      expect(r1.flat, text).toContain(flat(text));
    }

    const back = await cardAbout('ou_boss', code, '整改被驳回');
    await click('ou_boss', back.messageId, { action: 'hazard.submitRectification', code }, { rectification: '第二次' });
    const verify2 = await eventually(
      () => cards('ou_insp').filter((m) => titleOf(m.content) === `整改已提交，请验收｜${code}`)[1],
      10_000,
      'the second verify card',
    );
    expect((await click('ou_insp', verify2.messageId, { action: 'hazard.accept', code })).toast.type).toBe('success');
    const review2 = await fileTo('ou_boss', 3);
    const r2 = readPdf(review2.bytes, { pngDir, name: 'review' });
    expect(r2.flat).toContain(flat(`${code}-复查2号`));
    expect(r2.flat).toContain(flat('整改情况：第二次'));
    expect(r2.flat).toContain(flat('整改合格，同意销号。'));
    expect(r2.flat).not.toContain('重新整改期限');

    // The API lists the hazard's documents and serves each as the PDF the person got, named in Chinese.
    const detail = await api(`/api/hazards/${code}`);
    expect(detail.status).toBe(200);
    const listed = ((await detail.json()) as Json).documents as Json[];
    expect(listed.map((d) => [d.name, d.title, d.fileName, d.url])).toEqual([
      ['notice', '隐患整改通知书', `隐患整改通知书-${code}.pdf`, `/api/hazards/${code}/documents/notice`],
      ['review-1', '整改复查意见书', `整改复查意见书-${code}-1.pdf`, `/api/hazards/${code}/documents/review-1`],
      ['review-2', '整改复查意见书', `整改复查意见书-${code}-2.pdf`, `/api/hazards/${code}/documents/review-2`],
    ]);
    for (const [name, got] of [
      ['notice', sent],
      ['review-1', review1],
      ['review-2', review2],
    ] as const) {
      const response = await api(`/api/hazards/${code}/documents/${name}`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('application/pdf');
      const disposition = response.headers.get('content-disposition') ?? '';
      expect(disposition).toContain(`filename="${code}-${name}.pdf"`);
      const encoded = /filename\*=UTF-8''([^;]+)/.exec(disposition)?.[1] ?? '';
      expect(decodeURIComponent(encoded)).toBe(got.fileName);
      const bytes = Buffer.from(await response.arrayBuffer());
      expect(bytes.equals(got.bytes), `${name}: the API's bytes are the chat's`).toBe(true);
    }

    // Unknown document, a hazard out of the token's scope, no token.
    const unknown = await api(`/api/hazards/${code}/documents/review-3`);
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as Json).error.code).toBe('document_not_found');
    expect((await api(`/api/hazards/${code}/documents/..%2Fnotice`)).status).toBe(404);
    const outOfScope = await api(`/api/hazards/${code}/documents/notice`, TOWN2_READER);
    expect(outOfScope.status).toBe(404);
    expect(((await outOfScope.json()) as Json).error.code).toBe('hazard_not_found');
    expect((await api(`/api/hazards/${code}/documents/notice`, null)).status).toBe(401);
  });

  it('a governance plan stored by the plan form (storeGovernancePlan) is kept, sent, replaced on resubmission and served', async () => {
    const reported = await reportThroughChat(service.sim, 'ou_insp', {
      ...sampleReportForm(deadline),
      level: 'major',
      suspend: 'yes',
      funds: '50 万元',
      contingency: '停产',
    });
    const code = reported.code!;
    const [row] = await db().select().from(hazards).where(eq(hazards.code, code));
    // The notice of a major hazard says so.
    const noticeMessage = await eventually(
      () =>
        files('ou_boss').find(
          (m) =>
            service.sim.files().find((f) => f.fileKey === m.content.file_key)?.fileName ===
            `隐患整改通知书-${code}.pdf`,
        ),
      10_000,
      'the major hazard notice',
    );
    const noticeText = readPdf(service.sim.file(noticeMessage.content.file_key)!).flat;
    expect(noticeText).toContain('重大事故隐患');
    // An inspector's 停产停业 is a proposal until the department orders it: the notice orders nothing yet.
    expect((await db().select().from(hazards).where(eq(hazards.code, code)))[0]!.suspended).toBe(false);
    expect(noticeText).not.toContain('停产停业整改');

    const plan = {
      hazardCode: code,
      unitName: '城关化工有限公司',
      situation: '储罐区接地系统老化',
      severity: '可能引发火灾爆炸',
      goals: '一个月内消除隐患',
      methods: '更换全部接地线',
      funding: '50 万元',
      organisation: '安全部',
      timeline: '一个月',
      safety: '停产整改',
      submittedBy: '企业老板',
      submittedAt: new Date(),
    };
    // The first upload fails: the outbox retries the row (uploading again), and the file still arrives.
    service.sim.faults.failNext('file.create', { status: 500 });
    await db().transaction((tx) =>
      storeGovernancePlan(tx, { hazardId: row!.id, plan, sendTo: ['ou_insp'], now: new Date() }),
    );
    service.deps.outboxSender.kick();
    const first = await eventually(() => files('ou_insp')[0], 15_000, 'the plan to the inspector');
    const planRow = await eventually(async () => {
      const [found] = await db()
        .select()
        .from(outbox)
        .where(eq(outbox.topic, `hazard:${code}:document:plan`));
      return found?.status === 'sent' ? found : undefined;
    });
    expect(planRow.attempts).toBe(1);
    expect(readPdf(service.sim.file(first.content.file_key)!).flat).toContain(
      flat('一、现状及产生原因：储罐区接地系统老化'),
    );

    // Accepted: the plan is stored again under the same name, with who accepted it.
    await db().transaction((tx) =>
      storeGovernancePlan(tx, {
        hazardId: row!.id,
        plan: { ...plan, acceptedBy: '县检查员', acceptedAt: today },
        now: new Date(),
      }),
    );
    const kept = await db().select().from(hazardDocuments).where(eq(hazardDocuments.hazardId, row!.id));
    expect(kept.map((d) => d.name).sort()).toEqual(['notice', 'plan']);
    const response = await api(`/api/hazards/${code}/documents/plan`);
    expect(response.status).toBe(200);
    const served = readPdf(Buffer.from(await response.arrayBuffer()));
    expect(served.flat).toContain(flat('重大事故隐患治理方案'));
    expect(served.flat).toContain(flat('审核（同意）人：县检查员'));
    // The plan went only where it was sent: the responsible person has this hazard's notice alone.
    const namesToBoss = files('ou_boss').map(
      (m) => service.sim.files().find((f) => f.fileKey === m.content.file_key)?.fileName,
    );
    expect(namesToBoss.filter((n) => n?.includes(code))).toEqual([`隐患整改通知书-${code}.pdf`]);
  });
});
