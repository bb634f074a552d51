// The account control in the panel header: sign in (POST /api/v1/auth/session, which answers
// with an HttpOnly session cookie the page never sees), who is signed in, and sign out
// (DELETE /api/v1/auth/session). On start the page asks GET /api/v1/me: a 401 there is the
// ordinary anonymous visitor and is not reported. The planner's what-if, siting and CSV
// exports need a planner (or admin), the surveyor view's survey diff and GIS exports a
// surveyor (or admin); planner.js and survey.js are told of every change through `onChange`
// and show or hide them, the server being the one that actually enforces the roles.
//
// Why a cookie and not a token in JavaScript: script on the page cannot read or leak an
// HttpOnly cookie, and the page's own same-origin fetches carry it without any code here.
import { describeError, getJson, HttpError, postJson, setUnauthorizedHandler } from './api.js';
import { byId } from './dom.js';

/**
 * The signed-in user as GET /api/v1/me and POST /api/v1/auth/session answer it.
 * @typedef {{ name: string, role: string, district?: string | null, expires_at?: string, expires_in_s?: number }} Identity
 */

/** The roles that may plan: create scenarios, run siting, export CSV (docs/API.md). */
const PLANNING_ROLES = new Set(['planner', 'admin']);
/** The roles that may survey: edit markers, diff a survey, export GIS layers (docs/API.md). */
const SURVEYING_ROLES = new Set(['surveyor', 'admin']);

const SESSION_ENDED = '登录已结束，请重新登录 Your session has ended: sign in again';

/** @type {Record<string, string>} */
const ROLE_NAMES = {
  planner: '规划 planner',
  surveyor: '勘界 surveyor',
  admin: '管理 admin',
};

/**
 * Whether `who` may use the planner's what-if, siting and exports.
 * @param {Identity | null} who
 */
export function canPlan(who) {
  return who !== null && PLANNING_ROLES.has(who.role);
}

/**
 * Whether `who` may use the surveyor view's survey diff, exports and marker edits.
 * @param {Identity | null} who
 * @example
 * canSurvey({ name: 'li', role: 'surveyor' }) // true
 * canSurvey({ name: 'wang', role: 'planner' }) // false
 */
export function canSurvey(who) {
  return who !== null && SURVEYING_ROLES.has(who.role);
}

/**
 * The text an error of the sign-in form shows: the API's own message (401's "wrong name or
 * password", 429's "retry in N s"), else the status or the network error.
 * @param {unknown} error
 */
export function signInErrorText(error) {
  if (error instanceof HttpError && error.apiMessage) {
    const prefix = error.status === 429 ? '尝试过多 Too many attempts' : '登录失败 Sign-in failed';
    return `${prefix}: ${error.apiMessage}`;
  }
  return `登录失败 Sign-in failed: ${describeError(error)}`;
}

/**
 * @typedef {object} AccountOptions
 * @property {(who: Identity | null) => void} onChange called after every sign-in and sign-out
 *   and once the start-up check has answered
 * @property {(text: string, isError?: boolean) => void} setStatus
 */

/**
 * Wires the account control and asks the server who the visitor is.
 * @param {AccountOptions} options
 * @returns {{ current: () => Identity | null, ready: Promise<Identity | null> }}
 */
