// The stewardship console: plain ES module, no build step. Every value from the API is untrusted
// (other departments' data): it reaches the page only as text nodes, never as markup.

const tokenKey = 'hub-console-token';
const state = { token: sessionStorage.getItem(tokenKey), me: null, page: null };

const roleNames = { steward: '数据治理专员', department: '数据提供部门', authority: '数据主管部门', consumer: '数据使用方', auditor: '审计员' };
const homes = { steward: 'steward', department: 'provider', authority: 'authority', consumer: 'consumer', auditor: 'auditor' };
const homeOf = (role) => `#/${homes[role] ?? 'scorecards'}`;
const kindNames = { invalid: '校验失败', warning: '警告', conflict: '冲突' };
const severityNames = { error: '错误', warning: '警告' };
const alertStatusNames = { open: '未处理', acknowledged: '已确认', resolved: '已解决', routed: '已转交', dismissed: '已忽略' };
const actionNames = { keep: '保留权威值', accept: '采纳另一值', dismiss: '误报忽略', assign: '指派', reopen: '重新打开', route: '转交提供方更正' };
const correctionStatusNames = { open: '待核实', confirmed: '确认有误，待更正', rejected: '核实无误', corrected: '已更正' };
const escalationNames = { 'verify-overdue': '核实超期', 'correct-overdue': '更正超期' };
const applicationStatusNames = {
  granted: '已授权',
  'pending-provider': '待提供方答复',
  refused: '已拒绝',
  escalated: '已升级至主管部门',
  expired: '已过期',
  revoked: '已撤销',
  suspended: '已暂停',
};
const cycleNames = { realtime: '实时', hourly: '每小时', daily: '每日', weekly: '每周', monthly: '每月', quarterly: '每季度', yearly: '每年' };
const openTypeNames = { open: '无条件开放', on_application: '依申请开放', not_open: '不开放' };
const reviewStatusNames = { pending: '待审核', approved: '已同意', rejected: '已驳回' };
const feedbackKindNames = { problem: '问题反馈', request: '数据需求' };
const openApplicationStatusNames = { pending: '待答复', approved: '已同意', refused: '已拒绝' };

const $ = (selector, root = document) => root.querySelector(selector);

/** An element; string children become text nodes. Props: on* listeners, class, anything else as an attribute. */
function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on')) el.addEventListener(key.slice(2), value);
    else if (key === 'class') el.className = value;
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  el.append(...children.flat(Infinity).filter((c) => c !== null && c !== undefined && c !== false));
  return el;
}

const text = (v) => (v === null || v === undefined || v === '' ? '—' : String(v));
const valueText = (v) => (v === null || v === undefined ? '（空）' : typeof v === 'object' ? JSON.stringify(v) : String(v));
// Times as the hub counts them: China time, whatever the browser's own zone.
const zone = { timeZone: 'Asia/Shanghai' };
const time = (iso) => (iso ? new Date(iso).toLocaleString('zh-CN', { ...zone, hour12: false }) : '—');
const date = (iso) => (!iso ? '—' : /^\d{4}-\d{2}-\d{2}$/.test(iso) ? iso : new Date(iso).toLocaleDateString('zh-CN', zone));
const percent = (x) => (typeof x === 'number' ? `${(x * 100).toFixed(1)}%` : '—');
const ratio = (part, whole) => (whole > 0 ? part / whole : null);
const list = (xs) => (Array.isArray(xs) && xs.length > 0 ? xs.join('、') : '—');
const shortId = (id) => h('span', { title: id, class: 'mono' }, String(id).slice(0, 8));
const tag = (label, cls = '') => h('span', { class: `tag ${cls}` }, label);
const datasetsText = (ds) => (ds ?? []).map((d) => `${d.dataset}（${(d.fields ?? []).join('、')}）`).join('；');
const sourceText = (s) => (s ? `${s.topic} / ${s.partition} / ${s.offset}` : '—');

function ageOf(iso) {
  const ms = Date.now() - Date.parse(iso);
  const days = Math.floor(ms / 86_400_000);
  return { days, label: days >= 1 ? `${days} 天` : `${Math.max(0, Math.floor(ms / 3_600_000))} 小时` };
}

function daysLeft(iso) {
  if (!iso) return '—';
  const days = Math.ceil((Date.parse(iso) - Date.now()) / 86_400_000);
  return days >= 0 ? `${days} 天` : h('span', { class: 'late' }, `已超期 ${-days} 天`);
}

function table(columns, rows, { empty = '暂无数据', rowClass, rowKey } = {}) {
  if (rows.length === 0) return h('p', { class: 'empty' }, empty);
  const cell = (v) => (v instanceof Node ? v : Array.isArray(v) ? h('span', {}, v) : text(v));
  return h(
    'div',
    { class: 'scroll' },
    h(
      'table',
      {},
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          columns.map((c) => h('th', { class: c.class }, c.label)),
        ),
      ),
      h(
        'tbody',
        {},
        rows.map((r) =>
          h(
            'tr',
            { class: rowClass?.(r), 'data-key': rowKey?.(r) },
            columns.map((c) => h('td', { class: c.class }, cell(c.value(r)))),
          ),
        ),
      ),
    ),
  );
}

const section = (title, ...children) => h('section', { class: 'panel' }, h('h2', {}, title), ...children);
/** A section, and a titled part of one, found by their id. */
const panel = (id, title, ...children) => h('section', { class: 'panel', id, 'data-testid': id }, h('h2', {}, title), ...children);
const part = (id, title, ...children) => h('div', { class: 'part', id, 'data-testid': id }, h('h3', {}, title), ...children);
const field = (label, control, cls = '') => h('label', { class: `field ${cls}` }, h('span', {}, label), control);
const select = (id, options, value = '') =>
  h(
    'select',
    { id },
    options.map(([v, t]) => h('option', { value: v, selected: v === value }, t)),
  );
const box = () => h('div', { class: 'msg', hidden: true });

function say(el, message, ok) {
  el.className = `msg ${ok ? 'ok' : 'error'}`;
  el.textContent = message;
  el.hidden = false;
}

class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

async function errorOf(res) {
  const body = await res.json().catch(() => null);
  return new ApiError(res.status, body?.code ?? '', typeof body?.message === 'string' ? body.message : `HTTP ${res.status}`);
}

