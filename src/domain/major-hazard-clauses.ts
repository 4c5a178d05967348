/**
 * The clauses of each sector's 重大事故隐患 standard that ship with the product (product.md "Sectors and grades"):
 * the report form's `basis` pick list for a sector that has no checklist items of its own (checklist items with a
 * basis and `major: true` come first, hazards/basis-clauses.ts). Data, not code; each entry summarised in our own
 * words. An article number is given only where we are sure of it; otherwise the entry says 请以官方文本为准.
 * - 工贸: 《工贸企业重大事故隐患判定标准》（应急管理部令第10号，2023年5月15日施行）
 * - 危险化学品: 《化工和危险化学品生产经营单位重大生产安全事故隐患判定标准（试行）》（安监总管三〔2017〕121号）
 * - 特种设备: 《特种设备重大事故隐患判定准则》（GB 45067-2024）
 * - 消防: 《重大火灾隐患判定规则》（GB 35181-2025，2025年11月1日施行）
 * - 燃气: 《城镇燃气经营安全重大隐患判定标准》（建城规〔2023〕4号）
 * Codes are stable (a hazard keeps the code it was reported with): never renumber, only add.
 */
import type { Sector } from './vocabulary.js';

export interface MajorHazardClause {
  /** Stable, e.g. `whp-01`; the form's option value and the hazard's basis_code. */
  code: string;
  sector: Sector;
  /** The standard and article as cited, e.g. `安监总管三〔2017〕121号 第一条`. */
  cite: string;
  /** What the clause judges major, in a few words. */
  topic: string;
}

/** The pick list's value for a clause not in the list: its text goes in the form's `basis_other`. */
export const OTHER_BASIS = 'other';

const VERIFY = '（条款号请以官方文本为准）';
const GM = '应急管理部令第10号';
const WHP = '安监总管三〔2017〕121号';
const TZSB = 'GB 45067-2024';
const XF = 'GB 35181-2025';
const RQ = '建城规〔2023〕4号';

type Row = [code: string, cite: string, topic: string];
const rows = (sector: Sector, list: Row[]): MajorHazardClause[] =>
  list.map(([code, cite, topic]) => ({ code, sector, cite, topic }));

