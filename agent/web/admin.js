'use strict';
// The administrator's pages: people with their progress, the outbox (refused items can be
// retried), and CSV export. Every change carries the session's CSRF token (app.js).

const $ = (id) => document.getElementById(id);
const outcome = tta.outcome;

function show(tab) {
  for (const b of document.querySelectorAll('.tab')) b.classList.toggle('active', b.dataset.tab === tab);
  for (const p of document.querySelectorAll('.tab-page')) p.hidden = p.id !== `tab-${tab}`;
  if (tab === 'people') loadPeople();
  if (tab === 'outbox') loadOutbox();
  if (tab === 'sessions') loadSessions();
}

async function loadPeople() {
  const r = await tta.get('/admin/api/people');
  const body = $('people').querySelector('tbody');
  body.replaceChildren();
  for (const p of (r.body && r.body.people) || []) {
    const tr = document.createElement('tr');
    tr.dataset.number = p.number;
    const img = tta.el('img', 'thumb');
    img.alt = '';
    if (p.photo) img.src = `/admin/api/photo?number=${encodeURIComponent(p.number)}`;
    const cell = tta.el('td');
    cell.append(img);
    const view = tta.el('button', '', tta.t('admin.view_progress'));
    view.type = 'button';
    view.hidden = p.role !== 'student';
    view.addEventListener('click', () => loadProgress(p));
    const assess = tta.el('button', '', tta.t('admin.assess'));
    assess.type = 'button';
    assess.hidden = p.role !== 'student';
    assess.className = 'assess';
    assess.addEventListener('click', () => openAssessment(p));
    const toggle = tta.el('button', p.disabled ? 'enable' : 'disable',
                          tta.t(p.disabled ? 'admin.enable' : 'admin.disable'));
    toggle.type = 'button';
    toggle.addEventListener('click', () => setDisabled(p.number, !p.disabled));
    const act = tta.el('td');
    act.append(view, assess, toggle);
    const state = p.disabled
      ? tta.el('td', 'bad state', tta.t('admin.disabled_state', { by: p.disabled_by || '—', at: p.disabled_at || '—' }))
      : tta.el('td', 'state', tta.t('admin.active'));
    tr.classList.toggle('disabled', !!p.disabled);
    tr.append(cell, tta.el('td', '', tta.t(`role.${p.role}`)), tta.el('td', 'num', p.number),
              tta.el('td', '', p.name), tta.el('td', 'num', p.id_card), tta.el('td', '', p.licence), state, act);
    body.append(tr);
  }
}

// Disable (no check-in from now on; checking out stays possible) or re-enable a person.
async function setDisabled(number, disabled) {
  const res = await tta.send('POST', '/admin/api/people/disable', { number, disabled });
  outcome(res.status === 200, () => (res.status === 200
    ? tta.t(disabled ? 'admin.person_disabled' : 'admin.person_enabled', { number })
    : tta.t('admin.failed', { why: res.body.error || res.status })));
  loadPeople();
}

async function loadProgress(p) {
  const box = $('progress');
  const r = await tta.get(`/admin/api/progress?student=${encodeURIComponent(p.number)}`);
  box.replaceChildren(tta.el('h3', '', tta.t('admin.progress_of', { name: p.name, number: p.number })));
  if (r.status !== 200) {
    box.append(tta.el('p', 'refusal', r.body.error || String(r.status)));
    box.hidden = false;
    return;
  }
  const progs = r.body.programmes || [];
  if (!progs.length) box.append(tta.el('p', '', tta.t('admin.no_syllabus')));
  for (const prog of progs) {
    box.append(tta.el('h4', '', `${prog.title || prog.programme} · ${prog.percent}%`));
    for (const part of prog.parts || []) {
      const row = tta.el('div', 'bar-row');
      row.dataset.part = part.part;
      const label = tta.el('span', 'bar-label', tta.t('admin.part', { part: part.part }));
      const bar = tta.el('div', 'bar');
      const fill = tta.el('div', `bar-fill${part.complete ? ' done' : ''}`);
      fill.style.width = `${Math.max(0, Math.min(100, part.percent))}%`;
      bar.append(fill);
      const c = part.counted || {};
      const q = part.required || {};
      // Only what the syllabus asks of this part; a distance the terminal does not have is '—'.
      const said = [];
      if (q.practical_min) said.push(tta.t('admin.fig.practical', { n: c.practical_min ?? 0, of: q.practical_min }));
      if (q.classroom_min) said.push(tta.t('admin.fig.classroom', { n: c.classroom_min ?? 0, of: q.classroom_min }));
      if (q.mileage_km) said.push(tta.t('admin.fig.km', { n: c.mileage_km ?? '—', of: q.mileage_km }));
      const figures = tta.el('span', 'bar-figures', `${said.join(' · ')} · ${part.percent}%`);
      row.append(label, bar, figures);
      box.append(row);
    }
  }
  box.hidden = false;
}

