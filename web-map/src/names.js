// The place-name officer's view (地名 Names tab, issue 16): check a name against the naming
// rules (GET /api/v1/names/check: findings with their rule, detail and clause, and the name's
// GB/T 16159 romanisation), list the duplicate and homophone groups within a scope
// (GET /api/v1/names/duplicates), and, for a signed-in surveyor or admin, run the naming
// workflow: make an application (POST /api/v1/names/applications), review it, put it out for
// public notice, approve or reject it (the last three for admins; the server checks roles and
// the notice period and says why it refuses, which the view shows as it is).
//
// What the view says about itself, for the browser tests: `#names-check`, `#names-duplicates`
// and `#names-applications` have `data-state` `loading`, then `ready` or `error`; the check's
// box carries `data-rules` (the findings' rules, comma-separated) and `data-romanized`; each
// duplicate group is an `li[data-rule][data-codes]`; each application row an
// `li[data-id][data-status]`, and the open application's card `data-id` and `data-status`.
import { describeError, getJson, postJson, withQuery } from './api.js';
import { byId, el } from './dom.js';

/**
 * @typedef {{ rule: string, detail: string, clause: string }} NameFinding
 * @typedef {{ id: number, place: string, current_name: string | null, proposed_name: string,
 *   reason: string, applicant: string, submitted: string, status: string, findings: NameFinding[],
 *   reviews: { who: string, verdict: string, comment: string, on: string }[],
 *   notice_from: string | null, notice_until: string | null, decided_by: string | null,
 *   decided_on: string | null, decision_note: string | null, announcement: any }} Application
 * @typedef {{ name: string, role: string }} Who
 */

/**
 * The rules' findings as a list (an empty list says the name passed).
 * @param {NameFinding[]} findings
 */
function findingList(findings) {
  if (findings.length === 0) return el('p', { class: 'survey-ok', text: '✓ 未发现问题 No findings' });
  return el(
    'ul',
    { class: 'names-findings' },
    ...findings.map((f) =>
      el('li', { 'data-rule': f.rule }, el('span', { class: 'rule', text: f.rule }), f.detail, ' ', el('span', { class: 'clause', text: f.clause })),
    ),
  );
}

/**
 * Runs `load` for `box`: `data-state` loading → ready (with `render`'s nodes) or error.
 * @param {HTMLElement} box
 * @param {() => Promise<Node[]>} load
 */
async function fill(box, load) {
  box.hidden = false;
  box.dataset.state = 'loading';
  box.replaceChildren(el('p', { class: 'loading', text: '加载中 Loading…' }));
  try {
    box.replaceChildren(...(await load()));
    box.dataset.state = 'ready';
  } catch (error) {
    box.replaceChildren(el('p', { class: 'error', 'data-status': 'status' in Object(error) ? String(/** @type {any} */ (error).status) : 'network', text: describeError(error) }));
    box.dataset.state = 'error';
  }
}

/** Today in China (UTC+8) as YYYY-MM-DD: the server's "today" for dates. */
function todayInChina() {
  return new Date(Date.now() + 8 * 3600 * 1000).toISOString().slice(0, 10);
}

/**
 * Wires the names tab. Returns the switch the account calls with who is signed in. A unit
 * clicked on the map while the tab is open fills in the application's place and the check's
 * scope.
 * @param {{ setStatus: (text: string, isError?: boolean) => void, unitClickListeners: ((props: Record<string, any>) => void)[] }} options
 * @returns {{ setWho: (who: Who | null) => void, state: { who: Who | null, open: number | null } }}
 */