async function call(path, { method = 'GET', body, signal, headers: extra = {} } = {}) {
  const headers = { ...extra, authorization: `Bearer ${state.token}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`/api/v1${path}`, { method, headers, signal, cache: 'no-store', ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  if (!res.ok) throw await errorOf(res);
  return res;
}

const api = async (path, options) => (await call(path, options)).json();

function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

function showBanner(message) {
  const banner = $('#banner');
  banner.textContent = message;
  banner.hidden = false;
}

/** Shows an error where it happened (if given) and, when the API refused the caller, in the banner. */
function report(err, where) {
  if (err?.name === 'AbortError') return;
  const message = err instanceof ApiError ? err.message : `请求失败：${err?.message ?? err}`;
  if (where) say(where, message, false);
  if (!where || (err instanceof ApiError && (err.status === 401 || err.status === 403))) showBanner(message);
  if (err instanceof ApiError && err.status === 401) signOut({ keepBanner: true });
}

/** Fills `host` with what `load` renders, or with its error; one failing part leaves the others. */
async function fill(host, load) {
  try {
    host.replaceChildren(await load());
  } catch (err) {
    if (err?.name === 'AbortError') return;
    const msg = box();
    host.replaceChildren(msg);
    report(err, msg);
  }
}

const sleep = (ms, signal) =>
  new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    });
  });

/** Server-sent events over fetch (EventSource cannot send the Authorization header). */
async function readEvents(path, signal, stream, onEvent, onOpen) {
  const res = await call(path, { signal, headers: { accept: 'text/event-stream', ...(stream.lastId ? { 'last-event-id': stream.lastId } : {}) } });
  onOpen();
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  let event = 'message';
  let data = [];
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += decoder.decode(value, { stream: true });
    const lines = buffer.split('\n');
    buffer = lines.pop();
    for (const raw of lines) {
      const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
      if (line === '') {
        if (data.length > 0) onEvent(event, data.join('\n'));
        event = 'message';
        data = [];
      } else if (!line.startsWith(':')) {
        const colon = line.indexOf(':');
        const name = colon < 0 ? line : line.slice(0, colon);
        const v = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (name === 'event') event = v;
        else if (name === 'data') data.push(v);
        else if (name === 'id') stream.lastId = v;
        else if (name === 'retry' && /^\d+$/.test(v)) stream.retry = Number(v);
      }
    }
  }
}

/** Follows a stream until `signal` aborts, resuming from the last event id when it ends or drops; a refusal stops it. */
async function follow(path, signal, onEvent, live) {
  const stream = { lastId: null, retry: 1000 };
  while (!signal.aborted) {
    let wait = stream.retry;
    try {
      await readEvents(path, signal, stream, onEvent, () => live(true));
    } catch (err) {
      if (signal.aborted) return;
      if (err instanceof ApiError && (err.status === 401 || err.status === 403)) return report(err);
      live(false);
      wait = 5000;
    }
    await sleep(wait, signal);
  }
}

// Pages

const pages = {
  authority: { title: '主管部门工作台', roles: ['authority'], render: authorityPage },
  steward: { title: '质量告警', roles: ['steward', 'authority'], render: stewardPage },
  alert: { title: '告警详情', roles: ['steward', 'authority'], render: alertPage, hidden: true },
  provider: { title: '提供方工作台', roles: ['department'], render: providerPage },
  consumer: { title: '使用方工作台', roles: ['consumer'], render: consumerPage },
  auditor: { title: '审计', roles: ['auditor'], render: auditorPage },
  scorecards: { title: '考核评分', roles: ['authority', 'steward', 'auditor', 'department'], render: scorecardPage },
};

function parseHash() {
  const m = /^#\/([a-z]+)(?:\/alert\/([^/]+))?$/.exec(location.hash);
  if (!m) return null;
  if (m[2]) {
    if (m[1] !== 'steward') return null;
    try {
      return { name: 'alert', arg: decodeURIComponent(m[2]) };
    } catch {
      return null;
    }
  }
  return m[1] === 'alert' ? null : { name: m[1], arg: null };
}

function go(hash) {
  if (location.hash === hash) route();
  else location.hash = hash;
}

function route() {
  state.page?.abort();
  state.page = null;
  if (!state.me) return;
  const ctl = new AbortController();
  state.page = ctl;
  $('#banner').hidden = true;
  const target = parseHash();
  const page = target && pages[target.name];
  if (!page) return go(homeOf(state.me.role));
  for (const a of document.querySelectorAll('#nav a')) a.classList.toggle('active', a.dataset.page === (target.name === 'alert' ? 'steward' : target.name));
  document.title = `${page.title} · 数据治理控制台`;
  const view = $('#view');
  view.replaceChildren();
  if (!page.roles.includes(state.me.role)) {
    view.append(
      h(
        'div',
        { class: 'refused' },
        `无权访问：此页面仅限${page.roles.map((r) => roleNames[r]).join('、')}使用（当前身份：${roleNames[state.me.role] ?? state.me.role}）。`,
      ),
    );
    return;
  }
  page.render(view, { signal: ctl.signal, arg: target.arg }).catch((err) => report(err));
}

// Sign-in

function showShell() {
  const { name, role } = state.me;
  $('#login').hidden = true;
  $('#top').hidden = false;
  $('#who-name').textContent = name;
  $('#who-role').textContent = roleNames[role] ?? role;
  $('#nav').replaceChildren(
    ...Object.entries(pages)
      .filter(([, p]) => !p.hidden && p.roles.includes(role))
      .map(([id, p]) => h('a', { href: `#/${id}`, 'data-page': id }, p.title)),
  );
}

function signOut({ keepBanner = false } = {}) {
  state.page?.abort();
  state.page = null;
  state.token = null;
  state.me = null;
  sessionStorage.removeItem(tokenKey);
  $('#top').hidden = true;
  $('#view').replaceChildren();
  $('#login').hidden = false;
  $('#token').value = '';
  if (!keepBanner) $('#banner').hidden = true;
  document.title = '数据治理控制台 · 政务数据共享交换平台';
  history.replaceState(null, '', location.pathname);
}

async function signIn(token, { home }) {
  state.token = token;
  try {
    state.me = await api('/whoami');
  } catch (err) {
    state.token = null;
    sessionStorage.removeItem(tokenKey);
    $('#login').hidden = false;
    showBanner(err instanceof ApiError ? err.message : `无法连接平台：${err?.message ?? err}`);
    return;
  }
  sessionStorage.setItem(tokenKey, token);
  $('#banner').hidden = true;
  showShell();
  if (home || !parseHash()) go(homeOf(state.me.role));
  else route();
}

/**
 * A form under a table for one row's decision: inputs, one button per decision, and the outcome. An
 * input may name its `id`, `type` and `rows`, and `check` a filled value (a message when it is wrong).
 */
function decisionForm(host, { title, inputs, buttons, submit, done }) {
  const controls = Object.fromEntries(
    inputs.map((i) => [
      i.key,
      i.multiline
        ? h('textarea', { id: i.id, rows: i.rows ?? 2, placeholder: i.label })
        : h('input', { id: i.id, type: i.type ?? 'text', placeholder: i.label }),
    ]),
  );
  const msg = box();
  const act = async (b) => {
    const values = Object.fromEntries(Object.entries(controls).map(([k, c]) => [k, c.value.trim()]));
    const missing = inputs.find((i) => i.required?.(b.value) && !values[i.key]);
    if (missing) return say(msg, `请填写${missing.label}`, false);
    const wrong = inputs.map((i) => (values[i.key] ? i.check?.(values[i.key]) : null)).find(Boolean);
    if (wrong) return say(msg, wrong, false);
    for (const el of buttonEls) el.disabled = true;
    try {
      await submit(b.value, values);
      host.replaceChildren();
      await done(`${title}：${b.label}，已提交。`);
    } catch (err) {
      report(err, msg);
    } finally {
      for (const el of buttonEls) el.disabled = false;
    }
  };
  const buttonEls = buttons.map((b) => h('button', { type: 'button', id: b.id, class: b.class, onclick: () => act(b) }, b.label));
  host.replaceChildren(
    h(
      'div',
      { class: 'decision' },
      h('h3', {}, title),
      inputs.map((i) => field(i.label, controls[i.key], 'wide')),
      h('div', { class: 'buttons' }, buttonEls, h('button', { type: 'button', class: 'plain', onclick: () => host.replaceChildren() }, '取消')),
      msg,
    ),
  );
  controls[inputs[0]?.key]?.focus();
}