// A picture from the terminal's camera, shown here; "登记" then enrols from it (the same
// quality gates as an uploaded photo). A file chosen afterwards takes its place.
let captured = null;
async function capturePhoto() {
  const res = await tta.send('POST', '/admin/api/capture');
  const shot = $('enrol-shot');
  if (res.status !== 200 || !res.body.photo_base64) {
    captured = null;
    shot.hidden = true;
    outcome(false, () => tta.t('admin.failed', { why: res.body.error || res.status }));
    return;
  }
  captured = res.body.photo_base64;
  $('enrol-photo').value = '';
  shot.src = `data:image/jpeg;base64,${captured}`;
  shot.hidden = false;
  outcome(true, () => tta.t('admin.captured'));
}

async function submitEnrolment(ev) {
  ev.preventDefault();
  const file = $('enrol-photo').files[0];
  if (!file && !captured) {
    outcome(false, () => tta.t('admin.no_photo'));
    return;
  }
  const data = file ? await new Promise((resolve, reject) => {
    const r = new FileReader();
    r.onload = () => resolve(String(r.result).split(',')[1] || '');
    r.onerror = () => reject(r.error);
    r.readAsDataURL(file);
  }) : captured;
  const number = $('enrol-number').value.trim();
  const res = await tta.send('POST', '/admin/api/enrol', {
    role: $('enrol-role').value, number, name: $('enrol-name').value.trim(),
    id_card: $('enrol-id').value.trim().toUpperCase(), licence: $('enrol-licence').value.trim().toUpperCase(),
    photo_base64: data,
  });
  outcome(res.status === 200, () => (res.status === 200
    ? tta.t('admin.enrolled', { number }) : tta.t('admin.failed', { why: res.body.error || res.status })));
  if (res.status === 200) {
    $('enrol').reset();
    captured = null;
    $('enrol-shot').hidden = true;
    loadPeople();
  }
}

// A minute's flags in words: the screens' warning words where there are some.
function flagWords(flags) {
  if (!flags) return '—';
  const list = typeof flags === 'string' ? flags.split(',').filter(Boolean).map((f) => [f, null])
    : Array.isArray(flags) ? flags.map((f) => [f, null]) : Object.entries(flags);
  if (!list.length) return '—';
  return list.map(([f, n]) => `${tta.tOr(`flag.${f}`, f)}${n ? ` ×${n}` : ''}`).join('、');
}

async function loadSessions() {
  const q = new URLSearchParams({ from: $('sessions-from').value, to: $('sessions-to').value });
  const r = await tta.get(`/admin/api/sessions?${q}`);
  const body = $('sessions').querySelector('tbody');
  body.replaceChildren();
  if (r.status !== 200) {
    outcome(false, () => tta.t('admin.failed', { why: r.body.error || r.status }));
    return;
  }
  for (const x of r.body.sessions || []) {
    const tr = document.createElement('tr');
    tr.dataset.classId = x.class_id;
    const km = x.mileage_km === null || x.mileage_km === undefined ? '—' : `${x.mileage_km.toFixed(1)} km`;
    tr.append(tta.el('td', 'num', String(x.class_id)), tta.el('td', 'num', x.student_no), tta.el('td', 'num', x.coach_no || '—'),
              tta.el('td', '', x.started), tta.el('td', '', x.ended || tta.t('admin.open')),
              tta.el('td', 'num', `${x.counted_minutes} / ${x.minutes}`), tta.el('td', 'num', km),
              tta.el('td', '', flagWords(x.flags)));
    const each = tta.el('button', 'minutes', tta.t('admin.per_minute'));
    each.type = 'button';
    each.addEventListener('click', () => loadMinutes(x));
    const act = tta.el('td');
    act.append(each);
    tr.append(act);
    body.append(tr);
  }
}

// Each minute of a session with what the terminal knows of its upload. The platform sends no
// per-minute verdict (only its receipt), so none is shown: never a verdict not received.
function uploadWords(m) {
  if (m.upload === 'refused') return tta.t('upload.refused', { why: m.reason || '—' });
  if (m.upload === 'queued' && m.attempts > 0) return tta.t('upload.retrying', { n: m.attempts, why: m.reason || '—' });
  return tta.t(`upload.${m.upload || 'unknown'}`);
}

