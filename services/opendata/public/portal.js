// The open-data portal: plain ES module, no build step, no sign-in. Everything from the API is
// rendered as text nodes, never as markup.

const openTypeNames = { open: '无条件开放', on_application: '依申请开放' };
const cycleNames = { realtime: '实时', hourly: '每小时', daily: '每日', weekly: '每周', monthly: '每月', quarterly: '每季度', yearly: '每年' };
const kindNames = { problem: '问题反馈', request: '数据需求' };

/** An element; string children become text nodes. Props: on* listeners, class, anything else as an attribute. */
function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on')) el.addEventListener(key.slice(2), value);
    else if (key === 'class') el.className = value;
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(typeof child === 'string' || typeof child === 'number' ? document.createTextNode(String(child)) : child);
  }
  return el;
}

async function api(path, options = {}) {
  const res = await fetch(`/open${path}`, {
    ...options,
    headers: { accept: 'application/json', ...(options.body ? { 'content-type': 'application/json' } : {}) },
  });
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw Object.assign(new Error(body.message ?? `请求失败（${res.status}）`), { status: res.status, code: body.code });
  return body;
}

const applicantKey = 'hub-open-applicant';

/** The signed-in API, as the registered organisation (its token kept in this tab only). */
async function applicantApi(path, options = {}) {
  const token = sessionStorage.getItem(applicantKey);
  const res = await fetch(`/api/v1${path}`, {
    ...options,
    headers: { accept: 'application/json', authorization: `Bearer ${token}`, ...(options.body ? { 'content-type': 'application/json' } : {}) },
  });
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw Object.assign(new Error(body.message ?? `请求失败（${res.status}）`), { status: res.status });
  return body;
}

const appStatusNames = { pending: '待答复', approved: '已同意', refused: '已拒绝' };

function field(id, label, props = {}) {
  return h('label', {}, `${label} `, h('input', { id, ...props }));
}

/** Open on application: register the organisation, apply, and once approved download with the personal key. */
function applySection(dataset) {
  const box = h('section', { id: 'apply' });
  const notice = h('div', { id: 'apply-notice' });
  const fail = (err) => notice.replaceChildren(h('p', { class: 'notice error' }, err.message));
  const render = async () => {
    if (!sessionStorage.getItem(applicantKey)) {
      const form = h(
        'form',
        { class: 'feedback', id: 'register-form' },
        h('h3', {}, '机构注册'),
        field('org-name', '机构名称', { required: true, maxlength: 200 }),
        field('org-uscc', '统一社会信用代码', { required: true, maxlength: 18 }),
        h(
          'label',
          {},
          '机构类型 ',
          h(
            'select',
            { id: 'org-kind' },
            h('option', { value: 'university' }, '高等院校'),
            h('option', { value: 'research_institute' }, '科研机构'),
            h('option', { value: 'enterprise' }, '企业'),
          ),
        ),
        field('org-contact', '联系方式', { required: true, maxlength: 200 }),
        h('button', { type: 'submit', id: 'register-submit' }, '注册'),
      );
      form.addEventListener('submit', async (e) => {
        e.preventDefault();
        try {
          const { credentials } = await api('/organisations', {
            method: 'POST',
            body: JSON.stringify({
              name: form.querySelector('#org-name').value.trim(),
              uscc: form.querySelector('#org-uscc').value.trim().toUpperCase(),
              kind: form.querySelector('#org-kind').value,
              contact: form.querySelector('#org-contact').value.trim(),
            }),
          });
          sessionStorage.setItem(applicantKey, credentials.token);
          notice.replaceChildren(
            h('p', { class: 'notice ok' }, '注册成功。请妥善保存机构令牌（仅显示一次）：', h('code', { id: 'org-token' }, credentials.token)),
          );
          await render();
        } catch (err) {
          fail(err);
        }
      });
      box.replaceChildren(form, notice);
      return;
    }
    const applyForm = h(
      'form',
      { class: 'feedback', id: 'apply-form' },
      h('h3', {}, '申请利用（仅限非商业科研用途）'),
      h('textarea', { id: 'apply-purpose', placeholder: '申请用途', required: true, maxlength: 2000 }),
      h('button', { type: 'submit', id: 'apply-submit' }, '提交申请'),
    );
    applyForm.addEventListener('submit', async (e) => {
      e.preventDefault();
      try {
        const a = await applicantApi('/open/applications', {
          method: 'POST',
          body: JSON.stringify({ dataset, purpose: applyForm.querySelector('#apply-purpose').value.trim() }),
        });
        notice.replaceChildren(h('p', { class: 'notice ok' }, `申请已提交，提供部门应于 ${when(a.dueAt)} 前答复`));
        await render();
      } catch (err) {
        fail(err);
      }
    });
    let mine = [];
    try {
      mine = (await applicantApi('/open/applications')).filter((a) => a.dataset === dataset);
    } catch (err) {
      fail(err);
    }
    const rows = mine.map((a) => {
      const cell = h('td', {});
      if (a.status === 'approved') {
        cell.append(
          h(
            'button',
            {
              type: 'button',
              class: 'get-key',
              onclick: async () => {
                try {
                  const { key, validUntil } = await applicantApi(`/open/applications/${a.id}/key`, { method: 'POST' });
                  cell.replaceChildren(
                    h(
                      'a',
                      {
                        href: `/open/datasets/${encodeURIComponent(dataset)}/download.csv?key=${encodeURIComponent(key)}`,
                        download: `${dataset}.csv`,
                        id: 'key-download',
                      },
                      '凭密钥下载 CSV',
                    ),
                    h('div', { class: 'meta' }, `密钥有效期至 ${when(validUntil)}`),
                  );
                } catch (err) {
                  fail(err);
                }
              },
            },
            '获取下载密钥',
          ),
        );
      }
      return h(
        'tr',
        { 'data-application': a.id },
        h('td', {}, when(a.createdAt)),
        h('td', {}, a.purpose),
        h('td', { class: 'status' }, appStatusNames[a.status] ?? a.status),
        h('td', {}, a.agreement ?? a.reason ?? ''),
        cell,
      );
    });
    box.replaceChildren(
      applyForm,
      h('h3', {}, '我的申请'),
      h(
        'table',
        { id: 'my-applications' },
        h('thead', {}, h('tr', {}, h('th', {}, '提交时间'), h('th', {}, '用途'), h('th', {}, '状态'), h('th', {}, '协议或理由'), h('th', {}, '下载'))),
        h('tbody', {}, rows),
      ),
      notice,
    );
  };
  render();
  return box;
}