/**
 * A table section (or what `wrap` makes of the title and contents) whose rows may open a decision
 * form; `refresh` reloads it and says how the decision went.
 */
function decidedList(title, load, wrap = section) {
  const msg = box();
  const host = h('div');
  const form = h('div');
  const refresh = async (message) => {
    await fill(host, () => load({ form, refresh }));
    if (message) say(msg, message, true);
  };
  return { el: wrap(title, msg, host, form), refresh };
}

// Steward

async function stewardPage(view, { signal }) {
  const cards = h('div', { class: 'cards' });
  const live = h('span', { class: 'live' }, '实时更新：连接中');
  const notice = h('div', { class: 'notice', hidden: true });
  const queueHost = h('div');
  const bulkMsg = box();
  const page = { stack: [], cursor: null, next: null };
  let summary = null;
  let fresh = 0;
  const seen = new Set();

  const filters = h(
    'form',
    { class: 'filters', id: 'filters' },
    field('数据集', h('input', { id: 'f-dataset', type: 'text' })),
    field('提供方', h('input', { id: 'f-provider', type: 'text' })),
    field('类型', select('f-kind', [['', '全部'], ...Object.entries(kindNames)])),
    field('级别', select('f-severity', [['', '全部'], ...Object.entries(severityNames)])),
    field('状态', select('f-status', [['', '全部'], ...Object.entries(alertStatusNames)], 'open')),
    field('处理人', h('input', { id: 'f-assignee', type: 'text', placeholder: 'none 为未指派' })),
    field('超过天数', h('input', { id: 'f-age', type: 'number', min: 0, step: 1 })),
    h('button', { type: 'submit' }, '筛选'),
  );
  const prev = h('button', { type: 'button', class: 'plain', disabled: true }, '上一页');
  const next = h('button', { type: 'button', class: 'plain', disabled: true }, '下一页');
  const pageNo = h('span', { class: 'muted' });
  const allBox = h('input', { type: 'checkbox', title: '全选本页' });
  const bulk = h(
    'div',
    { class: 'bulk' },
    select('bulk-action', [['', '选择批量操作…'], ...Object.entries(actionNames).filter(([a]) => a !== 'accept')]),
    h('input', { id: 'bulk-reason', type: 'text', placeholder: '理由（必填）' }),
    h('input', { id: 'bulk-assignee', type: 'text', placeholder: '指派给（指派时必填）' }),
    h('button', { type: 'button', id: 'bulk-run' }, '批量执行'),
  );
  view.append(
    section('质量概览', cards),
    section('告警队列', filters, h('div', { class: 'row' }, bulk, live), bulkMsg, notice, queueHost, h('div', { class: 'pager' }, prev, pageNo, next)),
  );

  const value = (id) => $(`#${id}`, view).value.trim();

  async function loadSummary() {
    summary = await api('/quality/summary', { signal });
    const card = (label, n, cls = '') => h('div', { class: `card ${cls}` }, h('div', { class: 'n' }, text(n)), h('div', { class: 'label' }, label));
    cards.replaceChildren(
      card('未处理', summary.open),
      card(`超期（>${summary.overdueDays} 天）`, summary.overdue, summary.overdue > 0 ? 'bad' : ''),
      card('冲突', summary.byKind?.conflict),
      card('校验失败', summary.byKind?.invalid),
      card('警告', summary.byKind?.warning),
    );
  }

  async function loadQueue() {
    const params = {
      dataset: value('f-dataset'),
      provider: value('f-provider'),
      kind: value('f-kind'),
      severity: value('f-severity'),
      status: value('f-status'),
      assignee: value('f-assignee'),
      olderThanDays: value('f-age'),
      limit: 50,
      cursor: page.cursor,
    };
    await fill(queueHost, async () => {
      const { items, next: after } = await api(`/quality/queue${query(params)}`, { signal });
      page.next = after;
      allBox.checked = false;
      const overdue = (a) => a.status === 'open' && summary && ageOf(a.detectedAt).days >= summary.overdueDays;
      return table(
        [
          { label: allBox, class: 'pick-col', value: (a) => h('input', { type: 'checkbox', class: 'pick', 'data-id': a.id }) },
          { label: '类型', value: (a) => tag(kindNames[a.kind] ?? a.kind, `kind-${a.kind}`) },
          { label: '数据集', value: (a) => a.dataset },
          { label: '业务键', value: (a) => h('a', { href: `#/steward/alert/${encodeURIComponent(a.id)}` }, text(a.key)) },
          { label: '字段', value: (a) => list(a.fields) },
          { label: '状态', value: (a) => alertStatusNames[a.status] ?? a.status },
          { label: '处理人', value: (a) => a.assignee },
          { label: '已过', value: (a) => ageOf(a.detectedAt).label },
        ],
        items,
        { empty: '没有符合条件的告警', rowClass: (a) => (overdue(a) ? 'overdue' : '') },
      );
    });
    prev.disabled = page.stack.length === 0;
    next.disabled = !page.next;
    pageNo.textContent = `第 ${page.stack.length + 1} 页`;
  }

  const firstPage = () => {
    page.stack = [];
    page.cursor = null;
    fresh = 0;
    notice.hidden = true;
    return loadQueue();
  };

  allBox.addEventListener('change', () => {
    for (const b of queueHost.querySelectorAll('input.pick')) b.checked = allBox.checked;
  });
  filters.addEventListener('submit', (event) => {
    event.preventDefault();
    firstPage();
  });
  next.addEventListener('click', () => {
    if (!page.next) return;
    page.stack.push(page.cursor);
    page.cursor = page.next;
    loadQueue();
  });
  prev.addEventListener('click', () => {
    if (page.stack.length === 0) return;
    page.cursor = page.stack.pop();
    loadQueue();
  });
  $('#bulk-run', bulk).addEventListener('click', async () => {
    const ids = [...queueHost.querySelectorAll('input.pick:checked')].map((b) => b.dataset.id);
    const action = value('bulk-action');
    const reason = value('bulk-reason');
    const assignee = value('bulk-assignee');
    if (ids.length === 0) return say(bulkMsg, '请先勾选要处理的告警', false);
    if (!action) return say(bulkMsg, '请选择批量操作', false);
    if (!reason) return say(bulkMsg, '请填写理由', false);
    if (action === 'assign' && !assignee) return say(bulkMsg, '指派需填写处理人', false);
    try {
      const r = await api('/quality/alerts/bulk', { method: 'POST', signal, body: { action, reason, ...(assignee ? { assignee } : {}), ids } });
      const failed = r.failed ?? [];
      const applied = Array.isArray(r.applied) ? r.applied.length : r.applied;
      say(bulkMsg, `「${actionNames[action]}」已执行 ${applied} 条${failed.length > 0 ? `，失败 ${failed.length} 条：` : '。'}`, failed.length === 0);
      if (failed.length > 0)
        bulkMsg.append(
          h(
            'ul',
            {},
            failed.map((f) => h('li', {}, `${f.id}：${f.message}`)),
          ),
        );
      await Promise.all([loadSummary(), loadQueue()]);
    } catch (err) {
      report(err, bulkMsg);
    }
  });

  await loadSummary();
  await loadQueue();

  let pending = null;
  follow(
    '/quality/stream',
    signal,
    (event, data) => {
      if (event !== 'alert') return;
      // A reconnection may send again what the last connection sent: count each alert once.
      let id = null;
      try {
        id = JSON.parse(data).id;
      } catch {
        return;
      }
      if (seen.has(id)) return;
      seen.add(id);
      fresh += 1;
      notice.replaceChildren(
        `有 ${fresh} 条新告警`,
        h('button', { type: 'button', class: 'plain', onclick: () => Promise.all([loadSummary(), firstPage()]).catch(report) }, '刷新第一页'),
      );
      notice.hidden = false;
      clearTimeout(pending);
      pending = setTimeout(() => loadSummary().catch(report), 300);
    },
    (on) => {
      live.textContent = on ? '实时更新：已连接' : '实时更新：重新连接中';
      live.classList.toggle('on', on);
    },
  );
}

