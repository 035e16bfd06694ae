// The builds page: request a build (POST /api/v1/builds) and follow every build, however it was requested, to its
// release; the list refreshes itself on the page's live-update stream.
'use strict';
(() => {
  const { api, el, time, pairs, showProblem, showErrors, live } = Fleet;
  const $ = id => document.getElementById(id);
  const form = $('build-form');
  let pages = 1;
  let justRequested = null;

  function kind() {
    const checked = form.querySelector('input[name=kind]:checked');
    return checked ? checked.value : 'UPSTREAM_VERSION';
  }

  function showKind() {
    form.querySelectorAll('[data-kind]').forEach(part => part.hidden = !part.dataset.kind.split(' ').includes(kind()));
  }

  function fileRow() {
    const row = el('tr', {},
        el('td', {}, el('input', { class: 'f-path', autocomplete: 'off', placeholder: '/etc/profile.d/proxy.sh' })),
        el('td', {}, el('textarea', { class: 'f-content', rows: 2 })),
        el('td', {}, el('button', { type: 'button', onclick: () => row.remove() }, 'Remove')));
    return row;
  }

  function request() {
    const clientErrors = [];
    const body = { version: $('b-version').value.trim() };
    const k = kind();
    if (k === 'UPSTREAM_VERSION') {
      body.upstreamVersion = $('b-upstream').value.trim();
    } else if (k === 'UPSTREAM_URL') {
      body.source = { kind: 'UPSTREAM', location: $('b-url').value.trim(), sha256Location: $('b-sha-url').value.trim() || undefined };
    } else {
      body.source = { kind: 'FLAKE', location: $('b-flake').value.trim(), flakeHost: $('b-flake-host').value.trim() };
    }
    if (k !== 'FLAKE') {
      const wslConf = pairs($('b-wslconf').value, /\n/);
      wslConf.bad.forEach(line => clientErrors.push({ field: 'customization.wslConf', message: `read section.key = value: ${line}` }));
      const files = {};
      for (const row of $('b-files').tBodies[0].rows) {
        const path = row.querySelector('.f-path').value.trim();
        if (path) files[path] = row.querySelector('.f-content').value;
      }
      const defaultName = $('b-default-name').value.trim() || undefined;
      if (defaultName || Object.keys(wslConf.map).length || Object.keys(files).length) {
        body.customization = { defaultName, wslConf: wslConf.map, files };
      }
    }
    return { body, clientErrors };
  }

  function progress(b) {
    if (b.state === 'PUBLISHED' || b.state === 'FAILED') return '';
    const bar = el('div', { class: 'ok' });
    bar.style.width = (b.bytesTotal > 0 ? Math.floor(b.bytesDone * 100 / b.bytesTotal) : 0) + '%';
    return [b.step || 'waiting for a build worker', el('div', { class: 'bar' }, bar)];
  }

  function result(b) {
    if (b.state === 'PUBLISHED') {
      return [el('span', { class: 'release' }, b.releaseId), ' ',
        el('a', { href: `/ui/rollouts/new?release=${encodeURIComponent(b.releaseId)}` }, 'Roll it out')];
    }
    if (b.state === 'FAILED') {
      const detail = b.failureDetail || '';
      return [el('b', {}, b.failureReason), ' ', el('span', { class: 'cut', title: detail }, detail)];
    }
    return '';
  }

  function source(b) {
    if (!b.sourceKind) return el('small', {}, 'requested on the bus');
    return [b.sourceKind, ' ', el('small', { class: 'cut', title: b.sourceLocation }, b.sourceLocation)];
  }

  async function refresh() {
    const rows = [];
    let total = 0;
    for (let page = 0; page < pages; page++) {
      const response = await api('GET', `/api/v1/builds?size=50&page=${page}`);
      if (!response.ok) return;
      total = response.body.total;
      for (const b of response.body.items) {
        rows.push(el('tr', { id: `build-${b.id}`, class: b.id === justRequested ? 'current' : null },
            el('td', {}, el('code', {}, b.id)), el('td', {}, b.version || '—'), el('td', {}, source(b)),
            el('td', {}, b.requestedBy || '', ' ', time(b.createdAt)),
            el('td', { class: `state state-${b.state}` }, b.state), el('td', {}, progress(b)), el('td', {}, result(b))));
      }
    }
    const body = $('builds-list').tBodies[0];
    body.replaceChildren(...(rows.length ? rows : [el('tr', {}, el('td', { colspan: 7 }, 'No builds yet.'))]));
    $('builds-more').hidden = total <= pages * 50;
  }

  const run = live(refresh);
  $('builds-more').addEventListener('click', () => {
    pages++;
    run();
  });

  if (form) {
    const general = $('form-error');
    form.addEventListener('change', e => {
      if (e.target.name === 'kind') showKind();
    });
    $('b-add-file').addEventListener('click', () => $('b-files').tBodies[0].append(fileRow()));
    form.addEventListener('submit', async e => {
      e.preventDefault();
      const { body, clientErrors } = request();
      const submit = $('b-submit');
      submit.disabled = true;
      try {
        const response = await api('POST', '/api/v1/builds', body);
        if (response.status === 202) {
          justRequested = response.body.id;
          Fleet.clearErrors(form);
          general.append(el('span', { class: 'field-error done', 'data-for': '' }, `Build ${response.body.id} requested.`));
          run();
          return;
        }
        showProblem(form, response, general);
        showErrors(form, clientErrors, general);
      } finally {
        submit.disabled = false;
      }
    });
    showKind();
  }
})();
