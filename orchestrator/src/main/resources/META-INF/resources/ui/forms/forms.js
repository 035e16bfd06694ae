// Shared by the dashboard's form pages (new rollout, builds, enrolment): JSON requests to the REST API, its problem
// details shown on the fields they name, and lists that refresh themselves on the page's live-update stream.
'use strict';
const Fleet = (() => {
  // A page opened with credentials in its address (a bookmark of user:password@host) resolves relative addresses
  // with those credentials, which fetch refuses: always ask the origin.
  const address = path => new URL(path, window.location.origin).toString();

  /** A request to the API; a body goes as JSON, a bodyless change with X-Fleet-Request (see CrossSiteRequestGuard). */
  async function api(method, path, body) {
    const headers = { 'Accept': 'application/json' };
    const init = { method, headers, credentials: 'same-origin' };
    if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    } else if (method !== 'GET') {
      headers['X-Fleet-Request'] = '1';
    }
    const response = await fetch(address(path), init);
    const text = await response.text();
    let json = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch (e) {
      json = { detail: text.slice(0, 300) };
    }
    return { ok: response.ok, status: response.status, body: json };
  }

  /** An element with attributes (class, data-*, on* handlers, properties) and children (nodes or text). */
  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
      else if (k === 'class') e.className = v;
      else if (k in e && typeof v !== 'string') e[k] = v;
      else e.setAttribute(k, v === true ? '' : v);
    }
    for (const c of children.flat()) {
      if (c !== null && c !== undefined && c !== false) e.append(c instanceof Node ? c : String(c));
    }
    return e;
  }

  /** A time in the viewer's local time, the exact instant on hover. */
  function time(instant) {
    if (!instant) return '';
    return el('time', { datetime: instant, title: instant }, new Date(instant).toLocaleString());
  }

  /** "a, b c" → ["a", "b", "c"] */
  const list = text => (text || '').split(/[\s,]+/).map(s => s.trim()).filter(s => s);

  /** "k=v, k2=v2" → { map, bad: the parts without a key } */
  function pairs(text, separator) {
    const map = {};
    const bad = [];
    for (const part of (text || '').split(separator || /[,\n]/).map(s => s.trim()).filter(s => s)) {
      const eq = part.indexOf('=');
      if (eq <= 0) bad.push(part);
      else map[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
    }
    return { map, bad };
  }

  const parentField = field => {
    const m = field.match(/^(.*)(\.[^.[\]]+|\[\d+\])$/);
    return m ? m[1] : '';
  };

  /** Where an error on `field` shows: the element naming it, else the nearest field around it (waves[1] → waves). */
  function fieldElement(form, field) {
    for (let f = field; f; f = parentField(f)) {
      const e = form.querySelector(`[data-field~="${CSS.escape(f)}"]`);
      if (e) return e;
    }
    return null;
  }

  function clearErrors(form, fields) {
    form.querySelectorAll('span.field-error[data-for]').forEach(e => {
      if (!fields || fields(e.dataset.for)) e.remove();
    });
    form.querySelectorAll('.invalid').forEach(e => {
      if (!e.querySelector('span.field-error[data-for]')) e.classList.remove('invalid');
    });
  }

  /** Problem details' errors on their fields; one that names no field of the form goes to `general`. */
  function showErrors(form, errors, general) {
    for (const error of errors) {
      const target = fieldElement(form, error.field);
      const message = el('span', { class: 'field-error', 'data-for': error.field },
          target ? error.message : `${error.field}: ${error.message}`);
      (target || general).append(message);
      if (target) target.classList.add('invalid');
    }
  }

  /** What a refused request says: its field errors on the fields, anything else in `general`. */
  function showProblem(form, response, general) {
    clearErrors(form);
    const problem = response.body || {};
    if (problem.errors && problem.errors.length) {
      showErrors(form, problem.errors, general);
    } else {
      general.append(el('span', { class: 'field-error', 'data-for': '' },
          problem.detail || problem.title || `refused (HTTP ${response.status})`));
    }
  }

  /**
   * Keeps the page's lists current: htmx would re-fetch and swap the whole page at each change, losing what is being
   * typed, so that is cancelled here and `refresh` runs instead (never two at once).
   */
  function live(refresh) {
    let running = false;
    let again = false;
    const run = async () => {
      if (running) {
        again = true;
        return;
      }
      running = true;
      try {
        await refresh();
      } finally {
        running = false;
        if (again) {
          again = false;
          run();
        }
      }
    };
    document.body.addEventListener('htmx:beforeRequest', e => {
      if (e.detail.elt && e.detail.elt.id === 'page') e.preventDefault();
    });
    document.body.addEventListener('htmx:sseMessage', run);
    run();
    return run;
  }

  const debounce = (f, ms) => {
    let timer = null;
    return (...args) => {
      clearTimeout(timer);
      timer = setTimeout(() => f(...args), ms);
    };
  };

  const number = input => input.value.trim() === '' ? undefined : Number(input.value);

  return { api, el, time, list, pairs, fieldElement, clearErrors, showErrors, showProblem, live, debounce, number };
})();