async function alertPage(view, { signal, arg: id }) {
  const body = h('div');
  const msg = box();
  const reason = h('textarea', { id: 'reason', rows: 3, placeholder: '处理理由（每项处理均须填写）' });
  const assignee = h('input', { id: 'assignee', type: 'text', placeholder: '处理人' });
  const routeTo = h('select', { id: 'route-provider' });
  const actions = Object.entries(actionNames).map(([action, label]) => h('button', { type: 'button', 'data-action': action }, label));
  view.append(
    h('p', {}, h('a', { href: '#/steward' }, '← 返回告警队列')),
    body,
    section(
      '处理',
      field('理由', reason, 'wide'),
      h('div', { class: 'row start' }, field('指派给', assignee), field('转交给', routeTo)),
      h('div', { class: 'buttons' }, actions),
      msg,
    ),
  );

  async function render() {
    const { alert, current, history } = await api(`/quality/alerts/${encodeURIComponent(id)}`, { signal });
    const providers = [...new Set([...alert.values.map((v) => v.provider), ...alert.sources.map((s) => s.provider)])];
    routeTo.replaceChildren(h('option', { value: '' }, '默认（权威来源）'), ...providers.map((p) => h('option', { value: p }, p)));
    const fields = [...new Set([...alert.fields, ...alert.values.map((v) => v.field)])];
    const valueAt = (provider, f) => alert.values.find((v) => v.provider === provider && v.field === f);
    const currentFields = current ? [...new Set([...alert.fields.filter((f) => f in current.values), ...Object.keys(current.values)])] : [];
    const dl = (pairs) =>
      h(
        'dl',
        { class: 'facts' },
        pairs.map(([k, v]) => [h('dt', {}, k), h('dd', {}, v instanceof Node ? v : text(v))]),
      );
    body.replaceChildren(
      section(
        `${kindNames[alert.kind] ?? alert.kind} · ${alert.dataset}`,
        dl([
          ['业务键', alert.key],
          ['字段', list(alert.fields)],
          ['级别', severityNames[alert.severity] ?? alert.severity],
          ['状态', alertStatusNames[alert.status] ?? alert.status],
          ['处理人', alert.assignee],
          ['处理结论', alert.resolution],
          ['发现时间', time(alert.detectedAt)],
          ['触发规则', h('code', {}, text(alert.rule))],
        ]),
        h('p', { class: 'message' }, text(alert.message)),
      ),
      section(
        '各来源取值',
        table(
          [
            { label: '字段', value: (f) => f },
            ...providers.map((p) => ({
              label: [p, alert.values.some((v) => v.provider === p && v.authoritative) ? tag('权威来源', 'auth') : null],
              value: (f) => {
                const v = valueAt(p, f);
                if (!v) return '—';
                return h('span', { class: v.authoritative ? 'authoritative' : '' }, v.redacted ? '（已隐藏）' : valueText(v.value));
              },
            })),
          ],
          fields,
        ),
        table(
          [
            { label: '来源', value: (s) => s.provider },
            { label: '主题 / 分区 / 偏移', value: sourceText },
          ],
          alert.sources,
        ),
      ),
      section(
        '当前落地值',
        current
          ? table(
              [
                { label: '字段', value: (f) => f },
                { label: '当前值', value: (f) => valueText(current.values[f]) },
                {
                  label: '来源',
                  value: (f) => {
                    const l = current.lineage?.[f];
                    return l ? [l.provider, l.authoritative ? tag('权威来源', 'auth') : null, l.provisional ? tag('临时值', 'warn') : null] : '—';
                  },
                },
                { label: '主题 / 分区 / 偏移', value: (f) => sourceText(current.lineage?.[f]) },
                { label: '记录 ID', value: (f) => current.lineage?.[f]?.recordId },
                { label: '事件时间', value: (f) => time(current.lineage?.[f]?.eventTime) },
              ],
              currentFields,
              { rowClass: (f) => (alert.fields.includes(f) ? 'hl' : '') },
            )
          : h('p', { class: 'empty' }, '该业务键尚无落地记录。'),
      ),
      section(
        '历史记录',
        table(
          [
            { label: '落地时间', value: (r) => time(r.landedAt) },
            { label: '提供方', value: (r) => r.provider },
            { label: '变更', value: (r) => r.change },
            { label: '主题 / 分区 / 偏移', value: sourceText },
            { label: '记录 ID', value: (r) => r.recordId },
            { label: '校验发现', class: 'detail', value: (r) => (r.findings && Object.keys(r.findings).length > 0 ? JSON.stringify(r.findings) : '') },
          ],
          history ?? [],
        ),
      ),
      section(
        '处理记录',
        table(
          [
            { label: '时间', value: (a) => time(a.at) },
            { label: '处理人', value: (a) => a.by },
            { label: '操作', value: (a) => actionNames[a.action] ?? a.action },
            { label: '理由', value: (a) => a.reason },
          ],
          alert.actions ?? [],
          { empty: '尚无处理记录' },
        ),
      ),
    );
  }

  for (const button of actions) {
    button.addEventListener('click', async () => {
      const action = button.dataset.action;
      const why = reason.value.trim();
      if (!why) return say(msg, '请填写处理理由', false);
      if (action === 'assign' && !assignee.value.trim()) return say(msg, '指派需填写处理人', false);
      const payload = { action, reason: why };
      if (action === 'assign') payload.assignee = assignee.value.trim();
      if (action === 'route' && routeTo.value) payload.provider = routeTo.value;
      for (const b of actions) b.disabled = true;
      try {
        const r = await api(`/quality/alerts/${encodeURIComponent(id)}/actions`, { method: 'POST', signal, body: payload });
        await render();
        reason.value = '';
        say(
          msg,
          `已执行「${actionNames[action]}」${r.correction ? `，已生成更正请求 ${r.correction.id}（核实期限 ${date(r.correction.verifyDue)}）` : ''}。`,
          true,
        );
      } catch (err) {
        report(err, msg);
      } finally {
        for (const b of actions) b.disabled = false;
      }
    });
  }
  await render();
}