async function loadMinutes(x) {
  const box = $('minutes-box');
  const r = await tta.get(`/admin/api/minutes?session=${encodeURIComponent(x.session_id)}`);
  const body = $('minute-list').querySelector('tbody');
  body.replaceChildren();
  $('minutes-title').textContent = tta.t('admin.minutes_of', { class_id: x.class_id, student: x.student_no });
  box.hidden = false;
  if (r.status !== 200) {
    outcome(false, () => tta.t('admin.failed', { why: r.body.error || r.status }));
    return;
  }
  for (const m of r.body.minutes || []) {
    const tr = document.createElement('tr');
    tr.dataset.record = m.record_no;
    tr.dataset.upload = m.upload || 'unknown';
    const cls = m.upload === 'refused' ? 'bad' : m.upload === 'acked' ? 'ok' : '';
    tr.append(tta.el('td', 'num', m.time), tta.el('td', '', tta.t(m.counted ? 'admin.yes' : 'admin.no')),
              tta.el('td', '', flagWords(m.flags)), tta.el('td', cls, uploadWords(m)));
    body.append(tr);
  }
}

let assessing = null;

function openAssessment(p) {
  assessing = p;
  $('assess-title').textContent = tta.t('admin.assess_of', { name: p.name, number: p.number });
  $('assess-cert').hidden = true;
  $('assess').hidden = false;
}

async function submitAssessment(ev) {
  ev.preventDefault();
  if (!assessing) return;
  const p = assessing;
  const res = await tta.send('POST', '/admin/api/complete', {
    student: p.number, result: $('assess-result').value, assessor: $('assess-assessor').value,
    date: $('assess-date').value || null,
  });
  const cert = res.status === 200 ? res.body.certificate : null;
  outcome(res.status === 200, () => {
    if (res.status !== 200) return tta.t('admin.failed', { why: res.body.error || res.status });
    return cert ? tta.t('admin.cert_issued', { number: cert.number }) : tta.t('admin.assessed');
  });
  const link = $('assess-cert');
  link.hidden = !cert;
  if (cert) link.href = `/admin/certificate?student=${encodeURIComponent(p.number)}&number=${encodeURIComponent(cert.number)}`;
}

async function loadOutbox() {
  const r = await tta.get('/admin/api/outbox');
  const o = r.body || {};
  const c = o.counts || {};
  $('outbox-counts').textContent = tta.t('admin.counts', { q: c.queued ?? 0, f: c.in_flight ?? 0, a: c.acked ?? 0, r: c.refused ?? 0 });
  const refused = $('refused').querySelector('tbody');
  refused.replaceChildren();
  for (const e of o.refused || []) {
    const tr = document.createElement('tr');
    tr.dataset.id = e.id;
    const b = tta.el('button', 'go', tta.t('admin.retry'));
    b.type = 'button';
    b.addEventListener('click', async () => {
      const res = await tta.send('POST', '/admin/api/outbox/retry', { id: e.id });
      outcome(res.status === 200, () => (res.status === 200
        ? tta.t('admin.retried', { id: e.id }) : tta.t('admin.failed', { why: res.body.error || res.status })));
      loadOutbox();
    });
    const act = tta.el('td');
    act.append(b);
    tr.append(tta.el('td', 'num', String(e.id)), tta.el('td', '', e.kind), tta.el('td', 'num', e.key),
              tta.el('td', 'bad', e.last_error), tta.el('td', 'num', String(e.attempts)), act);
    refused.append(tr);
  }
  const pending = $('pending').querySelector('tbody');
  pending.replaceChildren();
  for (const e of o.pending || []) {
    const tr = document.createElement('tr');
    tr.append(tta.el('td', 'num', String(e.id)), tta.el('td', '', e.kind), tta.el('td', 'num', e.key),
              tta.el('td', '', e.created || '—'), tta.el('td', 'num', String(e.attempts)));
    pending.append(tr);
  }
}

document.addEventListener('DOMContentLoaded', async () => {
  tta.useBase('/admin');
  await tta.loadLanguage();
  const s = await tta.session();
  if (!s) return;
  $('who').textContent = tta.t('admin.who', { user: s.user });
  tta.langButton($('lang'), () => {
    $('who').textContent = tta.t('admin.who', { user: s.user });
    tta.relabel();
    show(document.querySelector('.tab.active')?.dataset.tab || 'people');
  });
  for (const b of document.querySelectorAll('.tab')) b.addEventListener('click', () => show(b.dataset.tab));
  $('logout').addEventListener('click', async () => {
    await tta.send('POST', '/admin/logout');
    location.href = '/admin/login';
  });
  const today = new Date().toISOString().slice(0, 10);
  for (const id of ['export-from', 'export-to', 'sessions-from', 'sessions-to']) $(id).value = today;
  $('sessions-form').addEventListener('submit', (ev) => { ev.preventDefault(); loadSessions(); });
  $('export-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const q = new URLSearchParams({ what: $('export-what').value, from: $('export-from').value, to: $('export-to').value });
    location.href = `/admin/api/export.csv?${q}`;  // a download: the page stays
  });
  $('assess').addEventListener('submit', submitAssessment);
  $('enrol').addEventListener('submit', submitEnrolment);
  $('enrol-capture').addEventListener('click', capturePhoto);
  $('enrol-photo').addEventListener('change', () => { captured = null; $('enrol-shot').hidden = true; });
  show('people');
});
