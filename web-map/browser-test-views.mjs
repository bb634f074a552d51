// The place-name officer's and the change-proposal views' browser suites, run through
// browser-test.mjs (`--suite names` and `--suite proposals`), which passes in its shared helpers
// (`kit`): opening the page in test mode, checks, map waits.
//
// names: anonymous, the 地名 Names tab checks 宇宙大厦 as a building and shows the `grand`
// finding and the romanisation the API gives, and lists the duplicate groups the API gives
// for communities within each district. Signed in as CIVMAP_E2E_SURVEYOR through the header's
// form, an application to rename a community (submitted 40 days ago, so a 30-day notice from
// that day is over) is made and reviewed with `support`; signed out and in again as
// CIVMAP_E2E_ADMIN, an approval before the notice is refused (409, said on the page in the
// server's words), the notice is started from the submission day and the application approved
// — each step through the page's buttons, each state checked against the API's own answer —
// and then searching the old name in the page's search box answers the unit with a
// `former_name` match.
//
// proposals: a transfer proposal is made through the API as CIVMAP_E2E_SURVEYOR; signed in
// as CIVMAP_E2E_PLANNER, the 调整 Proposals tab lists it, opening it shows the moved census
// population and elderly of the API's impact report and a row per affected unit, and the
// before and after layers hold features (before: every affected unit that exists now; after:
// the pieces of every unit that exists after) which the map renders; the side toggle hides
// one and shows the other. A merge of two townships, opened next, draws the survivor after the
// change from every community of both townships.
import { join } from 'node:path';
import { pageJson, waitForBox } from './browser-test-survey.mjs';

/** Signs in through the header's form and checks the role the header then shows. */
async function signIn(kit, page, name, password, role) {
  const who = await kit.signIn(page, name, password);
  kit.check(who.name === name && who.role === role, `the header says ${JSON.stringify(who)} after signing in as ${name}`);
  return who;
}

async function signOut(kit, page) {
  await page.click('#sign-out');
  await page.waitForFunction(() => document.getElementById('account').dataset.state === 'anonymous', null, { timeout: kit.TIMEOUT_MS });
}

/** YYYY-MM-DD of `days` days before today in China (the server's "today"). */
function daysAgoInChina(days) {
  return new Date(Date.now() + 8 * 3600 * 1000 - days * 86_400_000).toISOString().slice(0, 10);
}

function credentials(kit, who) {
  const name = process.env[`CIVMAP_E2E_${who}`];
  const password = process.env[`CIVMAP_E2E_${who}_PASSWORD`];
  kit.check(name && password, `this suite needs CIVMAP_E2E_${who} and CIVMAP_E2E_${who}_PASSWORD`);
  return { name, password };
}

/** Clicks an action button of the open application and waits for the status it leads to. */
async function runAction(kit, page, id, action, status) {
  await page.click(`#names-application [data-action="${action}"]`);
  await page.waitForFunction(
    ([i, s]) => {
      const card = document.getElementById('names-application');
      return (card.dataset.id === String(i) && card.dataset.status === s) || card.querySelector('.error[role="alert"]');
    },
    [id, status],
    { timeout: kit.TIMEOUT_MS }
  );
  const error = await page.evaluate(() => document.querySelector('#names-application .error[role="alert"]')?.textContent || null);
  kit.check(!error, `${action} of application ${id}: the page says ${error}`);
}

/**
 * Opens the page, then the view's tab, and checks an anonymous visitor is told to sign in
 * (`hint` shown) and does not see the signed-in part (`signedIn` hidden).
 */
async function openView(kit, { browser, url, problems }, suite, hint, signedIn) {
  const opened = await kit.openMap(browser, url, { width: 1280, height: 860 }, problems, kit.EXPECTED_HTTP_ERRORS[suite]);
  await opened.page.click(`#tab-${suite}`);
  kit.check(await opened.page.isVisible(hint), `an anonymous visitor is not told to sign in for the ${suite} view`);
  kit.check(!(await opened.page.isVisible(signedIn)), `an anonymous visitor sees ${signedIn}`);
  return opened;
}