// Provider (department)

const decide = (id, decision, v) =>
  api(`/applications/${encodeURIComponent(id)}/decision`, {
    method: 'POST',
    body: { decision, ...(v.reason ? { reason: v.reason } : {}), ...(v.basis ? { basis: v.basis } : {}) },
  });

function applicationDecision(form, refresh, a) {
  decisionForm(form, {
    title: `申请 ${String(a.id).slice(0, 8)}（${a.consumer}）`,
    inputs: [
      { key: 'reason', label: '理由（拒绝时必填）', multiline: true, required: (d) => d === 'refuse' },
      { key: 'basis', label: '依据（拒绝时必填）', required: (d) => d === 'refuse' },
    ],
    buttons: [
      { label: '同意', value: 'approve' },
      { label: '拒绝', value: 'refuse', class: 'danger' },
    ],
    submit: (d, v) => decide(a.id, d, v),
    done: refresh,
  });
}

const applicationColumns = [
  { label: '编号', value: (a) => shortId(a.id) },
  { label: '申请方', value: (a) => a.consumer },
  { label: '用途', value: (a) => a.purpose },
  { label: '申请数据', value: (a) => datasetsText(a.datasets) },
];

const correctionColumns = [
  { label: '数据集', value: (c) => c.dataset },
  { label: '业务键', value: (c) => c.key },
  { label: '字段', value: (c) => list(c.fields) },
  { label: '问题描述', value: (c) => c.description },
  { label: '状态', value: (c) => correctionStatusNames[c.status] ?? c.status },
];

const correctionDue = (c) => (c.status === 'confirmed' ? c.correctDue : c.status === 'open' ? c.verifyDue : null);
const workdaysLeft = (c) =>
  c.daysLeft === null || c.daysLeft === undefined ? '—' : c.overdue || c.daysLeft < 0 ? h('span', { class: 'late' }, '已超期') : `${c.daysLeft}`;

// Open data: the department's requests to open, the public's feedback, applications for data open on application

const overdueOpen = (a) => a.status === 'pending' && Date.parse(a.dueAt) < Date.now();
const downloadsText = (d) => `${d?.total ?? 0}（CSV ${d?.byFormat?.csv ?? 0}，NDJSON ${d?.byFormat?.ndjson ?? 0}）`;

function openApplicationDecision(form, refresh, a) {
  decisionForm(form, {
    title: `开放数据利用申请 ${String(a.id).slice(0, 8)}（${a.organisation}）`,
    inputs: [
      { key: 'reason', id: 'open-app-reason', label: '理由（必填）', multiline: true, required: () => true },
      { key: 'agreement', id: 'open-app-agreement', label: '数据利用协议（同意时必填）', multiline: true, rows: 4, required: (d) => d === 'approve' },
      {
        key: 'validDays',
        id: 'open-app-days',
        type: 'number',
        label: '有效天数（同意时，1–365，默认 30）',
        check: (v) => (/^\d+$/.test(v) && Number(v) >= 1 && Number(v) <= 365 ? null : '有效天数须为 1 至 365 的整数'),
      },
    ],
    buttons: [
      { label: '同意', value: 'approve', id: 'open-app-approve' },
      { label: '拒绝', value: 'refuse', id: 'open-app-refuse', class: 'danger' },
    ],
    submit: (d, v) =>
      api(`/open/applications/${encodeURIComponent(a.id)}/decision`, {
        method: 'POST',
        body:
          d === 'approve'
            ? { approve: true, reason: v.reason, agreement: v.agreement, ...(v.validDays ? { validDays: Number(v.validDays) } : {}) }
            : { approve: false, reason: v.reason },
      }),
    done: refresh,
  });
}

function openDataSection(signal) {
  const datasets = h('div');
  const feedback = decidedList(
    '待答复的公众反馈',
    async ({ form, refresh }) =>
      table(
        [
          { label: '数据集', value: (f) => f.dataset },
          { label: '类型', value: (f) => feedbackKindNames[f.kind] ?? f.kind },
          { label: '内容', value: (f) => f.message },
          { label: '联系方式', value: (f) => f.contact },
          { label: '提交时间', value: (f) => time(f.createdAt) },
          {
            label: '操作',
            value: (f) =>
              h(
                'button',
                {
                  type: 'button',
                  class: 'plain',
                  'data-testid': 'answer-feedback',
                  onclick: () =>
                    decisionForm(form, {
                      title: `反馈 ${String(f.id).slice(0, 8)}（${f.dataset}）`,
                      inputs: [
                        { key: 'answer', id: 'open-feedback-answer', label: '答复内容（将在开放平台公开）', multiline: true, rows: 3, required: () => true },
                      ],
                      buttons: [{ label: '提交答复', value: 'answer', id: 'open-feedback-submit' }],
                      submit: (_, v) => api(`/open/feedback/${encodeURIComponent(f.id)}/answer`, { method: 'POST', body: { answer: v.answer } }),
                      done: refresh,
                    }),
                },
                '答复',
              ),
          },
        ],
        await api(`/open/feedback${query({ answered: false })}`, { signal }),
        { empty: '没有待答复的反馈', rowKey: (f) => f.id },
      ),
    (...c) => part('open-feedback', ...c),
  );
  const applications = decidedList(
    '依申请开放数据的利用申请',
    async ({ form, refresh }) =>
      table(
        [
          { label: '编号', value: (a) => shortId(a.id) },
          { label: '申请机构', value: (a) => a.organisation },
          { label: '数据集', value: (a) => a.dataset },
          { label: '用途', value: (a) => a.purpose },
          { label: '申请时间', value: (a) => time(a.createdAt) },
          { label: '状态', value: (a) => [openApplicationStatusNames[a.status] ?? a.status, a.escalatedAt ? tag('已升级至主管部门', 'warn') : null] },
          { label: '答复期限', value: (a) => time(a.dueAt) },
          {
            label: '剩余天数',
            value: (a) =>
              a.status !== 'pending' ? '—' : overdueOpen(a) ? h('span', { class: 'late', 'data-testid': 'overdue' }, '已超期') : daysLeft(a.dueAt),
          },
          { label: '答复', value: (a) => [a.reason, a.validUntil ? `有效期至 ${time(a.validUntil)}` : null].filter(Boolean).join('；') },
          {
            label: '操作',
            value: (a) =>
              a.status !== 'pending'
                ? ''
                : h(
                    'button',
                    { type: 'button', class: 'plain', 'data-testid': 'decide-application', onclick: () => openApplicationDecision(form, refresh, a) },
                    '答复',
                  ),
          },
        ],
        await api('/open/applications', { signal }),
        { empty: '没有利用申请', rowKey: (a) => a.id, rowClass: (a) => (overdueOpen(a) ? 'overdue' : '') },
      ),
    (...c) => part('open-applications', ...c),
  );
  const el = panel('open-data', '开放数据', part('open-datasets', '开放申请与下载', datasets), feedback.el, applications.el);
  const load = () =>
    Promise.all([
      fill(datasets, async () =>
        table(
          [
            { label: '数据集', value: (d) => d.dataset },
            { label: '申请开放方式', value: (d) => openTypeNames[d.openType] ?? d.openType },
            { label: '许可', value: (d) => d.licence },
            { label: '审核状态', value: (d) => reviewStatusNames[d.status] ?? d.status },
            { label: '审核意见', value: (d) => d.reviewReason },
            { label: '实际开放方式', value: (d) => openTypeNames[d.effectiveOpenType] ?? d.effectiveOpenType },
            { label: '最近发布', value: (d) => time(d.publishedAt) },
            { label: '下载次数', value: (d) => h('span', { 'data-testid': 'downloads' }, downloadsText(d.downloads)) },
          ],
          await api('/open/datasets', { signal }),
          { empty: '本部门尚未申请开放数据', rowKey: (d) => d.dataset },
        ),
      ),
      feedback.refresh(),
      applications.refresh(),
    ]);
  return { el, load };
}

