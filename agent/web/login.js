'use strict';
// The login page: says why the last try failed (the server redirected here with ?failed=).
document.addEventListener('DOMContentLoaded', async () => {
  await tta.loadLanguage();
  const failed = new URLSearchParams(location.search).get('failed');
  if (failed) {
    const p = document.getElementById('login-error');
    p.textContent = tta.t(failed === 'throttled' ? 'login.throttled' : 'login.wrong');
    p.hidden = false;
  }
  tta.langButton(document.getElementById('lang'));
});