const when = (iso) => (iso ? new Date(iso).toLocaleString('zh-CN', { timeZone: 'Asia/Shanghai', hour12: false }) : '尚未发布');
const extra = (pkg, key) => pkg.extras.find((e) => e.key === key)?.value ?? '';
const app = () => document.getElementById('app');

async function showList(query) {
  const form = h(
    'form',
    { class: 'search', id: 'search-form' },
    h('input', { id: 'search', type: 'search', placeholder: '输入关键词检索数据集', value: query }),
    h('button', { type: 'submit', id: 'search-button' }, '搜索'),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    location.hash = `#/?q=${encodeURIComponent(form.querySelector('input').value.trim())}`;
  });
  const list = h('section', { id: 'results' }, h('p', { class: 'empty' }, '加载中…'));
  app().replaceChildren(form, list);
  try {
    const { result } = await api(`/api/3/action/package_search?rows=100&q=${encodeURIComponent(query)}`);
    list.replaceChildren(
      h('p', { class: 'meta', id: 'result-count' }, `共 ${result.count} 个开放数据集`),
      ...result.results.map((pkg) => {
        const dataset = extra(pkg, 'dataset');
        const type = extra(pkg, 'open_type');
        return h(
          'article',
          { class: 'card', 'data-testid': 'dataset-card', 'data-dataset': dataset },
          h('h2', {}, h('a', { href: `#/datasets/${encodeURIComponent(dataset)}` }, pkg.title)),
          h(
            'div',
            { class: 'meta' },
            h('span', {}, dataset),
            h('span', {}, `提供部门：${pkg.organization.title}`),
            h('span', { class: type === 'open' ? 'tag' : 'tag apply' }, openTypeNames[type] ?? type),
            h('span', {}, `更新周期：${extra(pkg, 'update_cycle')}`),
            h('span', {}, `更新于 ${when(extra(pkg, 'last_published'))}`),
          ),
          h('p', {}, pkg.notes),
        );
      }),
    );
    if (result.count === 0) list.append(h('p', { class: 'empty', id: 'no-results' }, '没有找到符合条件的开放数据集'));
  } catch (err) {
    list.replaceChildren(h('p', { class: 'notice error' }, err.message));
  }
}

