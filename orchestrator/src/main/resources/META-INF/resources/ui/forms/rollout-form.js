// The new-rollout form: a live count of the machines the target matches, the wave sizes and the maintenance window's
// next openings from POST /api/v1/rollouts/preview while it is filled in, then POST /api/v1/rollouts.
'use strict';
(() => {
  const { api, el, list, pairs, fieldElement, clearErrors, showErrors, showProblem, debounce, number } = Fleet;
  const $ = id => document.getElementById(id);
  const form = $('rollout-form');
  const general = $('form-error');
  const waves = $('waves-form').tBodies[0];
  let submitted = false;

  function waveRow(canary, size, unit) {
    const input = (cls, attrs) => el('input', Object.assign({ type: 'number', class: cls, placeholder: 'default' }, attrs));
    const row = el('tr', { class: canary ? 'canary' : 'wave' },
        el('td', { class: 'name' }),
        el('td', { class: 'size' }, input('w-size', { min: 1, value: size, placeholder: '' }), ' ',
            el('select', { class: 'w-unit' },
                el('option', { value: 'count', selected: unit === 'count' }, 'machines'),
                el('option', { value: 'percent', selected: unit === 'percent' }, '%'))),
        el('td', { class: 'success' }, input('w-success', { min: 0, max: 100 })),
        el('td', { class: 'errors' }, input('w-errors', { min: 0, max: 100 })),
        el('td', { class: 'soak' }, input('w-soak', { min: 0 })),
        el('td', { class: 'num machines' }, '–'),
        el('td', {}, canary ? '' : el('button', {
          type: 'button', class: 'remove', title: 'Remove this wave',
          onclick: () => { row.remove(); renumber(); preview(); }
        }, 'Remove')));
    return row;
  }

  /** Names each row's fields as the API does (canary, waves[0].percent, …) so its errors land on them. */
  function renumber() {
    [...waves.rows].forEach((row, i) => {
      const field = i === 0 ? 'canary' : `waves[${i - 1}]`;
      row.dataset.field = field;
      row.querySelector('.name').textContent = i === 0 ? 'Canary' : `Wave ${i}`;
      row.querySelector('.size').dataset.field = `${field}.count ${field}.percent`;
      row.querySelector('.success').dataset.field = `${field}.successThresholdPercent`;
      row.querySelector('.errors').dataset.field = `${field}.errorThresholdPercent`;
      row.querySelector('.soak').dataset.field = `${field}.soakSeconds`;
      const remove = row.querySelector('button.remove');
      if (remove) remove.hidden = waves.rows.length <= 2;
    });
  }

  function size(row) {
    const wave = {};
    wave[row.querySelector('.w-unit').value] = number(row.querySelector('.w-size'));
    wave.successThresholdPercent = number(row.querySelector('.w-success'));
    wave.errorThresholdPercent = number(row.querySelector('.w-errors'));
    wave.soakSeconds = number(row.querySelector('.w-soak'));
    return wave;
  }

  /** The request as the API takes it, and what the form itself finds wrong before sending it. */
  function request(start) {
    const labels = pairs($('f-labels').value);
    const clientErrors = labels.bad.map(part => ({ field: 'target.labels', message: `labels read key=value: ${part}` }));
    const target = $('f-all').checked ? { all: true } : {
      rings: list($('f-rings').value),
      labels: labels.map,
      wslVersions: list($('f-wsl').value),
      machineIds: list($('f-machines').value)
    };
    const rows = [...waves.rows];
    const deadline = number($('f-deadline'));
    const body = {
      name: $('f-name').value.trim(),
      releaseId: $('f-release').value,
      target,
      canary: size(rows[0]),
      waves: rows.slice(1).map(size),
      successThresholdPercent: number($('f-success')),
      errorThresholdPercent: number($('f-errors')),
      soakSeconds: number($('f-soak')),
      deadlineSeconds: deadline === undefined ? undefined : Math.round(deadline * 60),
      maxConcurrentDownloads: number($('f-concurrent')),
      mode: $('f-mode').value,
      backupFirst: $('f-backup').checked,
      autoRollback: $('f-rollback').checked,
      approvalRequired: $('f-approval').checked,
      maintenanceWindow: $('f-window').checked ? {
        cron: $('f-cron').value.trim(),
        durationMinutes: number($('f-duration')),
        timeZone: $('f-zone').value.trim()
      } : undefined,
      start
    };
    return { body, clientErrors };
  }

  /** Before a first submit, only errors on fields already filled in show: an empty form is not yet wrong. */
  const shown = errors => submitted ? errors : errors.filter(e => {
    const where = fieldElement(form, e.field);
    return where && (where.matches('[data-touched]') || where.querySelector('[data-touched]'));
  });

  function render(p) {
    $('matched').textContent = p.matched;
    [...waves.rows].forEach((row, i) => {
      const wave = p.waves[i];
      row.querySelector('.machines').textContent = wave ? String(wave.machines) : '–';
      row.classList.toggle('empty', !!wave && wave.machines === 0);
    });
    const openings = $('openings');
    openings.replaceChildren(...p.windowOpenings.map(o => el('li', { title: `${new Date(o.opensAt).toLocaleString()} in your time` },
        `${o.local}, for ${Math.round((Date.parse(o.closesAt) - Date.parse(o.opensAt)) / 60000)} min`)));
    openings.hidden = !$('f-window').checked;
    if ($('f-window').checked && p.windowOpenings.length === 0) {
      openings.append(el('li', {}, 'does not open within a year'));
    }
  }

  const preview = debounce(async () => {
    const { body, clientErrors } = request(false);
    const response = await api('POST', '/api/v1/rollouts/preview', body);
    clearErrors(form);
    if (response.ok) {
      render(response.body);
      showErrors(form, shown(clientErrors.concat(response.body.errors)), general);
    } else if (response.status === 400) {
      showErrors(form, shown(clientErrors.concat((response.body && response.body.errors) || [])), general);
    }
  }, 250);

  form.addEventListener('input', e => {
    e.target.dataset.touched = '';
    preview();
  });
  form.addEventListener('change', e => {
    e.target.dataset.touched = '';
    preview();
  });
  $('add-wave').addEventListener('click', () => {
    waves.append(waveRow(false, '', 'percent'));
    renumber();
    preview();
  });
  $('f-all').addEventListener('change', () => {
    $('target-parts').querySelectorAll('input, textarea').forEach(i => i.disabled = $('f-all').checked);
  });
  $('f-window').addEventListener('change', () => {
    $('window-parts').hidden = !$('f-window').checked;
  });

  form.addEventListener('submit', async e => {
    e.preventDefault();
    submitted = true;
    const start = !!e.submitter && e.submitter.dataset.start === 'true';
    const { body, clientErrors } = request(start);
    form.querySelectorAll('.actions button').forEach(b => b.disabled = true);
    try {
      const response = await api('POST', '/api/v1/rollouts', body);
      if (response.status === 201) {
        window.location.assign(`/ui/rollouts/${response.body.id}`);
        return;
      }
      showProblem(form, response, general);
      showErrors(form, clientErrors, general);
    } finally {
      form.querySelectorAll('.actions button').forEach(b => b.disabled = false);
    }
  });

  async function releases() {
    const response = await api('GET', '/api/v1/releases?size=200');
    const wanted = new URLSearchParams(window.location.search).get('release');
    const select = $('f-release');
    for (const r of (response.ok ? response.body.items : [])) {
      select.append(el('option', { value: r.id, selected: r.id === wanted },
          `${r.id} · NixOS ${r.nixosVersion}, generation ${r.generation}`));
    }
  }

  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  $('f-zone').value = zone;
  if (Intl.supportedValuesOf) {
    $('zones').replaceChildren(...Intl.supportedValuesOf('timeZone').map(z => el('option', { value: z })));
  }
  waves.append(waveRow(true, 1, 'count'), waveRow(false, 100, 'percent'));
  renumber();
  releases().then(() => Fleet.live(preview)); // machines come and go: the count follows them
})();
