import { describe, expect, it } from 'vitest';
import { issuerOf } from '../../src/hazards/documents/issue.js';
import { chineseDate, chineseNumber } from '../../src/hazards/documents/pdf.js';
import {
  renderGovernancePlanPdf,
  renderRectificationNoticePdf,
  renderReviewOpinionPdf,
} from '../../src/hazards/documents/render.js';
import type { PlanDocument } from '../../src/hazards/plan-document.js';
import { flat, readPdf } from '../support/pdf.js';

const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47]);
// Rare and traditional-looking characters a unit's or person's name may carry: the whole font is there, not a subset
// of common characters (a web font split by usage would drop some of these).
const RARE = '鑫淼犇罍燚龘曌旻喆';

describe('hazard documents (PDF)', () => {
  it('隐患整改通知书: title, number, unit, findings, the five 定, suspension, signature and date in Chinese', async () => {
    const pdf = await renderRectificationNoticePdf({
      hazardCode: 'YH-2026-000123',
      issuer: '示例县应急管理局',
      unitName: `${RARE}化工有限公司`,
      location: '储罐区 2 号罐',
      description: '储罐区静电接地线断开',
      grade: 'major',
      basis: '《危险化学品安全管理条例》第二十条',
      measures: '恢复静电接地并检测',
      standard: '接地电阻不大于 10 欧',
      deadline: '2026-12-20',
      responsibleName: '钱工',
      reporterName: '王检查',
      suspended: true,
      issuedOn: '2026-12-07',
      createdAt: new Date('2026-12-07T02:00:00Z'),
    });
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
    // The font is subset on embedding: a page of text is small.
    expect(pdf.length).toBeLessThan(120_000);
    const read = readPdf(pdf);
    expect(read.pages).toBeGreaterThanOrEqual(1);
    expect(read.fonts).toMatch(/NotoSerifSC-Regular\s+CID TrueType\s+Identity-H\s+yes\s+yes\s+yes/);
    for (const text of [
      '示例县应急管理局',
      '隐患整改通知书',
      '〔2026〕YH-2026-000123号',
      `${RARE}化工有限公司：`,
      '隐患地点：储罐区2号罐',
      '隐患描述：储罐区静电接地线断开',
      '重大事故隐患',
      '依据条款：《危险化学品安全管理条例》第二十条',
      '整改措施（定措施）：恢复静电接地并检测',
      '整改标准（定标准）：接地电阻不大于10欧',
      '整改期限（定期限）：2026年12月20日前完成整改',
      '整改责任人（定责任人）：钱工',
      '停产停业整改',
      '检查（上报）人：王检查',
      '2026年12月7日',
    ]) {
      expect(read.flat).toContain(flat(text));
    }
    expect(read.pngs.length).toBe(read.pages);
    expect(read.pngs[0]!.subarray(0, 4)).toEqual(PNG);
    // The same input makes the same bytes (the creation time is the input's).
    const again = await renderRectificationNoticePdf({
      hazardCode: 'YH-2026-000123',
      issuer: '示例县应急管理局',
      unitName: `${RARE}化工有限公司`,
      location: '储罐区 2 号罐',
      description: '储罐区静电接地线断开',
      grade: 'major',
      basis: '《危险化学品安全管理条例》第二十条',
      measures: '恢复静电接地并检测',
      standard: '接地电阻不大于 10 欧',
      deadline: '2026-12-20',
      responsibleName: '钱工',
      reporterName: '王检查',
      suspended: true,
      issuedOn: '2026-12-07',
      createdAt: new Date('2026-12-07T02:00:00Z'),
    });
    expect(again.equals(pdf)).toBe(true);
  });

  it('a general hazard without basis or suspension leaves those findings out', async () => {
    const read = readPdf(
      await renderRectificationNoticePdf({
        hazardCode: 'YH-2026-000007',
        issuer: '某县安全生产委员会办公室',
        unitName: '城关机械一厂',
        location: '车间',
        description: '砂轮机防护罩缺失',
        grade: 'general',
        basis: null,
        measures: '加装防护罩',
        standard: '符合 GB 4674',
        deadline: '2027-01-05',
        responsibleName: '企业老板',
        reporterName: '镇检查员',
        suspended: false,
        issuedOn: '2026-12-31',
        createdAt: new Date('2026-12-31T02:00:00Z'),
      }),
    );
    expect(read.flat).toContain(flat('一般事故隐患'));
    expect(read.flat).not.toContain('依据条款');
    expect(read.flat).not.toContain('停产停业');
    // Numbered without gaps: the 4th finding is the measures once the basis is left out.
    expect(read.flat).toContain(flat('四、整改措施（定措施）：加装防护罩'));
    expect(read.flat).toContain('2026年12月31日');
    expect(read.pages).toBe(1);
  });

  it('整改复查意见书: rejected with reason and new deadline; accepted with production resumed', async () => {
    const base = {
      hazardCode: 'YH-2026-000123',
      issuer: '示例县应急管理局',
      unitName: '城关化工有限公司',
      grade: 'major' as const,
      description: '储罐区静电接地线断开',
      rectification: '已重新连接接地线',
      verifierName: '王检查',
      responsibleName: '钱工',
      createdAt: new Date('2026-12-08T02:00:00Z'),
    };
    const rejected = readPdf(
      await renderReviewOpinionPdf({
        ...base,
        sequence: 1,
        outcome: 'rejected',
        reason: '接地电阻仍超标',
        newDeadline: '2026-12-25',
        reviewedOn: '2026-12-08',
      }),
    );
    for (const text of [
      '整改复查意见书',
      '〔2026〕YH-2026-000123-复查1号',
      '城关化工有限公司：',
      '整改情况：已重新连接接地线',
      '整改不合格，予以驳回。理由：接地电阻仍超标。',
      '重新整改期限：2026年12月25日前',
      '复查人：王检查',
      '2026年12月8日',
    ]) {
      expect(rejected.flat).toContain(flat(text));
    }
    const accepted = readPdf(
      await renderReviewOpinionPdf({
        ...base,
        sequence: 2,
        outcome: 'accepted',
        suspensionLifted: true,
        reviewedOn: '2026-12-10',
      }),
    );
    expect(accepted.flat).toContain(flat('〔2026〕YH-2026-000123-复查2号'));
    expect(accepted.flat).toContain(flat('整改合格，同意销号。同意恢复生产经营。'));
    expect(accepted.flat).not.toContain('重新整改期限');
    expect(accepted.flat).toContain('2026年12月10日');
  });

  it('治理方案: the eight parts, who submitted it and who accepted it, dated in the county time zone', async () => {
    const read = readPdf(
      await renderGovernancePlanPdf({
        hazardCode: 'YH-2026-000123',
        unitName: '城关化工有限公司',
        situation: '储罐区接地系统老化',
        severity: '可能引发火灾爆炸，整改难度中等',
        goals: '一个月内消除隐患',
        methods: '更换全部接地线',
        funding: '50 万元，物资已采购',
        organisation: '安全部，钱工负责',
        timeline: '2027年1月10日前完成',
        safety: '停产整改，制定专项应急预案',
        submittedBy: '赵总',
        // 17:30 UTC is already the 8th in Asia/Shanghai.
        submittedAt: new Date('2026-12-07T17:30:00Z'),
        acceptedBy: '吴局长',
        acceptedAt: '2026-12-09',
      }),
    );
    for (const text of [
      '城关化工有限公司',
      '重大事故隐患治理方案',
      '〔2026〕YH-2026-000123-方案号',
      '一、现状及产生原因：储罐区接地系统老化',
      '二、危害程度和整改难易程度分析：可能引发火灾爆炸，整改难度中等',
      '三、治理的目标和任务：一个月内消除隐患',
      '四、采取的方法和措施：更换全部接地线',
      '五、经费和物资的落实：50 万元，物资已采购',
      '六、负责治理的机构和人员：安全部，钱工负责',
      '七、治理的时限和要求：2027年1月10日前完成',
      '八、安全措施和应急预案：停产整改，制定专项应急预案',
      '编制（提交）人：赵总',
      '提交日期：2026年12月8日',
      '审核（同意）人：吴局长',
      '审核日期：2026年12月9日',
    ]) {
      expect(read.flat).toContain(flat(text));
    }
  });

  it('治理方案 from planDocument() of the plan module: local times YYYY-MM-DD HH:mm, and — where unknown', async () => {
    const fromPlanModule: PlanDocument = {
      hazardCode: 'YH-2026-000124',
      unitName: '城关化工有限公司',
      situation: '现状',
      severity: '危害',
      goals: '目标',
      methods: '方法',
      funding: '经费',
      organisation: '机构',
      timeline: '时限',
      safety: '预案',
      submittedBy: '—',
      submittedAt: '2026-12-08 09:30',
      acceptedBy: '吴局长',
      acceptedAt: '—',
    };
    const read = readPdf(await renderGovernancePlanPdf(fromPlanModule));
    expect(read.flat).toContain(flat('编制（提交）人：— 提交日期：2026年12月8日'));
    expect(read.flat).toContain(flat('审核（同意）人：吴局长 审核日期：—'));
  });

  it('names and numbers in Chinese', () => {
    expect(chineseDate('2026-01-05')).toBe('2026年1月5日');
    expect([1, 9, 10, 11, 20, 23].map(chineseNumber)).toEqual(['一', '九', '十', '十一', '二十', '二十三']);
    expect(issuerOf({ department: { id: 1, code: 'yjj', name: '县应急管理局' } }, '示例县')).toBe('示例县应急管理局');
    expect(issuerOf({ department: { id: 1, code: 'yjj', name: '示例县应急管理局' } }, '示例县')).toBe(
      '示例县应急管理局',
    );
    expect(issuerOf({ department: null }, '本县')).toBe('本县安全生产委员会办公室');
  });
});
