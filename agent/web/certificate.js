'use strict';
// The printable completion certificate (结业证书): what the store holds for it, nothing else.

const $ = (id) => document.getElementById(id);
let cert = null;

function minutes(n) {
  if (n === null || n === undefined) return '—';
  return tta.t('cert.hours', { h: (n / 60).toFixed(1), m: n });
}

function km(v) {
  return v === null || v === undefined ? '—' : `${v.toFixed(1)} km`;
}

function render() {
  if (!cert) return;
  $('c-number').textContent = cert.number;
  $('c-text').textContent = tta.t('cert.text', { name: cert.name, title: cert.title, date: cert.granted_on });
  $('c-name').textContent = cert.name;
  $('c-id').textContent = cert.id_card;
  $('c-student').textContent = cert.student_no;
  $('c-programme').textContent = cert.title;
  $('c-practical').textContent = minutes(cert.practical_min);
  $('c-classroom').textContent = minutes(cert.classroom_min);
  $('c-mileage').textContent = km(cert.mileage_km);
  $('c-date').textContent = cert.granted_on;
  $('c-inst').textContent = cert.institution_code;
  const body = $('c-parts').querySelector('tbody');
  body.replaceChildren();
  for (const p of cert.parts || []) {
    const tr = document.createElement('tr');
    tr.append(tta.el('td', '', tta.t('admin.part', { part: p.part })), tta.el('td', '', minutes(p.practical_min)),
              tta.el('td', '', minutes(p.classroom_min)), tta.el('td', '', km(p.mileage_km)));
    body.append(tr);
  }
  $('certificate').hidden = false;
}

document.addEventListener('DOMContentLoaded', async () => {
  tta.useBase('/admin');
  await tta.loadLanguage();
  if (!(await tta.session())) return;
  tta.langButton($('lang'), render);
  $('print').addEventListener('click', () => window.print());
  const q = new URLSearchParams(location.search);
  const r = await tta.get(`/admin/api/certificate?student=${encodeURIComponent(q.get('student') || '')}&number=${encodeURIComponent(q.get('number') || '')}`);
  if (r.status !== 200) {
    $('c-error').textContent = r.body.error || String(r.status);
    $('c-error').hidden = false;
    return;
  }
  cert = r.body;
  render();
  document.body.dataset.ready = '1';
});
