// The enrolment page: machines waiting to be admitted (accept, reject), enrolment tokens (made and shown once, revoked;
// admins only) and the machines cut off (revoked, rejected), from the REST API, refreshed on the live-update stream.
'use strict';
(() => {
  const { api, el, time, pairs, showProblem, live } = Fleet;
  const $ = id => document.getElementById(id);
  const canOperate = $('pending').dataset.canOperate === 'true';
  const machinePath = id => id.split('/').map(encodeURIComponent).join('/');

  const act = (label, path, confirmText, cls) => el('button', {
    type: 'button', class: cls,
    onclick: async e => {
      if (confirmText && !window.confirm(confirmText)) return;
      e.target.disabled = true;
      const response = await api('POST', path);
      if (!response.ok) {
        e.target.replaceWith(el('span', { class: 'field-error' }, (response.body && response.body.detail) || `refused (HTTP ${response.status})`));
      }
      run();
    }
  }, label);

  const machineRow = (m, actions) => el('tr', { id: `machine-${m.id}`, 'data-enrolment': m.enrolment },
      el('td', {}, el('a', { href: `/ui/machines/${machinePath(m.id)}` }, m.id)), el('td', {}, m.hostname || ''),
      ...(actions.wsl ? [el('td', {}, m.wslVersion || '')] : [el('td', { class: `state-${m.enrolment}` }, m.enrolment)]),
      el('td', {}, el('code', {}, m.keyId || m.offeredKeyId || 'no key')), el('td', {}, time(m.lastSeenAt)),
      el('td', { class: 'actions' }, canOperate ? actions.buttons : ''));

  const empty = (columns, text) => [el('tr', {}, el('td', { colspan: columns }, text))];

  async function machines(enrolment) {
    const response = await api('GET', `/api/v1/machines?enrolment=${enrolment}&size=200`);
    return response.ok ? response.body : { items: [], total: 0 };
  }

  async function pending() {
    const page = await machines('PENDING');
    const rows = page.items.map(m => machineRow(m, {
      wsl: true,
      buttons: [act('Accept', `/api/v1/machines/${machinePath(m.id)}/accept`, null, 'accept'), ' ',
        act('Reject', `/api/v1/machines/${machinePath(m.id)}/reject`, `Reject ${m.id}?`, 'danger reject')]
    }));
    if (page.total > page.items.length) {
      rows.push(el('tr', {}, el('td', { colspan: 6 }, `and ${page.total - page.items.length} more`)));
    }
    $('pending').tBodies[0].replaceChildren(...(rows.length ? rows : empty(6, 'No machine is waiting.')));
  }

  async function cutOff() {
    const [revoked, rejected] = await Promise.all([machines('REVOKED'), machines('REJECTED')]);
    const rows = rejected.items.map(m => machineRow(m, {
      buttons: [act('Accept', `/api/v1/machines/${machinePath(m.id)}/accept`, null, 'accept')]
    })).concat(revoked.items.map(m => machineRow(m, {
      buttons: [act('Decommission', `/api/v1/machines/${machinePath(m.id)}/decommission`,
          `Decommission ${m.id}? It is kept for the audit; a later registration starts over as pending.`, 'decommission')]
    })));
    $('cut-off').tBodies[0].replaceChildren(...(rows.length ? rows : empty(6, 'None.')));
  }

  async function tokens() {
    const response = await api('GET', '/api/v1/enrolment-tokens');
    if (!response.ok) return;
    const rows = response.body.map(t => el('tr', { id: `token-${t.id}` },
        el('td', {}, el('code', {}, t.id)), el('td', { class: `state state-${t.state}` }, t.state),
        el('td', { class: 'num' }, `${t.uses} / ${t.maxUses}`),
        el('td', {}, t.ring ? `ring ${t.ring}` : '', ' ', Object.entries(t.labels || {}).map(([k, v]) => el('span', { class: 'chip' }, `${k}=${v}`))),
        el('td', {}, time(t.expiresAt)), el('td', {}, t.createdBy, ' ', time(t.createdAt)),
        el('td', {}, t.state === 'ACTIVE'
            ? act('Revoke', `/api/v1/enrolment-tokens/${encodeURIComponent(t.id)}/revoke`, `Revoke ${t.id}? Machines it has admitted stay admitted.`, 'danger revoke')
            : time(t.revokedAt))));
    $('tokens').tBodies[0].replaceChildren(...(rows.length ? rows : empty(7, 'No tokens.')));
  }

  const run = live(() => Promise.all([pending(), cutOff(), $('tokens') ? tokens() : null]));

  const form = $('token-form');
  if (form) {
    const general = $('form-error');
    form.addEventListener('submit', async e => {
      e.preventDefault();
      const labels = pairs($('t-labels').value);
      const days = Fleet.number($('t-days'));
      const body = {
        expiresIn: days === undefined ? undefined : `P${days}D`,
        maxUses: Fleet.number($('t-uses')),
        ring: $('t-ring').value.trim() || undefined,
        labels: labels.map
      };
      const response = await api('POST', '/api/v1/enrolment-tokens', body);
      if (response.status === 201) {
        Fleet.clearErrors(form);
        $('token-text').textContent = response.body.token;
        $('token-made').hidden = false;
        run();
        return;
      }
      showProblem(form, response, general);
    });
  }
})();