export function wireAccount({ onChange, setStatus }) {
  const accountEl = byId('account', HTMLElement);
  const signInButton = byId('sign-in', HTMLButtonElement);
  const whoEl = byId('account-who', HTMLElement);
  const signOutButton = byId('sign-out', HTMLButtonElement);
  const form = byId('sign-in-form', HTMLFormElement);
  const nameInput = byId('sign-in-name', HTMLInputElement);
  const passwordInput = byId('sign-in-password', HTMLInputElement);
  const errorEl = byId('sign-in-error', HTMLElement);
  const submitButton = byId('sign-in-submit', HTMLButtonElement);
  const cancelButton = byId('sign-in-cancel', HTMLButtonElement);

  /** @type {Identity | null} */
  let who = null;

  /** @param {Identity | null} next */
  function show(next) {
    who = next;
    accountEl.dataset.state = who ? 'signed-in' : 'anonymous';
    signInButton.hidden = who !== null;
    signOutButton.hidden = who === null;
    whoEl.hidden = who === null;
    whoEl.textContent = who ? `${who.name} · ${ROLE_NAMES[who.role] || who.role}` : '';
    if (who) {
      whoEl.dataset.name = who.name;
      whoEl.dataset.role = who.role;
    } else {
      delete whoEl.dataset.name;
      delete whoEl.dataset.role;
    }
    onChange(who);
  }

  /** @param {string} text */
  function showError(text) {
    errorEl.textContent = text;
    errorEl.hidden = text === '';
  }

  function openForm() {
    form.hidden = false;
    signInButton.setAttribute('aria-expanded', 'true');
    showError('');
    nameInput.focus();
  }

  function closeForm(/** @type {boolean} */ returnFocus) {
    form.hidden = true;
    signInButton.setAttribute('aria-expanded', 'false');
    passwordInput.value = '';
    showError('');
    if (returnFocus && !signInButton.hidden) signInButton.focus();
  }

  signInButton.addEventListener('click', () => (form.hidden ? openForm() : closeForm(true)));
  cancelButton.addEventListener('click', () => closeForm(true));
  form.addEventListener('keydown', (event) => {
    if (event.key === 'Escape') {
      event.preventDefault();
      closeForm(true);
    }
  });

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const name = nameInput.value.trim();
    if (!name || !passwordInput.value) {
      showError('请输入用户名和密码 Enter a name and a password');
      (name ? passwordInput : nameInput).focus();
      return;
    }
    submitButton.disabled = true;
    form.setAttribute('aria-busy', 'true');
    try {
      /** @type {Identity} */
      const answer = await postJson('/api/v1/auth/session', { name, password: passwordInput.value });
      closeForm(false);
      show(answer);
      setStatus(`已登录 Signed in as ${answer.name}`);
      signOutButton.focus();
    } catch (error) {
      showError(signInErrorText(error));
      passwordInput.select();
      passwordInput.focus();
    } finally {
      submitButton.disabled = false;
      form.removeAttribute('aria-busy');
    }
  });

  signOutButton.addEventListener('click', async () => {
    signOutButton.disabled = true;
    try {
      const response = await fetch('/api/v1/auth/session', { method: 'DELETE' });
      // 401: the session had already ended (expired, or the user was removed); the server
      // clears the cookie either way, so the page is anonymous now too.
      if (!response.ok && response.status !== 401) {
        setStatus(`退出失败 Sign-out failed: HTTP ${response.status}`, true);
        return;
      }
      show(null);
      setStatus('已退出 Signed out');
      signInButton.focus();
    } catch (error) {
      setStatus(`退出失败 Sign-out failed: ${describeError(error)}`, true);
    } finally {
      signOutButton.disabled = false;
    }
  });

  // A 401 from any other route while signed in: has the session ended (the cookie expired,
  // the user was removed)? Ask once; if so, the page becomes anonymous and says why.
  let rechecking = false;
  setUnauthorizedHandler(async (url) => {
    const path = new URL(url, location.href).pathname;
    if (who === null || rechecking || path === '/api/v1/me' || path.startsWith('/api/v1/auth/')) return;
    rechecking = true;
    try {
      /** @type {Identity} */
      const answer = await getJson('/api/v1/me');
      if (who === null || answer.name !== who.name || answer.role !== who.role) show(answer);
    } catch (error) {
      if (error instanceof HttpError && error.status === 401) {
        show(null);
        // Said in the form, opened again: the status line is the planner's redraw's now.
        openForm();
        showError(SESSION_ENDED);
      }
    } finally {
      rechecking = false;
    }
  });

  // Who is this? 401 is the anonymous visitor; any other failure is said in the status line
  // and leaves the page anonymous (the server decides on every request anyway).
  const ready = getJson('/api/v1/me').then(
    (/** @type {Identity} */ answer) => {
      show(answer);
      return who;
    },
    (error) => {
      if (!(error instanceof HttpError && error.status === 401)) {
        setStatus(`无法确认登录状态 Could not check sign-in: ${describeError(error)}`, true);
      }
      show(null);
      return who;
    }
  );

  return { current: () => who, ready };
}