async function providerPage(view, { signal }) {
  const me = state.me.name;
  const applications = decidedList('待答复的共享申请', async ({ form, refresh }) => {
    const waiting = (await api('/applications', { signal })).filter((a) => a.status === 'pending-provider' && a.consumer !== me);
    return table(
      [
        ...applicationColumns,
        { label: '答复期限', value: (a) => time(a.answerDue) },
        { label: '剩余天数', value: (a) => daysLeft(a.answerDue) },
        { label: '操作', value: (a) => h('button', { type: 'button', class: 'plain', onclick: () => applicationDecision(form, refresh, a) }, '答复') },
      ],
      waiting,
      { empty: '没有待答复的申请' },
    );
  });
  const corrections = decidedList('更正请求', async ({ form, refresh }) => {
    const rows = await api('/corrections', { signal });
    return table(
      [
        ...correctionColumns,
        { label: '报告方', value: (c) => c.reportedBy },
        { label: '期限', value: (c) => date(correctionDue(c)) },
        { label: '剩余工作日', value: workdaysLeft },
        {
          label: '操作',
          value: (c) =>
            c.status !== 'open'
              ? ''
              : h(
                  'button',
                  {
                    type: 'button',
                    class: 'plain',
                    onclick: () =>
                      decisionForm(form, {
                        title: `核实 ${c.dataset} / ${c.key}`,
                        inputs: [{ key: 'note', label: '核实说明', multiline: true, required: () => true }],
                        buttons: [
                          { label: '确认有误', value: 'confirmed' },
                          { label: '核实无误', value: 'rejected' },
                        ],
                        submit: (decision, v) =>
                          api(`/corrections/${encodeURIComponent(c.id)}/verification`, { method: 'POST', body: { decision, note: v.note } }),
                        done: refresh,
                      }),
                  },
                  '核实',
                ),
        },
      ],
      rows,
      { empty: '没有更正请求', rowClass: (c) => (c.overdue ? 'overdue' : '') },
    );
  });
  const quality = h('div');
  const freshness = h('div');
  const openData = openDataSection(signal);
  view.append(applications.el, corrections.el, openData.el, section('本部门数据质量告警（最近 20 条）', quality), section('数据更新及时性', freshness));
  await Promise.all([
    applications.refresh(),
    corrections.refresh(),
    openData.load(),
    fill(quality, async () => {
      const r = await api('/quality/alerts?limit=20', { signal });
      return table(
        [
          { label: '类型', value: (a) => tag(kindNames[a.kind] ?? a.kind, `kind-${a.kind}`) },
          { label: '数据集', value: (a) => a.dataset },
          { label: '业务键', value: (a) => a.key },
          { label: '字段', value: (a) => list(a.fields) },
          { label: '说明', value: (a) => a.message },
          { label: '状态', value: (a) => alertStatusNames[a.status] ?? a.status },
          { label: '发现时间', value: (a) => time(a.detectedAt) },
        ],
        Array.isArray(r) ? r : (r.items ?? []),
        { empty: '没有质量告警' },
      );
    }),
    fill(freshness, async () => {
      const rows = await api('/alerts/freshness', { signal });
      rows.sort((a, b) => Number(a.resolvedAt !== null) - Number(b.resolvedAt !== null));
      return table(
        [
          { label: '数据集', value: (f) => f.dataset },
          { label: '更新周期', value: (f) => cycleNames[f.updateCycle] ?? f.updateCycle },
          { label: '静默起始', value: (f) => time(f.silentSince) },
          { label: '发现时间', value: (f) => time(f.detectedAt) },
          { label: '状态', value: (f) => (f.resolvedAt ? `已恢复（${time(f.resolvedAt)}）` : h('span', { class: 'late' }, '未按期更新')) },
        ],
        rows,
        { empty: '所有数据集均按期更新' },
      );
    }),
  ]);
}

// Authority

