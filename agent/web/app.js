'use strict';
// What every screen shares: the language catalogue, the session's CSRF token, changes sent
// with it, and the live status pushed by the server (Server-Sent Events).
const tta = (() => {
  let catalogue = {};
  let csrf = '';
  let base = '/ui';  // '/admin' on the administrator's pages
  const languages = ['zh-CN', 'en'];

  function language() {
    const saved = localStorage.getItem('tta.lang');
    return languages.includes(saved) ? saved : 'zh-CN';
  }

  async function loadLanguage(lang = language()) {
    const r = await fetch(`${base}/static/i18n/${lang}.json`);
    catalogue = await r.json();
    localStorage.setItem('tta.lang', lang);
    document.documentElement.lang = lang;
    apply();
  }

  // The sentence for a key, with {name} filled in; the key itself when the catalogue lacks it.
  function t(key, vars = {}) {
    let s = Object.prototype.hasOwnProperty.call(catalogue, key) ? catalogue[key] : key;
    for (const [k, v] of Object.entries(vars)) s = s.split(`{${k}}`).join(String(v));
    return s;
  }

  // t() for a key that may be missing: the fallback text instead of the key.
  function tOr(key, fallback, vars = {}) {
    return Object.prototype.hasOwnProperty.call(catalogue, key) ? t(key, vars) : fallback;
  }

  function apply(root = document) {
    for (const e of root.querySelectorAll('[data-i18n]')) e.textContent = t(e.dataset.i18n);
    const title = document.querySelector('[data-i18n-title]');
    if (title) document.title = t(title.dataset.i18nTitle);
  }

  function langButton(button, after) {
    button.addEventListener('click', async () => {
      await loadLanguage(language() === 'zh-CN' ? 'en' : 'zh-CN');
      if (after) after();
    });
  }

  async function session() {
    const r = await fetch(`${base}/api/session`);
    if (r.status === 401) {
      location.href = `${base}/login`;
      return null;
    }
    const j = await r.json();
    csrf = j.csrf;
    return j;
  }

  async function send(method, path, body) {
    const r = await fetch(path, {
      method,
      headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    let j = {};
    try { j = await r.json(); } catch (e) { j = {}; }
    if (r.status === 401) location.href = `${base}/login`;
    return { status: r.status, body: j };
  }

  async function get(path) {
    const r = await fetch(path);
    if (r.status === 401) location.href = `${base}/login`;
    let j = {};
    try { j = await r.json(); } catch (e) { j = {}; }
    return { status: r.status, body: j };
  }

  // The newest status pushed (the face check's challenge is read from it).
  let lastStatus = null;

  // onStatus(status) on every push; onLink(true|false) when the stream opens or breaks.
  function live(onStatus, onLink) {
    const es = new EventSource('/ui/api/events');
    es.addEventListener('status', (e) => {
      try { lastStatus = JSON.parse(e.data); onStatus(lastStatus); } catch (err) { console.error(err); }
    });
    es.onopen = () => onLink(true);
    es.onerror = async () => {
      onLink(false);
      if (es.readyState === EventSource.CLOSED) {
        // Refused (logged out, or too many screens): find out which, then try again.
        const s = await fetch('/ui/api/session');
        if (s.status === 401) { location.href = '/ui/login'; return; }
        setTimeout(() => live(onStatus, onLink), 3000);
      }
    };
    return es;
  }

  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function hms(seconds) {
    const s = Math.max(0, Math.floor(seconds));
    const p = (n) => String(n).padStart(2, '0');
    return `${p(Math.floor(s / 3600))}:${p(Math.floor((s % 3600) / 60))}:${p(s % 60)}`;
  }

  // A face-check answer in words: the outcome sentences the agent sends, from the catalogue.
  function faceWords(outcome) {
    if (!outcome) return '';
    return tOr(`face.${outcome}`, outcome);
  }

  // Why a check was not live, in the screen's language: the agent sends both.
  function livenessWords(l) {
    if (!l || l.outcome === 'live') return '';
    const zh = document.documentElement.lang !== 'en';
    return (zh ? l.words_zh : l.words) || l.words || '';
  }

  // How liveness was judged, said after a check that passed: the test and the model's score.
  function livenessNote(l) {
    if (!l || l.outcome !== 'live' || typeof l.score !== 'number') return '';
    return t('face.liveness_note', { test: tOr(`liveness.${l.decided_by}`, l.decided_by),
                                     score: l.score.toFixed(2) });
  }

  // A refusal in words: the catalogue's when it knows the sentence, else the agent's own.
  function refusalWords(body) {
    const parts = [];
    // A refusal with a reason code (a disabled person) is said in the catalogue's words.
    if (body.reason) return tOr(`reason.${body.reason}`, body.error || body.reason);
    // Not live: the agent's sentence says what to do ("no blink seen: ... blink once").
    const notLive = livenessWords(body.liveness);
    if (notLive && body.face && body.face.startsWith('liveness')) parts.push(notLive);
    else if (body.face && body.face !== 'match') parts.push(faceWords(body.face));
    if (body.error && !(body.face && body.error.startsWith('face'))) parts.push(tOr(`error.${body.error}`, body.error));
    return parts.join(' · ');
  }

  // A numeric keypad dialog for a national number (a touch screen has no keyboard).
  function keypad() {
    let dlg = document.getElementById('keypad');
    if (dlg) return dlg;
    dlg = el('div', 'overlay');
    dlg.id = 'keypad';
    dlg.hidden = true;
    const box = el('div', 'dialog');
    box.append(el('h2', 'keypad-title'), el('div', 'keypad-value'));
    const keys = el('div', 'keys');
    const key = (k, label, cls = '') => {
      const b = el('button', `key ${cls}`, label);
      b.type = 'button';
      b.dataset.key = k;
      if (!/^[0-9]$/.test(k)) b.dataset.i18n = `keypad.${k}`;
      keys.append(b);
    };
    for (const d of '123456789') key(d, d);
    key('clear', t('keypad.clear'), 'minor');
    key('0', '0');
    key('del', t('keypad.del'), 'minor');
    key('cancel', t('keypad.cancel'), 'minor');
    key('ok', t('keypad.ok'), 'go wide');
    box.append(keys);
    dlg.append(box);
    document.body.append(dlg);
    return dlg;
  }

  function askNumber(title) {
    return new Promise((resolve) => {
      const dlg = keypad();
      apply(dlg);
      const shown = dlg.querySelector('.keypad-value');
      dlg.querySelector('.keypad-title').textContent = title;
      let value = '';
      const render = () => { shown.textContent = value || '—'; };
      render();
      const finish = (v) => {
        dlg.hidden = true;
        dlg.onclick = null;
        resolve(v);
      };
      dlg.onclick = (e) => {
        const b = e.target.closest('button');
        if (!b) return;
        const k = b.dataset.key;
        if (k === 'ok') return finish(value || null);
        if (k === 'cancel') return finish(null);
        if (k === 'del') value = value.slice(0, -1);
        else if (k === 'clear') value = '';
        else if (/^[0-9]$/.test(k) && value.length < 20) value += k;
        render();
      };
      dlg.hidden = false;
    });
  }

  function useBase(b) { base = b; }

  // ---- what the terminal, kiosk and administrator's pages share ----

  function chip(id, cls, text) {
    const c = document.getElementById(id);
    c.className = `chip ${cls}`;
    c.textContent = text;
  }

  let lastOutcome = null;  // kept so a change of language says it again in the new one
  let screenUp = null;     // the event stream: null before it first opened

  // The outcome line: `words()` says it in the current language.
  function outcome(ok, words) {
    lastOutcome = { ok, words };
    const o = document.getElementById('outcome');
    o.className = `outcome ${ok ? 'ok' : 'bad'}`;
    o.textContent = words();
    o.hidden = false;
  }

  // Say again, in the current language, what is not redrawn from the status.
  function relabel() {
    if (lastOutcome) outcome(lastOutcome.ok, lastOutcome.words);
    if (!document.getElementById('screen-link')) return;
    if (screenUp === null) chip('screen-link', 'warn', t('screen.connecting'));
    else chip('screen-link', screenUp ? 'ok' : 'bad', t(screenUp ? 'screen.live' : 'screen.reconnecting'));
  }

  function screenLink(up) {
    screenUp = up;
    relabel();
  }

  // The camera's live preview while a check runs: the newest frame the face check grabbed,
  // as an image reloaded a few times a second (the agent serves at most 10 frames a second
  // and never grabs one for the preview, so the check sees the frames it would see anyway).
  function startPreview() {
    const img = document.getElementById('preview');
    const note = document.getElementById('preview-note');
    if (!img) return () => {};
    let n = 0;
    let stopped = false;
    img.hidden = true;
    if (note) note.hidden = false;
    img.onload = () => {
      if (stopped) return;
      img.hidden = false;
      if (note) note.hidden = true;
      img.dataset.frames = String(Number(img.dataset.frames || 0) + 1);
    };
    img.onerror = () => { img.hidden = true; if (note) note.hidden = false; };
    const load = () => { img.src = `/ui/api/camera.jpg?n=${n++}`; };
    load();
    const timer = setInterval(load, 250);
    return () => { stopped = true; clearInterval(timer); };
  }

  // A check-in (number from the keypad) or check-out (`known`, or the one on board) through
  // the face check, its outcome said in words. On the kiosk the coach role is the lecturer.
  async function check(role, inOut, known) {
    const lecturer = role === 'coach' && document.body.classList.contains('kiosk');
    let number = known;
    if (inOut === 'in') {
      number = await askNumber(t(lecturer ? 'ask.lecturer_number' : `ask.${role}_number`));
      if (!number) return;
    }
    const busy = document.getElementById('busy');
    // What the check asks of the person (a blink at a kiosk), in large type while it runs.
    const challenge = document.getElementById('challenge');
    const asked = lastStatus && lastStatus.sources && lastStatus.sources.camera
      ? lastStatus.sources.camera.challenge : null;
    if (challenge) {
      const code = asked && asked.code !== 'none' ? asked.code : '';
      challenge.hidden = !code;
      challenge.dataset.challenge = code;
      challenge.textContent = code ? tOr(`challenge.${code}`, asked.prompt_zh || asked.prompt || code) : '';
    }
    busy.hidden = false;
    const stopPreview = startPreview();
    const body = { role };
    if (number) body.number = number;
    const r = await send('POST', inOut === 'in' ? '/ui/api/checkin' : '/ui/api/checkout', body);
    stopPreview();
    busy.hidden = true;
    const action = lecturer ? `action.lecturer_${inOut}` : `action.${role}_${inOut}`;
    outcome(r.status === 200, () => {
      const what = t(action);
      if (r.status !== 200) return t('outcome.refused', { what, why: refusalWords(r.body) || r.status });
      const conf = typeof r.body.confidence === 'number'
        ? t('face.confidence', { c: Math.round(r.body.confidence) }) : '';
      return t('outcome.ok', { what, face: `${faceWords(r.body.face)}${conf}${livenessNote(r.body.liveness)}` });
    });
  }

  return { useBase, chip, outcome, relabel, screenLink, check, startPreview, loadLanguage, t, tOr, apply, langButton, session, send, get, live, el, hms,
           faceWords, refusalWords, livenessWords, askNumber };
})();
