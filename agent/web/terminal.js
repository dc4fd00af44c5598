'use strict';
// The terminal's touch screen (vehicle mode): who is on board, the class timer, the minutes,
// the rules about to void the open minute, link states, platform messages and the check-in
// and check-out buttons. Everything shown comes from the status the agent pushes.

let status = null;
let studentSince = null;
let agentNow = null;     // the agent's time (GNSS time when it has fixes) at the last push
let receivedAt = 0;      // this browser's clock then
let progressFor = '';
let shownMessage = null;

const $ = (id) => document.getElementById(id);

function person(id, number, onBoard) {
  const card = $(id);
  card.classList.toggle('on', onBoard);
  card.querySelector('.number').textContent = number || '—';
  card.querySelector('.state').textContent = tta.t(onBoard ? 'person.on_board' : 'person.not_in');
  const img = card.querySelector('.photo');
  const src = number ? `/ui/api/photo?number=${encodeURIComponent(number)}` : '';
  if (img.dataset.src !== src) {
    img.dataset.src = src;
    img.hidden = !src;
    if (src) img.src = src; else img.removeAttribute('src');
  }
}

function gnssWords(g) {
  const state = (g && g.state) || 'unknown';
  const cls = state === 'fix' ? 'ok' : state === 'no fix yet' || state === 'finished' ? 'warn' : 'bad';
  const text = tta.tOr(`gnss.${state}`, state);
  return [cls, g && g.simulated ? `${text} ${tta.t('gnss.simulated')}` : text];
}

function render() {
  if (!status) return;
  const s = status;
  const [gcls, gtext] = gnssWords(s.sources && s.sources.gnss);
  tta.chip('gnss', gcls, `${tta.t('chip.gnss')}: ${gtext}`);
  const tcp = (s.uplink && s.uplink.tcp) || {};
  tta.chip('link', tcp.online ? 'ok' : 'bad',
       `${tta.t('chip.platform')}: ${tta.t(tcp.online ? 'link.online' : 'link.connecting')}`);
  const ob = s.outbox || {};
  tta.chip('outbox', ob.refused ? 'bad' : ob.queued ? 'warn' : 'ok',
       tta.t(ob.refused ? 'chip.outbox_refused' : 'chip.outbox', { n: ob.queued || 0, r: ob.refused || 0 }));

  const ban = $('ban');
  ban.hidden = !s.banned;
  ban.textContent = s.banned ? tta.t('ban.text', { message: s.ban_message || '' }) : '';

  const student = (s.students && s.students[0]) || null;
  person('coach', s.coach_no, !!s.coach_no);
  person('student', student ? student.student_no : '', !!student);
  studentSince = student && student.since ? Date.parse(student.since) : null;
  agentNow = s.now ? Date.parse(s.now) : null;
  receivedAt = Date.now();
  tick();
  $('minutes').textContent = student ? `${student.minutes_counted} / ${student.minutes}` : '0 / 0';
  $('mileage').textContent = `${(student ? student.mileage_km : 0).toFixed(1)} km`;

  const box = $('warnings');
  box.replaceChildren();
  for (const w of s.live_warnings || []) {
    const left = w.seconds_left === null || w.seconds_left === undefined ? null : w.seconds_left;
    const key = left === null ? `warn.${w.code}` : `warn.${w.code}.left`;
    const text = tta.tOr(key, tta.tOr(`warn.${w.code}`, w.code), { s: left });
    const item = tta.el('div', 'warning', text);
    item.dataset.code = w.code;
    box.append(item);
  }

  $('coach-in').hidden = !!s.coach_no;
  $('student-in').hidden = !s.coach_no || !!student;
  $('student-out').hidden = !student;
  $('coach-out').hidden = !s.coach_no || !!student;

  const key = student ? `${student.student_no}:${student.minutes_counted}` : '';
  if (key !== progressFor) {
    progressFor = key;
    loadProgress(student);
  }
  if ((s.messages_unread || 0) > 0 && !shownMessage) loadMessage();
}

// The class timer on the agent's clock (GNSS time), carried between pushes by this one.
function tick() {
  const now = agentNow === null ? Date.now() : agentNow + (Date.now() - receivedAt);
  $('timer').textContent = studentSince ? tta.hms((now - studentSince) / 1000) : '--:--:--';
}

async function loadProgress(student) {
  if (!student) { $('part').textContent = '—'; return; }
  const r = await tta.get(`/ui/api/progress?student=${encodeURIComponent(student.student_no)}`);
  const progs = (r.body && r.body.programmes) || [];
  for (const p of progs) {
    const part = (p.parts || []).find((x) => !x.complete);
    if (part) {
      $('part').textContent = tta.t('part.progress', {
        part: part.part, done: part.counted.practical_min, need: part.required.practical_min,
      });
      return;
    }
  }
  $('part').textContent = '—';
}

async function loadMessage() {
  shownMessage = 'loading';
  const r = await tta.get('/ui/api/messages?unread=1');
  const m = r.body && r.body.messages && r.body.messages[0];
  const box = $('message');
  if (!m) { shownMessage = null; box.hidden = true; return; }
  shownMessage = m;
  box.replaceChildren(tta.el('div', 'message-text', m.text));
  const ok = tta.el('button', 'big', tta.t('message.read'));
  ok.type = 'button';
  ok.addEventListener('click', async () => {
    await tta.send('POST', '/ui/api/messages/ack', { ids: [m.id] });
    shownMessage = null;
    box.hidden = true;
  });
  box.append(ok);
  box.hidden = false;
  if (m.read_aloud && 'speechSynthesis' in window) {
    const u = new SpeechSynthesisUtterance(m.text);
    u.lang = 'zh-CN';
    window.speechSynthesis.speak(u);
  }
}

document.addEventListener('DOMContentLoaded', async () => {
  await tta.loadLanguage();
  if (!(await tta.session())) return;
  tta.langButton($('lang'), () => { tta.relabel(); render(); });
  $('coach-in').addEventListener('click', () => tta.check('coach', 'in'));
  $('student-in').addEventListener('click', () => tta.check('student', 'in'));
  $('student-out').addEventListener('click', () => tta.check('student', 'out'));
  $('coach-out').addEventListener('click', () => tta.check('coach', 'out'));
  tta.relabel();
  tta.live((s) => { status = s; render(); }, tta.screenLink);
  setInterval(tick, 1000);  // the class timer's display only; no request
});
