/** The help card: what the bot can do, in the words people type. JSON 2.0. */
export function buildHelpCard(note?: string): object {
  const lines = [
    '**上报** — 上报安全隐患（也可直接发送现场照片）',
    '**检查** — 按检查表逐项检查单位并留痕（企业负责人、安全管理员可进行企业自查）；不合格项转隐患上报，立查立改当场销号',
    '**待检** — 我辖区内按检查计划本期应检而未检的单位（逾期的在前）和检查覆盖率',
    '**我的** — 我负责、我上报或我辖区内的未闭环隐患',
    '**查询 YH-2026-000123** — 查看一条隐患及其全过程记录',
    '**台账** — 导出我辖区的隐患台账和检查记录（Excel）',
    '**统计** — 按乡镇、行业、等级、状态统计，逾期率',
    '**帮助** — 显示本说明',
    '**绑定 城关镇** — 在乡镇工作群里 @我 发送，把本群设为该乡镇的督办群（管理员或乡镇领导）',
  ];
  return {
    schema: '2.0',
    config: { update_multi: true, summary: { content: '隐患闭环助手：使用说明' } },
    header: {
      title: { tag: 'plain_text', content: '隐患闭环助手' },
      subtitle: { tag: 'plain_text', content: '查、改、治，压实责任' },
      template: 'blue',
    },
    body: {
      elements: [
        ...(note ? [{ tag: 'markdown', content: note }] : []),
        { tag: 'markdown', content: lines.join('\n') },
        {
          tag: 'markdown',
          content: '单聊直接发送指令；在群里请先 @我。为落实“四不两直”，上报和检查表单只在单聊中出现。',
        },
      ],
    },
  };
}