async function authorityPage(view, { signal }) {
  const enrolments = decidedList('待审核的提供方登记', async ({ form, refresh }) => {
    const { entries } = await api('/catalog/enrolments', { signal });
    return table(
      [
        { label: '数据集', value: (e) => e.dataset },
        { label: '提供部门', value: (e) => e.provider },
        { label: '资源名称', value: (e) => e.name },
        { label: '申请权威字段', value: (e) => list(e.enrolment?.requestedAuthoritativeFields) },
        { label: '申请时间', value: (e) => time(e.createdAt) },
        {
          label: '操作',
          value: (e) =>
            h(
              'button',
              {
                type: 'button',
                class: 'plain',
                onclick: () =>
                  decisionForm(form, {
                    title: `登记 ${e.provider} 为 ${e.dataset} 的提供方`,
                    inputs: [{ key: 'reason', label: '理由（拒绝时必填）', multiline: true, required: (d) => d === 'refuse' }],
                    buttons: [
                      { label: '同意登记', value: 'approve' },
                      { label: '拒绝', value: 'refuse', class: 'danger' },
                    ],
                    submit: (decision, v) =>
                      api(`/catalog/${encodeURIComponent(e.id)}/enrolment`, { method: 'POST', body: { decision, ...(v.reason ? { reason: v.reason } : {}) } }),
                    done: refresh,
                  }),
              },
              '审核',
            ),
        },
      ],
      entries ?? [],
      { empty: '没有待审核的登记' },
    );
  });
  const applications = decidedList('超期升级的共享申请', async ({ form, refresh }) =>
    table(
      [
        ...applicationColumns,
        { label: '原答复期限', value: (a) => time(a.answerDue) },
        { label: '操作', value: (a) => h('button', { type: 'button', class: 'plain', onclick: () => applicationDecision(form, refresh, a) }, '决定') },
      ],
      await api('/applications?status=escalated', { signal }),
      { empty: '没有升级的申请' },
    ),
  );
  const openReviews = decidedList(
    '待审核的开放数据申请',
    async ({ form, refresh }) =>
      table(
        [
          { label: '数据集', value: (d) => d.dataset },
          { label: '申请部门', value: (d) => d.requestedBy },
          { label: '开放方式', value: (d) => openTypeNames[d.openType] ?? d.openType },
          { label: '许可', value: (d) => d.licence },
          { label: '说明', value: (d) => d.description },
          { label: '申请时间', value: (d) => time(d.requestedAt) },
          {
            label: '操作',
            value: (d) =>
              h(
                'button',
                {
                  type: 'button',
                  class: 'plain',
                  'data-testid': 'review-open',
                  onclick: () =>
                    decisionForm(form, {
                      title: `开放 ${d.dataset}（${d.requestedBy}）`,
                      inputs: [{ key: 'reason', id: 'open-review-reason', label: '理由（必填）', multiline: true, required: () => true }],
                      buttons: [
                        { label: '同意开放', value: 'approve', id: 'open-review-approve' },
                        { label: '拒绝', value: 'refuse', id: 'open-review-refuse', class: 'danger' },
                      ],
                      submit: (decision, v) =>
                        api(`/open/datasets/${encodeURIComponent(d.dataset)}/review`, {
                          method: 'POST',
                          body: { approve: decision === 'approve', reason: v.reason },
                        }),
                      done: refresh,
                    }),
                },
                '审核',
              ),
          },
        ],
        (await api('/open/datasets', { signal })).filter((d) => d.status === 'pending'),
        { empty: '没有待审核的开放申请', rowKey: (d) => d.dataset },
      ),
    (...c) => panel('open-reviews', ...c),
  );
  const corrections = h('div');
  const scenarios = h('div');
  view.append(
    h('p', { class: 'links' }, h('a', { href: '#/scorecards' }, '查看各部门考核评分 →')),
    enrolments.el,
    applications.el,
    openReviews.el,
    section('超期升级的更正请求', corrections),
    section('应用场景', scenarios),
  );
  await Promise.all([
    enrolments.refresh(),
    applications.refresh(),
    openReviews.refresh(),
    fill(corrections, async () =>
      table(
        [
          ...correctionColumns,
          { label: '提供部门', value: (c) => c.provider },
          { label: '升级原因', value: (c) => escalationNames[c.escalationReason] ?? c.escalationReason },
          { label: '升级时间', value: (c) => time(c.escalatedAt) },
          { label: '期限', value: (c) => date(correctionDue(c)) },
        ],
        await api('/corrections?escalated=true', { signal }),
        { empty: '没有升级的更正请求' },
      ),
    ),
    fill(scenarios, async () =>
      table(
        [
          { label: '编号', value: (s) => s.id },
          { label: '名称', value: (s) => s.name },
          { label: '用途', value: (s) => s.purpose },
          { label: '法律依据', value: (s) => s.legalBasis },
          { label: '数据', value: (s) => datasetsText(s.datasets) },
          { label: '适用角色', value: (s) => list((s.allowedRoles ?? []).map((r) => roleNames[r] ?? r)) },
          { label: '最长有效期', value: (s) => `${s.maxValidityDays} 天` },
          { label: '方式', value: (s) => (s.use === 'verification' ? '核验' : '订阅') },
        ],
        await api('/scenarios', { signal }),
        { empty: '尚未定义应用场景' },
      ),
    ),
  ]);
}

// Scorecards

/** The month in China, as the hub counts periods. */
function currentMonth() {
  return new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 7);
}

async function scorecardPage(view, { signal }) {
  const period = h('input', { id: 'period', type: 'text', value: currentMonth(), placeholder: 'YYYY-MM 或 YYYY', pattern: '\\d{4}(-\\d{2})?', size: 10 });
  const msg = box();
  const host = h('div');
  const chartEl = h('div', { id: 'chart', style: 'width:100%;height:320px' });
  const exportButton = h('button', { type: 'button', id: 'export' }, '导出 CSV');
  const form = h('form', { class: 'filters' }, field('考核期', period), h('button', { type: 'submit' }, '查询'), exportButton);
  view.append(section('考核评分', form, msg, h('p', { class: 'muted', id: 'range' }), host, chartEl));
  let chart = null;
  signal.addEventListener('abort', () => chart?.dispose());
  window.addEventListener('resize', () => chart?.resize(), { signal });

  const chosen = () => {
    const p = period.value.trim();
    if (/^\d{4}(-(0[1-9]|1[0-2]))?$/.test(p)) return p;
    say(msg, '考核期格式为 YYYY-MM 或 YYYY', false);
    return null;
  };

  async function load() {
    const p = chosen();
    if (!p) return;
    msg.hidden = true;
    await fill(host, async () => {
      const r = await api(`/scorecards${query({ period: p })}`, { signal });
      $('#range', view).textContent = `${r.period}：${r.firstDay} 至 ${r.lastDay}`;
      draw(r.rows);
      return table(
        [
          { label: '部门', value: (s) => s.department },
          { label: '提供记录', value: (s) => s.recordsProvided },
          { label: '数据集（按期更新/总数）', value: (s) => `${s.datasetsFresh} / ${s.datasets}` },
          { label: '校验失败（率）', value: (s) => `${s.invalid}（${percent(s.invalidRate)}）` },
          { label: '冲突（率）', value: (s) => `${s.conflicts}（${percent(s.conflictRate)}）` },
          { label: '更正：收到', value: (s) => s.corrections?.received },
          { label: '按时核实', value: (s) => `${s.corrections?.verifiedOnTime} / ${s.corrections?.verified}` },
          { label: '按时更正', value: (s) => `${s.corrections?.correctedOnTime} / ${s.corrections?.corrected}` },
          { label: '超期', value: (s) => s.corrections?.overdue },
          { label: '申请：收到', value: (s) => s.applications?.received },
          { label: '按时答复', value: (s) => `${s.applications?.answeredOnTime} / ${s.applications?.answered}` },
          { label: '被使用', value: (s) => (Array.isArray(s.usedBy) ? list(s.usedBy) : s.usedBy) },
        ],
        r.rows ?? [],
        { empty: '该期间没有考核数据' },
      );
    });
  }

  function draw(rows) {
    if (!window.echarts) {
      chartEl.replaceChildren(h('p', { class: 'empty' }, '图表组件未加载'));
      return;
    }
    chart ??= window.echarts.init(chartEl);
    const series = [
      ['校验失败率', (s) => s.invalidRate],
      ['冲突率', (s) => s.conflictRate],
      ['更正按时核实率', (s) => ratio(s.corrections?.verifiedOnTime ?? 0, s.corrections?.received ?? 0)],
      ['申请按时答复率', (s) => ratio(s.applications?.answeredOnTime ?? 0, s.applications?.received ?? 0)],
    ];
    chart.setOption(
      {
        animation: false,
        tooltip: { trigger: 'axis', renderMode: 'richText', valueFormatter: (v) => (v === null || v === undefined ? '—' : `${v}%`) },
        legend: { top: 0 },
        grid: { left: 48, right: 16, top: 36, bottom: 48 },
        xAxis: { type: 'category', data: rows.map((s) => s.department), axisLabel: { interval: 0, rotate: rows.length > 6 ? 30 : 0 } },
        yAxis: { type: 'value', name: '%', min: 0, max: 100 },
        series: series.map(([name, of]) => ({
          name,
          type: 'bar',
          data: rows.map((s) => {
            const v = of(s);
            return typeof v === 'number' ? Math.round(v * 1000) / 10 : null;
          }),
        })),
      },
      true,
    );
  }

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    load();
  });
  exportButton.addEventListener('click', async () => {
    const p = chosen();
    if (!p) return;
    try {
      const blob = await (await call(`/scorecards${query({ period: p, format: 'csv' })}`, { signal })).blob();
      const url = URL.createObjectURL(blob);
      const a = h('a', { href: url, download: `scorecard-${p}.csv`, hidden: true });
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    } catch (err) {
      report(err, msg);
    }
  });
  await load();
}

