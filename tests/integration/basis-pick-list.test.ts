/**
 * 判定依据 (issue 21 point 1): the report form's `basis` is a pick list of the sectors' major-hazard clauses (the
 * active checklists' major items, the shipped list for a sector without any) plus 其他 with free text. The clause is
 * stored with its code, shown on the hazard's cards, in the ledger's 判定依据 column and in GET /api/hazards/:code.
 * Bad input comes back beside its field with everything typed kept; a major clause with the grade 一般 asks for 重大.
 */
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCalendar } from '../../src/domain/calendar.js';
import { elementsOf, type Json, openReportForm, titleOf } from '../support/chat.js';
import { COUNTY_DIRECTORY } from '../support/reminders.js';
import { eventually, startTestService, type TestService } from '../support/service.js';

const TOKEN = 'basis-test-admin-token-0123456789';
const auth = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
const calendar = createCalendar();
/** The shipped default checklist's first 危化 item (安监总管三〔2017〕121号 第一条). */
const WHP_1 = 'ck:default-whp:1';

describe('the 判定依据 pick list', () => {
  let s: TestService;
  beforeAll(async () => {
    s = await startTestService({ ADMIN_TOKEN: TOKEN });
    for (const person of COUNTY_DIRECTORY.people) s.sim.addUser({ openId: person.openId, name: person.name });
    const response = await fetch(`${s.url}/api/admin/directory`, {
      method: 'PUT',
      headers: auth,
      body: JSON.stringify(COUNTY_DIRECTORY),
    });
    expect(response.status, await response.clone().text()).toBe(200);
  });
  afterAll(async () => {
    await s?.stop();
  });

  const valid = {
    enterprise: '某某化工有限公司',
    sector: '危险化学品',
    level: 'major',
    description: '主要负责人未经安全生产知识和管理能力考核',
    location: '办公楼',
    measures: '组织参加考核',
    standard: '取得考核合格证明',
    deadline: `${calendar.addDays(calendar.localDate(new Date()), 20).date} +0800`,
    suspend: 'no',
  };
  const field = (card: Json, name: string) => elementsOf(card).find((e) => e.name === name);
  const optionValues = (card: Json) => (field(card, 'basis').options as Json[]).map((o) => o.value as string);
  const optionTexts = (card: Json) => (field(card, 'basis').options as Json[]).map((o) => o.text.content as string);
  const redText = (card: Json) =>
    elementsOf(card)
      .filter((e) => e.tag === 'markdown' && String(e.content).includes('⚠'))
      .map((e) => e.content as string)
      .join('\n');

  async function submit(formValue: Record<string, string>) {
    const { form, draft } = await openReportForm(s.sim, 'ou_insp');
    const click = (values: Record<string, string>) =>
      s.sim.clickCard('ou_insp', form.messageId, {
        value: { action: 'report.submit', draft },
        formValue: values,
        name: 'submit',
      });
    const body = (await click(formValue)).body as Json;
    return { form, body, click };
  }
  const codeOf = (body: Json) => /YH-\d{4}-\d{6}/.exec(titleOf(body.card?.data))?.[0] ?? null;
  const api = async (code: string) =>
    (await (await fetch(`${s.url}/api/hazards/${code}`, { headers: auth })).json()) as Json;

  it('offers every sector’s clauses before the sector is chosen, and 其他 with a text field', async () => {
    const { form } = await openReportForm(s.sim, 'ou_insp');
    const values = optionValues(form.content);
    expect(values).toContain(WHP_1);
    expect(values.at(-1)).toBe('other');
    const texts = optionTexts(form.content);
    for (const sector of ['工贸', '危化', '特设', '消防', '燃气']) {
      expect(
        texts.some((t) => t.startsWith(`${sector}｜`)),
        sector,
      ).toBe(true);
    }
    expect(texts.find((t) => t.startsWith('危化｜121号 第一条'))).toBeTruthy();
    expect(field(form.content, 'basis_other').tag).toBe('input');
    expect(Buffer.byteLength(form.rawContent)).toBeLessThan(30 * 1024);
  });

  it('a clause picked: refused with 一般 (asks for 重大, all kept), registered with 重大; on the cards, ledger and API', async () => {
    const { body: first, click } = await submit({ ...valid, level: 'general', basis: WHP_1 });
    expect(first.toast.type).toBe('error');
    const back = first.card.data;
    expect(redText(back)).toContain('重大事故隐患判定条款');
    // Everything typed is kept, and the list is now the chosen sector's alone.
    expect(field(back, 'basis').initial_option).toBe(WHP_1);
    expect(field(back, 'description').default_value).toBe(valid.description);
    expect(field(back, 'level').initial_option).toBe('general');
    expect(optionTexts(back).every((t) => !t.includes('｜'))).toBe(true);
    expect(optionValues(back).every((v) => v === 'other' || v.startsWith('ck:default-whp:'))).toBe(true);

    const done = (await click({ ...valid, basis: WHP_1 })).body as Json;
    expect(done.toast.type, JSON.stringify(done.toast)).not.toBe('error');
    const code = codeOf(done)!;
    expect(code).toBeTruthy();
    const stored = '安监总管三〔2017〕121号 第一条（检查表「危险化学品生产经营单位重大事故隐患排查（默认）」第 1 项）';
    expect(JSON.stringify(done.card.data)).toContain(`**依据**：${stored}`);
    // The notice card to the responsible person (the unit's principal) says it too. A major hazard also
    // sends them the 治理方案 form, in either order, so that one is passed over by its title.
    const notice = await eventually(() =>
      s.sim
        .messages({ to: 'ou_resp' })
        .find(
          (m) => m.rawContent.includes(code) && m.msgType === 'interactive' && !m.rawContent.includes('请提交治理方案'),
        ),
    );
    expect(notice.rawContent).toContain('**依据**：');
    expect(notice.rawContent).toContain('121号 第一条');
    expect((await api(code)).basis).toEqual({ code: WHP_1, text: stored });

    const xlsx = await fetch(`${s.url}/api/ledger.xlsx`, { headers: auth });
    expect(xlsx.status).toBe(200);
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(await xlsx.arrayBuffer());
    const sheet = workbook.worksheets[0]!;
    // Below the ledger's title rows: the header row is the one that starts with 序号.
    let headerRow = 1;
    while (headerRow < 10 && sheet.getRow(headerRow).getCell(1).value !== '序号') headerRow++;
    const header = (sheet.getRow(headerRow).values as unknown[]).indexOf('判定依据');
    expect(header).toBeGreaterThan(0);
    let cell: unknown;
    sheet.eachRow((row) => {
      if (row.getCell(2).value === code) cell = row.getCell(header).value;
    });
    expect(cell).toBe(stored);
  });

  it('其他 with text is stored as typed; a general hazard may cite it', async () => {
    const other = '《某省安全生产条例》第二十条';
    const { body } = await submit({ ...valid, level: 'general', basis: 'other', basis_other: other });
    const code = codeOf(body)!;
    expect(code, JSON.stringify(body.toast)).toBeTruthy();
    expect(JSON.stringify(body.card.data)).toContain(`**依据**：${other}`);
    expect((await api(code)).basis).toEqual({ code: 'other', text: other });
    // None cited: none stored.
    const { body: none } = await submit({ ...valid, level: 'general' });
    expect((await api(codeOf(none)!)).basis).toBeNull();
  });

  it('bad input says what to fix beside its field and loses nothing typed', async () => {
    const cases: [Record<string, string>, string, string][] = [
      [{ basis: 'other' }, 'basis_other', '请写明文件名称和条款号'],
      [{ basis: 'ck:nope:9' }, 'basis', '不在列表中'],
      [{ basis: 'ck:default-gm:1', sector: '危险化学品' }, 'basis', '与行业「危险化学品」不一致'],
      [{ basis: WHP_1, basis_other: '另写的条款' }, 'basis_other', '请留空'],
    ];
    for (const [change, name, message] of cases) {
      const { body } = await submit({ ...valid, ...change });
      expect(body.toast.type, name).toBe('error');
      const back = body.card.data;
      expect(redText(back), JSON.stringify(change)).toContain(message);
      expect(field(back, 'description').default_value).toBe(valid.description);
      expect(field(back, 'measures').default_value).toBe(valid.measures);
      if (change.basis_other) expect(field(back, 'basis_other').default_value).toBe(change.basis_other);
    }
  });
});