export const SHIPPED_CLAUSES: readonly MajorHazardClause[] = [
  ...rows('工贸', [
    ['gm-03-1', `${GM} 第三条第（一）项`, '未对承包、承租单位统一协调管理或定期检查'],
    ['gm-03-2', `${GM} 第三条第（二）项`, '特种作业人员未经培训取得资格上岗'],
    ['gm-03-3', `${GM} 第三条第（三）项`, '金属冶炼企业负责人、安全管理人员未考核合格'],
    ['gm-04', `${GM} 冶金企业${VERIFY}`, '冶金企业的重大事故隐患情形'],
    ['gm-05', `${GM} 有色企业${VERIFY}`, '有色企业的重大事故隐患情形'],
    ['gm-06', `${GM} 建材企业${VERIFY}`, '建材企业的重大事故隐患情形'],
    ['gm-07', `${GM} 机械企业${VERIFY}`, '机械企业的重大事故隐患情形'],
    ['gm-08', `${GM} 轻工企业${VERIFY}`, '轻工企业的重大事故隐患情形'],
    ['gm-09', `${GM} 纺织企业${VERIFY}`, '纺织企业的重大事故隐患情形'],
    ['gm-10', `${GM} 烟草企业${VERIFY}`, '烟草企业的重大事故隐患情形'],
    ['gm-11', `${GM} 第十一条`, '粉尘防爆：存在粉尘爆炸危险的情形'],
    ['gm-12', `${GM} 第十二条`, '液氨制冷：使用液氨制冷的情形'],
    ['gm-13', `${GM} 第十三条`, '有限空间：硫化氢、一氧化碳等中毒风险的有限空间作业'],
    ['gm-14', `${GM} 监控、报警、防护设施${VERIFY}`, '直接关系生产安全的监控、报警、防护设施失效'],
  ]),
  ...rows('危险化学品', [
    ['whp-01', `${WHP} 第一条`, '主要负责人和安全管理人员未依法考核合格'],
    ['whp-02', `${WHP} 第二条`, '特种作业人员未持证上岗'],
    ['whp-03', `${WHP} 第三条`, '“两重点一重大”装置、储存设施外部安全防护距离不符合国家标准'],
    ['whp-04', `${WHP} 第四条`, '重点监管危险化工工艺装置未实现自动化控制或系统未投用'],
    ['whp-05', `${WHP} 第五条`, '一、二级重大危险源罐区无紧急切断或未配独立安全仪表系统'],
    ['whp-06', `${WHP} 第六条`, '全压力式液化烃储罐未设注水措施'],
    ['whp-07', `${WHP} 第七条`, '液化烃、液氨、液氯等装卸未使用万向管道充装系统'],
    ['whp-08', `${WHP} 第八条`, '光气、氯气、硫化氢等管道穿越公共区域'],
    ['whp-09', `${WHP} 第九条`, '架空电力线路穿越生产区且不符合国家标准'],
    ['whp-10', `${WHP} 第十条`, '在役化工装置未经正规设计且未做安全设计诊断'],
    ['whp-11', `${WHP} 第十一条`, '使用淘汰落后安全技术工艺、设备'],
    ['whp-12', `${WHP} 第十二条`, '未按标准设可燃有毒气体检测报警或防爆电气'],
    ['whp-13', `${WHP} 第十三条`, '控制室、机柜间面向危险装置一侧不满足防火防爆要求'],
    ['whp-14', `${WHP} 第十四条`, '无双重电源供电或自控系统无不间断电源'],
    ['whp-15', `${WHP} 第十五条`, '安全阀、爆破片等安全附件未正常投用'],
    ['whp-16', `${WHP} 第十六条`, '未建立全员安全生产责任制或隐患排查治理制度'],
    ['whp-17', `${WHP} 第十七条`, '未制定操作规程和工艺控制指标'],
    ['whp-18', `${WHP} 第十八条`, '动火、受限空间等特殊作业无制度或未执行'],
    ['whp-19', `${WHP} 第十九条`, '新工艺未经试验论证、无试生产方案或未做反应安全风险评估'],
    ['whp-20', `${WHP} 第二十条`, '危化品未分区分类储存、超量超品种或禁配物质混存'],
  ]),
  ...rows('特种设备', [
    ['tz-general', `${TZSB} 通用情形${VERIFY}`, '非法生产、淘汰报废、未监督检验、超参数使用等'],
    ['tz-5-2', `${TZSB} 5.2`, '锅炉'],
    ['tz-5-3', `${TZSB} 5.3`, '压力容器（含气瓶）'],
    ['tz-5-4', `${TZSB} 5.4`, '压力管道'],
    ['tz-5-5', `${TZSB} 5.5`, '气瓶、移动式压力容器充装'],
    ['tz-5-6', `${TZSB} 5.6`, '电梯'],
    ['tz-5-7', `${TZSB} 5.7`, '起重机械'],
    ['tz-ropeway', `${TZSB} 客运索道${VERIFY}`, '客运索道'],
    ['tz-rides', `${TZSB} 大型游乐设施${VERIFY}`, '大型游乐设施'],
    ['tz-vehicles', `${TZSB} 场（厂）内专用机动车辆${VERIFY}`, '场（厂）内专用机动车辆'],
  ]),
  ...rows('消防', [
    ['xf-d-1', `${XF} 直接判定${VERIFY}`, '易燃易爆危险品场所与人员密集、居住场所同一建筑'],
    ['xf-d-2', `${XF} 直接判定${VERIFY}`, '人员密集场所安全出口或疏散宽度严重不足'],
    ['xf-d-3', `${XF} 直接判定${VERIFY}`, '未按标准设自动喷水灭火或火灾自动报警系统'],
    ['xf-d-4', `${XF} 直接判定${VERIFY}`, '甲、乙类厂房或仓库设在地下、半地下'],
    ['xf-d-5', `${XF} 直接判定${VERIFY}`, '人员密集场所违规使用、储存、销售易燃易爆危险品'],
    ['xf-d-6', `${XF} 直接判定${VERIFY}`, '住宿部分用芯材低于A级的彩钢夹芯板搭建'],
    ['xf-d-7', `${XF} 直接判定${VERIFY}`, '儿童用房、老年人照料设施设置楼层不符合标准'],
    ['xf-d-8', `${XF} 直接判定${VERIFY}`, '可燃液体、气体储罐区缺固定灭火冷却报警设施'],
    ['xf-c', `${XF} 综合判定${VERIFY}`, '综合判定要素达到规定数量'],
  ]),
  ...rows('燃气', [
    ['rq-04', `${RQ} 第四条`, '无证经营或未建风险管控、隐患排查、应急预案、用户检查制度'],
    ['rq-05', `${RQ} 第五条`, '厂站储罐监测报警、超压切断放散、装卸防拉脱装置缺失'],
    ['rq-pipe', `${RQ} 燃气管道和调压设施${VERIFY}`, '管线被占压、调压装置无超压保护等'],
    ['rq-bottle', `${RQ} 瓶装燃气${VERIFY}`, '为非自有气瓶充装、销售非法充装瓶装燃气等'],
    ['rq-09', `${RQ} 第九条`, '入户检查发现用户端重大隐患未书面告知整改'],
  ]),
];
