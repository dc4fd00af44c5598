'use strict';
// The classroom kiosk: the lecturer, the roster with each student's minutes and next identity
// re-check, self check-in and check-out by face, and the daily cap.

let status = null;
let agentNow = null;
let receivedAt = 0;
const $ = (id) => document.getElementById(id);

function now() {
  return agentNow === null ? Date.now() : agentNow + (Date.now() - receivedAt);
}

function clock(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  return d.toLocaleTimeString(document.documentElement.lang, { hour: '2-digit', minute: '2-digit', timeZone: 'Asia/Shanghai' });
}

// One row per student, made once (the photo is fetched once), updated on every push.
const rowCells = new WeakMap();
function rowFor(body, number) {
  const found = [...body.children].find((tr) => tr.dataset.student === number);
  if (found) return rowCells.get(found);
  const tr = document.createElement('tr');
  tr.dataset.student = number;
  const img = tta.el('img', 'thumb');
  img.alt = '';
  img.src = `/ui/api/photo?number=${encodeURIComponent(number)}`;
  const photo = tta.el('td');
  photo.append(img);
  const out = tta.el('button', 'stop');
  out.type = 'button';
  out.addEventListener('click', () => tta.check('student', 'out', number));
  const outCell = tta.el('td');
  outCell.append(out);
  const cells = { course: tta.el('td'), since: tta.el('td'), minutes: tta.el('td', 'num'),
                  recheck: tta.el('td'), out };
  tr.append(photo, tta.el('td', 'num', number), cells.course, cells.since, cells.minutes,
            cells.recheck, outCell);
  rowCells.set(tr, cells);
  body.append(tr);
  return cells;
}

function render() {
  if (!status) return;
  const s = status;
  tta.chip('lecturer', s.coach_no ? 'ok' : 'warn',
       s.coach_no ? tta.t('kiosk.lecturer', { no: s.coach_no }) : tta.t('kiosk.no_lecturer'));
  const tcp = (s.uplink && s.uplink.tcp) || {};
  tta.chip('link', tcp.online ? 'ok' : 'bad',
       `${tta.t('chip.platform')}: ${tta.t(tcp.online ? 'link.online' : 'link.connecting')}`);
  const ob = s.outbox || {};
  tta.chip('outbox', ob.refused ? 'bad' : ob.queued ? 'warn' : 'ok',
       tta.t(ob.refused ? 'chip.outbox_refused' : 'chip.outbox', { n: ob.queued || 0, r: ob.refused || 0 }));
  const ban = $('ban');
  ban.hidden = !s.banned;
  ban.textContent = s.banned ? tta.t('ban.text', { message: s.ban_message || '' }) : '';

  const students = s.students || [];
  $('count').textContent = tta.t('kiosk.count', { n: students.length });
  $('cap').textContent = tta.t('kiosk.cap', { h: ((s.daily_cap_min || 0) / 60).toFixed(1) });
  $('empty').hidden = students.length > 0;
  const body = $('roster').querySelector('tbody');
  const due = [];
  const present = new Set(students.map((st) => st.student_no));
  for (const tr of [...body.children]) {
    if (!present.has(tr.dataset.student)) tr.remove();
  }
  for (const st of students) {
    const row = rowFor(body, st.student_no);
    const left = st.next_recheck ? (Date.parse(st.next_recheck) - now()) / 1000 : null;
    let recheck = '—';
    if (st.recheck_failed) recheck = tta.t('kiosk.recheck_failed');
    else if (left !== null) recheck = left <= 0 ? tta.t('kiosk.recheck_now') : tta.t('kiosk.recheck_in', { m: Math.ceil(left / 60) });
    if (left !== null && left <= 60) due.push(st.student_no);
    row.course.textContent = st.course;
    row.since.textContent = clock(st.since);
    row.minutes.textContent = `${st.minutes_counted} / ${st.minutes}`;
    row.recheck.textContent = recheck;
    row.recheck.className = st.recheck_failed ? 'bad' : '';
    row.out.textContent = tta.t('action.student_out');
  }
  const prompt = $('recheck');
  prompt.hidden = due.length === 0;
  prompt.textContent = due.length ? tta.t('kiosk.recheck_prompt', { who: due.join('、') }) : '';
  $('lecturer-in').hidden = !!s.coach_no;
  $('lecturer-out').hidden = !s.coach_no;
}

document.addEventListener('DOMContentLoaded', async () => {
  await tta.loadLanguage();
  if (!(await tta.session())) return;
  tta.langButton($('lang'), () => { tta.relabel(); render(); });
  $('student-in').addEventListener('click', () => tta.check('student', 'in'));
  $('lecturer-in').addEventListener('click', () => tta.check('coach', 'in'));
  $('lecturer-out').addEventListener('click', () => tta.check('coach', 'out'));
  tta.relabel();
  tta.live((s) => {
    status = s;
    agentNow = s.now ? Date.parse(s.now) : null;
    receivedAt = Date.now();
    render();
  }, tta.screenLink);
});
