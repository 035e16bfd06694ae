// a lost connection shows as grey; the browser's EventSource reconnects by itself and the dot turns green again
document.body.addEventListener('htmx:sseOpen', () => document.getElementById('live').className = 'up');
document.body.addEventListener('htmx:sseError', () => document.getElementById('live').className = 'down');