export const VIEW_SUITES = {
  async names(kit, options) {
    const { artifacts, report } = options;
    const surveyor = credentials(kit, 'SURVEYOR');
    const admin = credentials(kit, 'ADMIN');
    const { context, page, debug } = await openView(kit, options, 'names', '#names-hint', '#names-workflow');

    // Check a grand name: the page shows what the API answers.
    await page.fill('#names-check-name', '宇宙大厦');
    await page.selectOption('#names-check-kind', 'building');
    await page.click('#names-check-run');
    await waitForBox(kit, page, 'names-check');
    const api = await pageJson(kit, page, '/api/v1/names/check?name=%E5%AE%87%E5%AE%99%E5%A4%A7%E5%8E%A6&kind=building');
    const shown = await page.evaluate(() => ({ ...document.getElementById('names-check').dataset, rows: [...document.querySelectorAll('#names-check li[data-rule]')].map((li) => li.dataset.rule) }));
    report.check = { rules: shown.rules, romanized: shown.romanized };
    kit.check(api.findings.some((f) => f.rule === 'grand'), `the API finds no grand word in 宇宙大厦: ${JSON.stringify(api.findings)}`);
    kit.check(shown.rows.join(',') === api.findings.map((f) => f.rule).join(','), `the page lists ${shown.rows} for the API's ${api.findings.map((f) => f.rule)}`);
    kit.check(shown.romanized === api.romanized, `the page romanizes ${shown.romanized}, the API ${api.romanized}`);

    // Duplicates of community names within each district.
    await page.selectOption('#names-dup-level', 'community');
    await page.fill('#names-dup-scope', 'district');
    await page.click('#names-dup-run');
    await waitForBox(kit, page, 'names-duplicates');
    const dups = await pageJson(kit, page, '/api/v1/names/duplicates?level=community&scope=district');
    const groups = await page.$$eval('#names-duplicates li[data-rule]', (items) => items.map((li) => `${li.dataset.rule}:${li.dataset.codes}`));
    report.duplicate_groups = groups.length;
    kit.check(dups.groups.length > 0, 'the API lists no duplicate communities within a district');
    kit.check(groups.join('|') === dups.groups.map((g) => `${g.rule}:${g.codes.join(',')}`).join('|'), `the page lists ${groups.length} groups, the API ${dups.groups.length}`);
    await page.screenshot({ path: join(artifacts, 'names-check.png') });

    // The workflow: a surveyor applies to rename a community and supports it.
    await signIn(kit, page, surveyor.name, surveyor.password, 'surveyor');
    kit.check(await page.isVisible('#names-workflow'), 'a surveyor does not see the workflow');
    await waitForBox(kit, page, 'names-applications');
    // A community not renamed before (on a server the suite has run against already, a renamed
    // one's old name would be a former name twice over).
    const renamed = new Set((await pageJson(kit, page, '/api/v1/names/applications')).applications.map((a) => a.place));
    const unit = (await pageJson(kit, page, '/api/v1/admin?level=community&parent=330102001000')).features.map((f) => f.properties).find((p) => !renamed.has(`unit/${p.code}`));
    kit.check(unit, 'every community of 330102001000 has an application already');
    const newName = `${unit.name.replace(/社区$/, '')}新社区`;
    const submitted = daysAgoInChina(40);
    await page.fill('#names-apply-place', `unit/${unit.code}`);
    await page.fill('#names-apply-name', newName);
    await page.fill('#names-apply-reason', '浏览器测试 browser test: 社区更名');
    await page.fill('#names-apply-submitted', submitted);
    await page.click('#names-apply-run');
    await page.waitForFunction(() => document.getElementById('names-application').dataset.status === 'checked' || !document.getElementById('names-apply-error').hidden, null, { timeout: kit.TIMEOUT_MS });
    kit.check(await page.isHidden('#names-apply-error'), `applying: ${await page.textContent('#names-apply-error')}`);
    const id = Number(await page.getAttribute('#names-application', 'data-id'));
    await page.waitForSelector(`#names-applications li[data-id="${id}"][data-status="checked"]`, { timeout: kit.TIMEOUT_MS });
    kit.check((await pageJson(kit, page, `/api/v1/names/applications/${id}`)).submitted === submitted, 'the application does not keep its submission day');
    kit.check(!(await page.isVisible('#names-application [data-action="approve"]')), 'a surveyor is offered the approval');
    await page.fill('#names-application .names-actions input[aria-label="意见 Comment"]', '符合命名规则 fits the rules');
    await runAction(kit, page, id, 'review', 'reviewed');

    // An admin starts the notice from the submission day and approves it.
    await signOut(kit, page);
    kit.check(!(await page.isVisible('#names-workflow')), 'signed out, the page still shows the workflow');
    await signIn(kit, page, admin.name, admin.password, 'admin');
    await waitForBox(kit, page, 'names-applications');
    await page.click(`#names-applications li[data-id="${id}"] button`);
    // Approving before the public notice is refused by the server (409), and the page says so
    // in the server's words; the application stays reviewed.
    kit.EXPECTED_HTTP_ERRORS.names[`/api/v1/names/applications/${id}/approve`] = [409];
    await page.fill('#names-application input[aria-label="批准文号 Approval ref"]', '杭民名〔2026〕E2E');
    await page.click('#names-application [data-action="approve"]');
    await page.waitForSelector('#names-application .error[role="alert"]', { timeout: kit.TIMEOUT_MS });
    const refused = await page.textContent('#names-application .error[role="alert"]');
    report.refused_before_notice = refused;
    kit.check(refused.includes('HTTP 409'), `approving before the notice: the page says ${refused}`);
    kit.check((await pageJson(kit, page, `/api/v1/names/applications/${id}`)).status === 'reviewed', 'a refused approval changed the application');
    await page.fill('#names-application input[aria-label="公示开始 Notice from"]', submitted);
    await runAction(kit, page, id, 'notice', 'notice');
    const noticed = await pageJson(kit, page, `/api/v1/names/applications/${id}`);
    kit.check(noticed.status === 'notice' && noticed.notice_from === submitted, `after the notice the API says ${noticed.status} from ${noticed.notice_from}`);
    await page.fill('#names-application input[aria-label="批准文号 Approval ref"]', '杭民名〔2026〕E2E');
    await runAction(kit, page, id, 'approve', 'approved');
    const approved = await pageJson(kit, page, `/api/v1/names/applications/${id}`);
    kit.check(approved.status === 'approved' && approved.announcement, `after approval the API says ${approved.status}`);
    const announced = await page.getAttribute('#names-application [data-announcement]', 'data-announcement');
    kit.check(announced === approved.announcement.number, `the page announces ${announced}, the API ${approved.announcement.number}`);
    await page.waitForSelector(`#names-applications li[data-id="${id}"][data-status="approved"]`, { timeout: kit.TIMEOUT_MS });
    // The list filtered by status lists what the API lists for that status.
    await page.selectOption('#names-apps-status', 'approved');
    await page.waitForFunction(() => document.getElementById('names-applications').dataset.state !== 'loading', null, { timeout: kit.TIMEOUT_MS });
    await waitForBox(kit, page, 'names-applications');
    const approvedIds = await page.$$eval('#names-applications li[data-id]', (items) => items.map((li) => `${li.dataset.id}:${li.dataset.status}`));
    const apiApproved = (await pageJson(kit, page, '/api/v1/names/applications?status=approved')).applications.map((a) => `${a.id}:${a.status}`);
    kit.check(approvedIds.includes(`${id}:approved`) && approvedIds.join() === apiApproved.join(), `the approved filter lists ${approvedIds}, the API ${apiApproved}`);
    report.application = { id, old_name: unit.name, new_name: newName, announcement: announced, notice_until: noticed.notice_until };
    await page.screenshot({ path: join(artifacts, 'names-approved.png') });

    // The old name now answers as a former name in the page's search.
    const listed = await kit.searchOptions(page, unit.name);
    const search = await pageJson(kit, page, `/api/v1/search?q=${encodeURIComponent(unit.name)}&limit=5`);
    const hit = search.features.find((f) => f.properties.code === unit.code);
    kit.check(hit, `searching ${unit.name} does not answer ${unit.code}`);
    kit.check(hit.properties.match.kind === 'former_name' && hit.properties.name === newName, `searching ${unit.name} answers ${hit.properties.name} with ${JSON.stringify(hit.properties.match)}`);
    report.former_name = { match: hit.properties.match, options: listed.slice(0, 3) };
    kit.check(listed.includes(newName), `the page's search lists ${listed.slice(0, 3)} for ${unit.name}, not ${newName}`);
    await debug.dispose();
    await context.close();
  },

  async proposals(kit, options) {
    const { artifacts, report } = options;
    const surveyor = credentials(kit, 'SURVEYOR');
    const planner = credentials(kit, 'PLANNER');
    const { context, page, debug } = await openView(kit, options, 'proposals', '#proposals-hint', '#proposals-box');

    // A transfer proposal made through the API as the surveyor (bearer token: no session).
    const login = await pageJson(kit, page, '/api/v1/auth/token', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(surveyor) });
    const communities = (await pageJson(kit, page, '/api/v1/admin?level=community&parent=330102001000')).features;
    const community = communities[communities.length - 1].properties;
    const proposal = await pageJson(kit, page, '/api/v1/proposals', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${login.token}` },
      body: JSON.stringify({ kind: 'transfer', community: community.code, to_township: '330102003000' }),
    });
    kit.check(proposal.impact.moved.census_population > 0, `the transfer of ${community.code} moves ${proposal.impact.moved.census_population} people`);

    await signIn(kit, page, planner.name, planner.password, 'planner');
    await waitForBox(kit, page, 'proposals-list');
    await page.click(`#proposals-list li[data-id="${proposal.id}"] button`);
    await waitForBox(kit, page, 'proposal-impact');
    const shown = await page.evaluate(() => ({
      ...document.getElementById('proposal-impact').dataset,
      census: [...document.querySelectorAll('#proposal-impact tr[data-moved="census"] td')].map((td) => td.textContent),
      units: [...document.querySelectorAll('#proposal-impact tr[data-code]')].map((tr) => tr.dataset.code),
    }));
    const moved = proposal.impact.moved;
    report.impact = { id: proposal.id, moved, shown: { population: shown.movedPopulation, elderly: shown.movedElderly, census: shown.census }, before_features: Number(shown.beforeFeatures), after_features: Number(shown.afterFeatures) };
    kit.check(shown.id === String(proposal.id), `the card shows proposal ${shown.id}`);
    kit.check(shown.movedPopulation === String(moved.census_population) && shown.movedElderly === String(moved.census_elderly), `the card says ${shown.movedPopulation}/${shown.movedElderly} moved, the API ${moved.census_population}/${moved.census_elderly}`);
    kit.check(shown.census[1] === moved.census_population.toLocaleString('zh-CN'), `the table's census row says ${shown.census}`);
    kit.check(shown.units.join(',') === proposal.impact.units.map((u) => u.code).join(','), `the table lists ${shown.units}, the API ${proposal.impact.units.map((u) => u.code)}`);
    const withBefore = proposal.impact.units.filter((u) => u.before).length;
    kit.check(Number(shown.beforeFeatures) === withBefore, `${shown.beforeFeatures} before features for ${withBefore} units of the report that exist now`);
    kit.check(Number(shown.afterFeatures) > 0, 'no after features');

    // Rendered: after by default; the toggle swaps to before.
    await kit.waitForMapIdle(page, debug);
    const rendered = (layer) => page.evaluate(([{ map }, l]) => map.queryRenderedFeatures({ layers: [l] }).length, [debug, layer]);
    const afterDrawn = await rendered('proposal-after-fill');
    kit.check(afterDrawn > 0, 'the after layer draws nothing');
    const afterCodes = await page.evaluate(({ map }) => [...new Set(map.queryRenderedFeatures({ layers: ['proposal-after-fill'] }).map((f) => f.properties.code))].sort(), debug);
    const transferShapes = await pageJson(kit, page, `/api/v1/proposals/${proposal.id}/shapes`, { headers: { Authorization: `Bearer ${login.token}` } });
    const expectedAfter = [...new Set(transferShapes.after.features.map((f) => f.properties.code))].sort();
    kit.check(afterCodes.join() === expectedAfter.join(), `the after layer draws units ${afterCodes}, the API's after side has ${expectedAfter}`);
    await page.screenshot({ path: join(artifacts, 'proposal-after.png') });
    await page.check('#proposal-side input[value="before"]');
    await kit.waitForMapIdle(page, debug);
    const beforeDrawn = await rendered('proposal-before-fill');
    kit.check(beforeDrawn > 0 && (await rendered('proposal-after-fill')) === 0, `before: ${beforeDrawn} drawn, after still drawn`);
    report.rendered = { after: afterDrawn, before: beforeDrawn };
    await page.screenshot({ path: join(artifacts, 'proposal-before.png') });

    // A merge of two townships: after the change the survivor is one unit whose area is the
    // two townships' together (planar shoelace areas of the API's shapes, computed here).
    const [gone, survivor] = ['330102008000', '330102009000'];
    const merge = await pageJson(kit, page, '/api/v1/proposals', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${login.token}` },
      body: JSON.stringify({ kind: 'merge', units: [gone, survivor], survivor }),
    });
    await page.check('#proposal-side input[value="after"]');
    await page.click('#proposals-reload');
    await waitForBox(kit, page, 'proposals-list');
    await page.click(`#proposals-list li[data-id="${merge.id}"] button`);
    await page.waitForFunction((id) => document.getElementById('proposal-impact').dataset.id === String(id), merge.id, { timeout: kit.TIMEOUT_MS });
    await waitForBox(kit, page, 'proposal-impact');
    await kit.waitForMapIdle(page, debug);
    const shapes = await pageJson(kit, page, `/api/v1/proposals/${merge.id}/shapes`, { headers: { Authorization: `Bearer ${login.token}` } });
    const ring = (r) => Math.abs(r.reduce((a, [x, y], i) => { const [x2, y2] = r[(i + 1) % r.length]; return a + x * y2 - x2 * y; }, 0)) / 2;
    const polygons = (g) => (g.type === 'Polygon' ? [g.coordinates] : g.coordinates);
    const area = (g) => polygons(g).reduce((a, p) => a + ring(p[0]) - p.slice(1).reduce((h, r) => h + ring(r), 0), 0);
    const areaOf = (fc, code) => fc.features.filter((f) => f.properties.code === code).reduce((a, f) => a + area(f.geometry), 0);
    const merged = areaOf(shapes.after, survivor);
    const parts = areaOf(shapes.before, gone) + areaOf(shapes.before, survivor);
    const drawnPieces = await page.evaluate(([{ map }, code]) => map.querySourceFeatures('proposal-after').filter((f) => f.properties.code === code).length, [debug, survivor]);
    const mergeAfter = shapes.after.features.map((f) => f.properties.code).sort();
    const mergeDrawn = await page.evaluate(({ map }) => [...new Set(map.queryRenderedFeatures({ layers: ['proposal-after-fill'] }).map((f) => f.properties.code))].sort(), debug);
    report.merge = { id: merge.id, survivor_area_deg2: merged, townships_area_deg2: parts, survivor_source_features: drawnPieces, after_units: mergeAfter.length };
    kit.check(parts > 0 && Math.abs(merged - parts) <= 1e-6 * parts, `the merged ${survivor} covers ${merged} deg², the two townships ${parts}`);
    kit.check(drawnPieces > 0, `the merged ${survivor} is not in the after layer`);
    kit.check(!mergeAfter.includes(gone), `the township merged away (${gone}) is still drawn after`);
    kit.check(mergeDrawn.every((c) => mergeAfter.includes(c)) && mergeDrawn.includes(survivor), `the merge's after layer draws ${mergeDrawn}, the API's after side has ${mergeAfter}`);
    await page.screenshot({ path: join(artifacts, 'proposal-merge-after.png') });
    await debug.dispose();
    await context.close();
  },
};
