'use strict';
// The administrator's login page: says why the last try failed (?failed=).
document.addEventListener('DOMContentLoaded', async () => {
  tta.useBase('/admin');
  await tta.loadLanguage();
  const failed = new URLSearchParams(location.search).get('failed');
  if (failed) {
    const p = document.getElementById('login-error');
    p.textContent = tta.t(failed === 'throttled' ? 'login.throttled' : 'admin.wrong');
    p.hidden = false;
  }
  tta.langButton(document.getElementById('lang'));
});