export function wireNames({ setStatus, unitClickListeners }) {
  const checkBox = byId('names-check', HTMLElement);
  const dupBox = byId('names-duplicates', HTMLElement);
  const hint = byId('names-hint', HTMLElement);
  const workflow = byId('names-workflow', HTMLElement);
  const list = byId('names-applications', HTMLElement);
  const card = byId('names-application', HTMLElement);
  const applyError = byId('names-apply-error', HTMLElement);
  /** @type {{ who: Who | null, open: number | null }} */
  const state = { who: null, open: null };
  const tab = byId('tab-names', HTMLButtonElement);
  const statusFilter = byId('names-apps-status', HTMLSelectElement);

  unitClickListeners.push((props) => {
    if (tab.getAttribute('aria-selected') !== 'true' || !/^\d{12}$/.test(String(props.code))) return;
    byId('names-apply-place', HTMLInputElement).value = `unit/${props.code}`;
    byId('names-check-scope', HTMLInputElement).value = String(props.code);
    setStatus(`地名 Names: ${props.name || ''} unit/${props.code}`);
  });

  byId('names-check-form', HTMLFormElement).addEventListener('submit', (event) => {
    event.preventDefault();
    const name = byId('names-check-name', HTMLInputElement).value.trim();
    const url = withQuery('/api/v1/names/check', { name, kind: byId('names-check-kind', HTMLSelectElement).value, scope: byId('names-check-scope', HTMLInputElement).value.trim() });
    fill(checkBox, async () => {
      const answer = await getJson(url);
      checkBox.dataset.rules = answer.findings.map((/** @type {NameFinding} */ f) => f.rule).join(',');
      checkBox.dataset.romanized = answer.romanized || '';
      return [
        el('p', { class: 'card-title', text: `${answer.name} · ${answer.kind}` }),
        el('p', { text: `拼音 Romanized: ${answer.romanized ?? '—'}${answer.sign ? ` · 标牌 Sign: ${answer.sign}` : ''}` }),
        answer.scope ? el('p', { class: 'muted', text: `范围 Scope ${answer.scope}: ${answer.compared ?? 0} 个名称比较 names compared` }) : null,
        findingList(answer.findings),
      ].filter((n) => n !== null);
    });
  });

  byId('names-dup-form', HTMLFormElement).addEventListener('submit', (event) => {
    event.preventDefault();
    const url = withQuery('/api/v1/names/duplicates', { level: byId('names-dup-level', HTMLSelectElement).value, scope: byId('names-dup-scope', HTMLInputElement).value.trim() });
    fill(dupBox, async () => {
      const answer = await getJson(url);
      dupBox.dataset.groups = String(answer.groups.length);
      const rows = answer.groups.map((/** @type {any} */ g) =>
        el('li', { 'data-rule': g.rule, 'data-codes': g.codes.join(',') }, el('span', { class: 'rule', text: g.rule === 'homophone' ? `同音 homophone${g.dialect ? ' (方言 dialect)' : ''}` : '重名 duplicate' }), ` ${g.name} (${g.pinyin}) · ${g.scope} · ${g.codes.join(' ')}`),
      );
      return [el('p', { class: 'muted', text: `${answer.names} 个名称 names · ${answer.groups.length} 组 groups` }), el('ul', { class: 'names-findings' }, ...rows)];
    });
  });

  const isAdmin = () => state.who !== null && state.who.role === 'admin';

  /**
   * POSTs an action on the open application and redraws what changed.
   * @param {string} path
   * @param {unknown} body
   */
  async function act(path, body) {
    for (const old of card.querySelectorAll('.error[role="alert"]')) old.remove();
    try {
      const application = await postJson(path, body);
      showApplication(application);
      setStatus(`申请 Application ${application.id}: ${application.status}`);
      await loadApplications();
    } catch (error) {
      card.append(el('p', { class: 'error', role: 'alert', text: describeError(error) }));
    }
  }

  /**
   * A row of inputs and a button that runs `onRun` with the inputs' values.
   * @param {string} action
   * @param {string} label
   * @param {HTMLElement[]} inputs
   * @param {(values: string[]) => void} onRun
   */
  function actionRow(action, label, inputs, onRun) {
    const button = el('button', { type: 'button', 'data-action': action, text: label });
    button.addEventListener('click', () => onRun(inputs.map((i) => /** @type {HTMLInputElement} */ (i).value.trim())));
    return el('div', { class: 'names-actions' }, ...inputs, button);
  }

  /** @param {Application} a */
  function showApplication(a) {
    state.open = a.id;
    card.hidden = false;
    Object.assign(card.dataset, { id: String(a.id), status: a.status });
    const base = `/api/v1/names/applications/${a.id}`;
    const decided = a.status === 'approved' || a.status === 'rejected';
    const rows = [
      el('p', { class: 'card-title', text: `#${a.id} ${a.current_name ?? a.place} → ${a.proposed_name}` }),
      el('p', { class: 'muted', text: `${a.place} · ${a.status} · 受理 submitted ${a.submitted} · ${a.applicant}` }),
      el('p', { text: `理由 Reason: ${a.reason}` }),
      findingList(a.findings),
      a.reviews.length ? el('ul', { class: 'names-findings' }, ...a.reviews.map((r) => el('li', { 'data-verdict': r.verdict, text: `${r.on} ${r.who}: ${r.verdict} — ${r.comment}` }))) : null,
      a.notice_from ? el('p', { 'data-notice-until': a.notice_until || '', text: `公示 Notice ${a.notice_from} – ${a.notice_until}` }) : null,
      a.announcement ? el('p', { class: 'survey-ok', 'data-announcement': a.announcement.number, text: `公告 Announcement ${a.announcement.number}: ${a.announcement.old_name ?? ''} → ${a.announcement.new_name} (${a.announcement.approval_ref})` }) : null,
      a.decision_note ? el('p', { text: `决定 Decision: ${a.decision_note}` }) : null,
    ];
    if (!decided) {
      const verdict = el('select', { 'aria-label': '意见 Verdict' }, el('option', { value: 'support', text: '支持 support' }), el('option', { value: 'object', text: '反对 object' }), el('option', { value: 'comment', text: '意见 comment' }));
      rows.push(actionRow('review', '评审 Review', [verdict, el('input', { placeholder: '意见 Comment', 'aria-label': '意见 Comment' })], ([v, c]) => act(`${base}/reviews`, { verdict: v, comment: c })));
    }
    if (!decided && isAdmin()) {
      const from = el('input', { type: 'date', 'aria-label': '公示开始 Notice from', value: a.submitted });
      rows.push(actionRow('notice', '公示 Start notice', [from, el('input', { type: 'number', min: '30', max: '366', value: '30', 'aria-label': '天数 Days' })], ([f, d]) => act(`${base}/notice`, { from: f || undefined, days: Number(d) })));
      rows.push(actionRow('approve', '批准 Approve', [el('input', { value: '杭州市民政局', 'aria-label': '发布单位 Issuing unit' }), el('input', { placeholder: '批准文号 Approval ref', 'aria-label': '批准文号 Approval ref' })], ([u, r]) => act(`${base}/approve`, { unit: u, approval_ref: r })));
      rows.push(actionRow('reject', '驳回 Reject', [el('input', { placeholder: '理由 Reason', 'aria-label': '驳回理由 Reject reason' })], ([r]) => act(`${base}/reject`, { reason: r })));
    }
    card.replaceChildren(...rows.filter((n) => n !== null));
  }

  async function loadApplications() {
    list.dataset.state = 'loading';
    try {
      const answer = await getJson(withQuery('/api/v1/names/applications', { status: statusFilter.value }));
      /** @type {Application[]} */
      const apps = answer.applications;
      list.replaceChildren(
        ...apps.map((a) => {
          const open = el('button', { type: 'button', text: `#${a.id} ${a.current_name ?? a.place} → ${a.proposed_name} · ${a.status}` });
          open.addEventListener('click', () => showApplication(a));
          return el('li', { 'data-id': String(a.id), 'data-status': a.status, 'aria-current': String(a.id === state.open) }, open);
        }),
      );
      if (apps.length === 0) list.replaceChildren(el('li', { class: 'muted', text: '无申请 No applications' }));
      list.dataset.state = 'ready';
    } catch (error) {
      list.replaceChildren(el('li', { class: 'error', text: describeError(error) }));
      list.dataset.state = 'error';
    }
  }

  byId('names-apply-form', HTMLFormElement).addEventListener('submit', async (event) => {
    event.preventDefault();
    applyError.hidden = true;
    try {
      const application = await postJson('/api/v1/names/applications', {
        place: byId('names-apply-place', HTMLInputElement).value.trim(),
        proposed_name: byId('names-apply-name', HTMLInputElement).value.trim(),
        reason: byId('names-apply-reason', HTMLInputElement).value.trim(),
        submitted: byId('names-apply-submitted', HTMLInputElement).value || undefined,
      });
      showApplication(application);
      await loadApplications();
    } catch (error) {
      applyError.textContent = describeError(error);
      applyError.hidden = false;
    }
  });
  byId('names-apps-reload', HTMLButtonElement).addEventListener('click', () => loadApplications());
  statusFilter.addEventListener('change', () => loadApplications());
  byId('names-apply-submitted', HTMLInputElement).max = todayInChina();

  /** @param {Who | null} who */
  function setWho(who) {
    state.who = who;
    const allowed = who !== null && (who.role === 'surveyor' || who.role === 'admin');
    hint.hidden = allowed;
    workflow.hidden = !allowed;
    if (allowed) loadApplications();
    else {
      state.open = null;
      card.hidden = true;
      list.replaceChildren();
      list.dataset.state = 'idle';
    }
  }
  return { setWho, state };
}
