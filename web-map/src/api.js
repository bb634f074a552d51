// The same-origin JSON API (docs/API.md). Errors carry the HTTP status and the API's own
// message, so the page can say *why* something is unavailable instead of guessing.

/** A non-2xx answer: `status` is the HTTP status, `message` the API's error message. */
export class HttpError extends Error {
  /**
   * @param {string} url
   * @param {number} status
   * @param {string} apiMessage
   */
  constructor(url, status, apiMessage) {
    super(`${url}: HTTP ${status}${apiMessage ? ` (${apiMessage})` : ''}`);
    this.url = url;
    this.status = status;
    this.apiMessage = apiMessage;
  }
}

/** @type {((url: string) => void) | null} */
let unauthorizedHandler = null;

/**
 * Sets who hears of every 401 answer (account.js: a session that ended while the page was
 * open, e.g. its cookie expired, is noticed at the next request instead of at the next load).
 * @param {(url: string) => void} handler called with the URL that answered 401
 */
export function setUnauthorizedHandler(handler) {
  unauthorizedHandler = handler;
}

/**
 * Tells the handler of a 401 answer (readJson does; other fetches of the page call it too).
 * @param {string} url
 * @param {number} status
 */
export function noteStatus(url, status) {
  if (status === 401 && unauthorizedHandler) unauthorizedHandler(url);
}

/**
 * @param {string} url
 * @param {Response} response
 * @returns {Promise<any>}
 */
async function readJson(url, response) {
  noteStatus(url, response.status);
  if (!response.ok) throw await httpErrorOf(url, response);
  return response.json();
}

/**
 * The `HttpError` of a non-2xx answer, with the API's own message when its body has one.
 * @param {string} url
 * @param {Response} response
 */
export async function httpErrorOf(url, response) {
  let apiMessage = '';
  try {
    const body = await response.json();
    apiMessage = body && body.error && body.error.message ? body.error.message : '';
  } catch {
    // Not a JSON error body; the status says enough.
  }
  return new HttpError(url, response.status, apiMessage);
}

/**
 * GET `url` as JSON.
 * @param {string} url
 * @param {{ signal?: AbortSignal }} [options]
 */
export async function getJson(url, { signal } = {}) {
  const response = await fetch(url, { headers: { Accept: 'application/json' }, signal });
  return readJson(url, response);
}

/**
 * POST `body` as JSON to `url`, answer as JSON.
 * @param {string} url
 * @param {unknown} body
 */
export async function postJson(url, body) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { Accept: 'application/json', 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  return readJson(url, response);
}

/**
 * POST a multipart form (e.g. a file in a `file` field) to `url`, answer as JSON. The browser
 * sets the `multipart/form-data` type with its boundary.
 * @param {string} url
 * @param {FormData} form
 */
export async function postForm(url, form) {
  const response = await fetch(url, { method: 'POST', headers: { Accept: 'application/json' }, body: form });
  return readJson(url, response);
}

/**
 * `path?k=v&…`, leaving out empty values.
 * @param {string} path
 * @param {Record<string, string | number | null | undefined>} params
 */
export function withQuery(path, params) {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '') {
      query.set(key, String(value));
    }
  }
  const text = query.toString();
  return text ? `${path}?${text}` : path;
}

/**
 * A short human text for an error, for status lines.
 * @param {unknown} error
 */
export function describeError(error) {
  if (error instanceof HttpError) {
    return error.apiMessage ? `HTTP ${error.status}: ${error.apiMessage}` : `HTTP ${error.status}`;
  }
  return error instanceof Error && error.message ? error.message : String(error);
}
