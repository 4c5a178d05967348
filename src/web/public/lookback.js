// 责任倒查 on a major hazard's page: fills <section id="lookback" data-code="YH-…"> from
// GET /web/api/hazards/:code/lookback — the earlier inspections of the unit that passed the checklist item this hazard
// failed. textContent only; styled by campaign.css (linked from here: the CSP allows no inline style).

const section = document.getElementById('lookback');

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

function linkStylesheet() {
  const href = '/web/static/campaign.css';
  if (document.querySelector(`link[href="${href}"]`)) return;
  const link = document.createElement('link');
  link.rel = 'stylesheet';
  link.href = href;
  document.head.append(link);
}

function render(data) {
  const parts = [el('h2', null, '责任倒查')];
  if (!data.item) {
    parts.push(el('p', 'cmp-note', '这条隐患不是检查中发现的，也没有引用检查表条目，无法倒查此前的检查。'));
  } else {
    const item = data.item;
    parts.push(
      el(
        'p',
        'cmp-note',
        `检查表 ${item.checklistCode} 第 ${item.code} 项${item.text ? `：${item.text}` : ''}` +
          (item.foundBy ? `（${item.foundBy} 检查发现不合格）` : ''),
      ),
    );
    if (data.passedBefore.length === 0) {
      parts.push(el('p', 'cmp-good-text', '此前没有检查判定该项合格。'));
    } else {
      parts.push(el('p', 'cmp-bad-text', `此前 ${data.passedBefore.length} 次检查判定该项合格：`));
      const list = el('ul', 'cmp-lookback');
      for (const pass of data.passedBefore) {
        const li = el('li');
        li.append(
          el('span', 'cmp-date', pass.date),
          el('span', 'cmp-code', pass.inspectionCode),
          el('span', 'cmp-kind', pass.kindLabel),
          el('span', 'cmp-who', [pass.inspector, ...pass.companions].join('、')),
        );
        list.append(li);
      }
      parts.push(list);
    }
  }
  section.replaceChildren(...parts);
  section.dataset.loaded = 'true';
}

async function load() {
  linkStylesheet();
  section.classList.add('cmp');
  const code = section.dataset.code ?? '';
  section.replaceChildren(el('p', 'cmp-status', '加载中…'));
  try {
    const response = await fetch(`/web/api/hazards/${encodeURIComponent(code)}/lookback`, {
      headers: { accept: 'application/json' },
    });
    const data = await response.json();
    if (!response.ok) {
      section.replaceChildren(el('p', 'cmp-status', data?.error?.message ?? `加载失败（${response.status}）`));
      return;
    }
    render(data);
  } catch (error) {
    section.replaceChildren(el('p', 'cmp-status', '加载失败，请稍后重试'));
    console.error('lookback:', error);
  }
}

if (section?.dataset.code) load();