// Consumer

async function consumerPage(view, { signal }) {
  const mine = h('div');
  const msg = box();
  const input = (id, label, props = {}) => field(label, h('input', { id, type: 'text', required: true, ...props }));
  const description = h('textarea', { id: 'r-description', rows: 3, required: true, maxlength: 4000 });
  const form = h(
    'form',
    { class: 'report' },
    h(
      'div',
      { class: 'row start' },
      input('r-dataset', '数据集', { placeholder: '如 base.person' }),
      input('r-key', '业务键'),
      input('r-fields', '字段（逗号分隔）', { placeholder: 'name, address' }),
    ),
    field('问题描述', description, 'wide'),
    h('button', { type: 'submit' }, '提交问题数据'),
    msg,
  );
  view.append(section('我的共享申请', mine), section('报告问题数据', form));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const v = (id) => $(`#${id}`, form).value.trim();
    const fields = v('r-fields')
      .split(/[,，、\s]+/)
      .filter(Boolean);
    if (!v('r-dataset') || !v('r-key') || fields.length === 0 || !v('r-description')) return say(msg, '请填写数据集、业务键、字段和问题描述', false);
    try {
      const c = await api('/corrections', {
        method: 'POST',
        signal,
        body: { dataset: v('r-dataset'), key: v('r-key'), fields, description: v('r-description') },
      });
      say(msg, `已提交，更正请求编号 ${c.id}，提供方核实期限 ${date(c.verifyDue)}。`, true);
      form.reset();
    } catch (err) {
      report(err, msg);
    }
  });
  await fill(mine, async () =>
    table(
      [
        { label: '编号', value: (a) => shortId(a.id) },
        { label: '状态', value: (a) => applicationStatusNames[a.status] ?? a.status },
        { label: '用途', value: (a) => a.purpose },
        { label: '数据与字段', value: (a) => datasetsText(a.datasets) },
        { label: '方式', value: (a) => (a.use === 'verification' ? '核验' : '订阅') },
        { label: '有效期至', value: (a) => time(a.validUntil) },
        { label: '授权', value: (a) => (a.grantId ? [shortId(a.grantId), `（${text(a.decidedBy)}，${time(a.decidedAt)}）`] : '') },
        { label: '说明', value: (a) => [a.reason, a.basis].filter(Boolean).join('；') },
      ],
      await api('/applications', { signal }),
      { empty: '尚无申请' },
    ),
  );
}

// Auditor

async function auditorPage(view, { signal }) {
  const verdict = h('div');
  const host = h('div');
  const limit = 100;
  let offset = 0;
  const local = (id) => {
    const v = $(`#${id}`, form).value;
    return v ? new Date(v).toISOString() : '';
  };
  const form = h(
    'form',
    { class: 'filters' },
    field('操作者', h('input', { id: 'a-actor', type: 'text' })),
    field('操作', h('input', { id: 'a-action', type: 'text', placeholder: '如 grant.*' })),
    field('数据所属部门', h('input', { id: 'a-provider', type: 'text' })),
    field('起', h('input', { id: 'a-from', type: 'datetime-local' })),
    field('止', h('input', { id: 'a-to', type: 'datetime-local' })),
    h('button', { type: 'submit' }, '查询'),
  );
  const prev = h('button', { type: 'button', class: 'plain', disabled: true }, '上一页');
  const next = h('button', { type: 'button', class: 'plain', disabled: true }, '下一页');
  const info = h('span', { class: 'muted' });
  view.append(section('审计链完整性', verdict), section('审计记录', form, host, h('div', { class: 'pager' }, prev, info, next)));

  async function search() {
    const params = {
      actor: $('#a-actor', form).value.trim(),
      action: $('#a-action', form).value.trim(),
      provider: $('#a-provider', form).value.trim(),
      from: local('a-from'),
      to: local('a-to'),
      limit,
      offset,
    };
    await fill(host, async () => {
      const { total, records } = await api(`/audit${query(params)}`, { signal });
      info.textContent = total > 0 ? `第 ${offset + 1}–${offset + records.length} 条，共 ${total} 条` : '';
      prev.disabled = offset === 0;
      next.disabled = offset + records.length >= total;
      return table(
        [
          { label: '序号', value: (r) => r.seq },
          { label: '时间', value: (r) => time(r.at) },
          { label: '操作者', value: (r) => `${r.actor}（${roleNames[r.actorRole] ?? r.actorRole}）` },
          { label: '操作', value: (r) => h('code', {}, r.action) },
          { label: '数据所属', value: (r) => r.subjectProvider },
          { label: '数据集', value: (r) => list(r.datasets) },
          { label: '字段', value: (r) => list(r.fields) },
          { label: '用途', value: (r) => r.purpose },
          { label: '批准人', value: (r) => r.approver },
          { label: '方式', value: (r) => r.method },
          { label: '详情', class: 'detail', value: (r) => (r.detail && Object.keys(r.detail).length > 0 ? JSON.stringify(r.detail) : '') },
        ],
        records,
        { empty: '没有符合条件的记录' },
      );
    });
  }

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    offset = 0;
    search();
  });
  prev.addEventListener('click', () => {
    offset = Math.max(0, offset - limit);
    search();
  });
  next.addEventListener('click', () => {
    offset += limit;
    search();
  });
  await Promise.all([
    fill(verdict, async () => {
      const v = await api('/audit/verify', { signal });
      return h(
        'div',
        { class: `verdict ${v.ok ? 'intact' : 'tampered'}` },
        h('strong', {}, v.ok ? '完整' : '被篡改'),
        ` 已校验 ${v.checked} 条记录${v.head ? `，最新序号 ${v.head.seq}，哈希 ${String(v.head.hash).slice(0, 16)}…` : ''}`,
        v.problems?.length > 0
          ? h(
              'ul',
              {},
              v.problems.map((p) => h('li', {}, `序号 ${p.seq}：${p.problem}`)),
            )
          : null,
      );
    }),
    search(),
  ]);
}

// Start

$('#login-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const token = $('#token').value.trim();
  if (token) signIn(token, { home: true });
});
$('#logout').addEventListener('click', () => signOut());
window.addEventListener('hashchange', route);
if (state.token) signIn(state.token, { home: false });
else $('#login').hidden = false;
