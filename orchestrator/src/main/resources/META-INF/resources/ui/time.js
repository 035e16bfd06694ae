// Times in the viewer's terms: every <time datetime="…"> the server rendered (in UTC, to the second) reads relative
// to now ("3 min ago", "in 2 h"), with the exact value in the viewer's local time on hover. Run again after htmx
// swapped the page and every 30 s, so "just now" does not stay.
(function () {
  const units = [['d', 86400], ['h', 3600], ['min', 60], ['s', 1]];
  function relative(seconds) {
    const ago = seconds >= 0;
    const s = Math.abs(seconds);
    if (s < 10) {
      return 'just now';
    }
    for (const [name, size] of units) {
      if (s >= size || size === 1) {
        const n = Math.floor(s / size);
        return ago ? n + ' ' + name + ' ago' : 'in ' + n + ' ' + name;
      }
    }
  }
  function render(root) {
    const now = Date.now();
    (root || document).querySelectorAll('time[datetime]').forEach(t => {
      const at = new Date(t.getAttribute('datetime'));
      if (isNaN(at)) {
        return;
      }
      t.textContent = relative(Math.round((now - at.getTime()) / 1000));
      t.title = at.toLocaleString(undefined, {dateStyle: 'medium', timeStyle: 'long'});
    });
  }
  render();
  document.body.addEventListener('htmx:afterSettle', () => render());
  setInterval(render, 30000);
})();