function feedbackForm(dataset, onSent) {
  const notice = h('div', { id: 'feedback-notice' });
  const form = h(
    'form',
    { class: 'feedback', id: 'feedback-form' },
    h('label', {}, '类型 ', h('select', { id: 'feedback-kind' }, h('option', { value: 'problem' }, '问题反馈'), h('option', { value: 'request' }, '数据需求'))),
    h('textarea', { id: 'feedback-message', placeholder: '请描述问题或您需要的数据', maxlength: 2000, required: true }),
    h('input', { id: 'feedback-contact', placeholder: '联系方式（可选，仅数据提供部门可见）', maxlength: 200 }),
    h('button', { type: 'submit', id: 'feedback-submit' }, '提交'),
    notice,
  );
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const message = form.querySelector('#feedback-message').value.trim();
    const contact = form.querySelector('#feedback-contact').value.trim();
    try {
      await api(`/datasets/${encodeURIComponent(dataset)}/feedback`, {
        method: 'POST',
        body: JSON.stringify({ kind: form.querySelector('#feedback-kind').value, message, ...(contact ? { contact } : {}) }),
      });
      notice.replaceChildren(h('p', { class: 'notice ok' }, '已收到您的反馈，数据提供部门答复后将在此显示'));
      form.querySelector('#feedback-message').value = '';
      onSent();
    } catch (err) {
      notice.replaceChildren(h('p', { class: 'notice error' }, err.status === 429 ? '提交过于频繁，请稍后再试' : err.message));
    }
  });
  return form;
}

async function showDataset(dataset) {
  app().replaceChildren(h('p', { class: 'empty' }, '加载中…'));
  let d;
  let answered;
  try {
    [d, answered] = await Promise.all([api(`/datasets/${encodeURIComponent(dataset)}`), api(`/datasets/${encodeURIComponent(dataset)}/feedback`)]);
  } catch (err) {
    app().replaceChildren(h('p', { class: 'notice error' }, err.status === 404 ? '该数据集不存在或未开放' : err.message), h('a', { href: '#/' }, '返回列表'));
    return;
  }
  const path = `/open/datasets/${encodeURIComponent(dataset)}`;
  const downloads =
    d.openType === 'open'
      ? d.snapshot
        ? h(
            'div',
            { class: 'downloads', id: 'downloads' },
            h('a', { href: `${path}/download.csv`, download: `${dataset}.csv`, id: 'download-csv' }, '下载 CSV'),
            h('a', { href: `${path}/download.ndjson`, download: `${dataset}.ndjson`, id: 'download-ndjson' }, '下载 NDJSON'),
          )
        : h('p', { class: 'empty' }, '首次发布中，请稍后再来')
      : h('p', { class: 'notice', id: 'apply-note' }, '依申请开放：请以机构身份注册并申请，获批后凭个人下载密钥下载。');
  app().replaceChildren(
    h('p', {}, h('a', { href: '#/' }, '← 返回列表')),
    h(
      'article',
      { class: 'card', id: 'dataset-detail', 'data-dataset': d.dataset },
      h('h2', { id: 'dataset-title' }, d.title),
      h(
        'div',
        { class: 'meta' },
        h('span', {}, d.dataset),
        h('span', { class: d.openType === 'open' ? 'tag' : 'tag apply' }, openTypeNames[d.openType]),
        h('span', {}, `提供部门：${d.owner}`),
        h('span', {}, `许可：${d.licence}`),
        h('span', {}, `更新周期：${cycleNames[d.updateCycle] ?? d.updateCycle}`),
        h('span', { id: 'freshness' }, d.snapshot ? `${d.snapshot.rows} 行，发布于 ${when(d.snapshot.publishedAt)}` : '尚未发布'),
      ),
      h('p', {}, d.description),
      downloads,
      d.openType === 'on_application' ? applySection(dataset) : null,
    ),
    h(
      'section',
      { class: 'card' },
      h('h3', {}, '开放字段'),
      h(
        'table',
        { id: 'fields' },
        h('thead', {}, h('tr', {}, h('th', {}, '字段'), h('th', {}, '说明'), h('th', {}, '处理'))),
        h(
          'tbody',
          {},
          d.fields.map((f) =>
            h(
              'tr',
              { 'data-field': f.name },
              h('td', {}, f.name),
              h('td', {}, f.doc),
              h('td', {}, f.desensitized ? h('span', { class: 'masked' }, '已脱敏') : ''),
            ),
          ),
        ),
      ),
    ),
    h(
      'section',
      { class: 'card' },
      h('h3', {}, '公众反馈'),
      h(
        'ul',
        { id: 'answered-feedback' },
        answered.length === 0 ? h('li', { class: 'empty' }, '暂无已答复的反馈') : null,
        answered.map((f) => h('li', {}, `【${kindNames[f.kind] ?? f.kind}】${f.message}`, h('div', { class: 'answer' }, `答复：${f.answer}`))),
      ),
      h('h3', {}, '留言'),
      feedbackForm(dataset, () => undefined),
    ),
  );
}

function route() {
  const hash = location.hash || '#/';
  const detail = /^#\/datasets\/(.+)$/.exec(hash);
  if (detail) return showDataset(decodeURIComponent(detail[1]));
  const q = /[?&]q=([^&]*)/.exec(hash);
  return showList(q ? decodeURIComponent(q[1]) : '');
}

window.addEventListener('hashchange', route);
route();
