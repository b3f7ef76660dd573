import FleetModel

/// The live map's single page: the user's tasks, and per task its tiles coloured by APEx status
/// (the notebook's palette), a header with counts, throughput, ETA and credits, and a tile's
/// attempts, times, error and result links on click. It asks for the bearer token once and keeps
/// it in the browser's session storage (or takes `?token=`; `?task=` selects a task); it polls
/// tilefleet's own routes every 5 seconds.
enum MapPage {
    /// The APEx notebook's colours.
    static let palette: [String: String] = [
        "created": "blue", "queued": "orange", "running": "yellow", "finished": "green", "canceled": "grey", "failed": "red",
    ]

    static func html(baseMap: String?) -> String {
        let base = JSONValue.string(baseMap ?? "").canonicalJSON
        let colours = JSONValue.object(palette.mapValues(JSONValue.string)).canonicalJSON
        return """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><title>tilefleet</title>
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <link rel="stylesheet" href="/leaflet/leaflet.css">
        <script src="/leaflet/leaflet.js"></script>
        <style>
        body{margin:0;font:14px system-ui,sans-serif;display:flex;flex-direction:column;height:100vh}
        header{padding:6px 10px;background:#223;color:#fff;display:flex;gap:16px;align-items:center;flex-wrap:wrap}
        main{flex:1;display:flex;min-height:0} #tasks{width:280px;overflow:auto;border-right:1px solid #ccc}
        #tasks div{padding:6px 8px;border-bottom:1px solid #eee;cursor:pointer} #tasks div.on{background:#def}
        #map{flex:1;background:#f4f4f0} .legend span{display:inline-block;width:10px;height:10px;margin:0 3px 0 8px;border:1px solid #0004}
        </style></head><body>
        <header><b>tilefleet</b><span id="summary">no task selected</span><span class="legend" id="legend"></span>
        <button id="token">token</button></header>
        <main><div id="tasks"></div><div id="map"></div></main>
        <script>
        const COLOURS = \(colours), BASE_MAP = \(base);
        const legend = document.getElementById('legend');
        for (const [s, c] of Object.entries(COLOURS)) legend.insertAdjacentHTML('beforeend', `<span style="background:${c}"></span>${s}`);
        // ?token=… (for a link or a headless browser) goes to session storage and out of the address bar.
        const query = new URLSearchParams(location.search);
        if (query.get('token')) { sessionStorage.setItem('tilefleet-token', query.get('token')); query.delete('token'); history.replaceState(null, '', '?' + query); }
        let token = sessionStorage.getItem('tilefleet-token');
        document.getElementById('token').onclick = () => { token = prompt('API token'); sessionStorage.setItem('tilefleet-token', token || ''); refresh(); };
        if (!token) { token = prompt('API token (serve.users in the fleet configuration)'); sessionStorage.setItem('tilefleet-token', token || ''); }
        const map = L.map('map').setView([48.17, 16.43], 9);
        if (BASE_MAP) L.tileLayer(BASE_MAP, {maxZoom: 19}).addTo(map);
        const layer = L.geoJSON(null, {style: f => {
          const c = COLOURS[f.properties.apex_status] || 'black';
          return {color: c, fillColor: c, weight: 1, fillOpacity: f.properties.apex_status === 'finished' ? 0.2 : 0.5};
        }, onEachFeature: (f, l) => l.on('click', () => showTile(f.properties.tile, l))}).addTo(map);
        let current = query.get('task'), fitted = null;
        const esc = s => String(s ?? '').replace(/[&<>"']/g, c => ({'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;',"'":'&#39;'}[c]));
        const api = async path => { const r = await fetch(path, {headers: {Authorization: 'Bearer ' + token}}); if (!r.ok) throw new Error(path + ': ' + r.status); return r.json(); };
        const dur = s => s == null ? '–' : s < 120 ? Math.round(s) + ' s' : s < 7200 ? Math.round(s / 60) + ' min' : (s / 3600).toFixed(1) + ' h';
        async function refresh() {
          try {
            const tasks = await api('/api/tasks');
            const list = document.getElementById('tasks');
            list.innerHTML = tasks.map(t => `<div data-id="${esc(t.id)}" class="${t.id === current ? 'on' : ''}"><b>${esc(t.title)}</b><br>${esc(t.id)} · ${esc(t.apex_status)} · ${t.total} tiles</div>`).join('');
            for (const d of list.children) d.onclick = () => { current = d.dataset.id; fitted = null; refresh(); };
            if (!current && tasks.length) current = tasks[0].id;
            const task = tasks.find(t => t.id === current);
            if (!task) return;
            const c = task.counts, done = (c.finished || 0) + (c.failed || 0) + (c.canceled || 0);
            document.getElementById('summary').textContent = `${task.title}: ${done}/${task.total} done · ` +
              Object.entries(c).map(([k, v]) => `${k} ${v}`).join(' · ') + ` · ${task.tiles_per_hour} tiles/h · ETA ${dur(task.eta_seconds)}` +
              (task.credits == null ? '' : ` · ${task.credits.toFixed(2)} credits`) +
              (task.budget ? ` of ${task.budget.limit}` + (task.budget.state === 'paused' ? ' (paused for its budget)' : '') : '');
            const tiles = await api(`/api/tasks/${encodeURIComponent(current)}/tiles.geojson`);
            layer.clearLayers(); layer.addData(tiles);
            document.body.dataset.tiles = tiles.features.length;
            document.body.dataset.statuses = tiles.features.map(f => f.properties.apex_status).join(',');
            if (fitted !== current && tiles.features.length) { map.fitBounds(layer.getBounds()); fitted = current; }
          } catch (e) { document.getElementById('summary').textContent = String(e); }
        }
        async function showTile(tile, l) {
          const t = await api(`/api/tasks/${encodeURIComponent(current)}/tiles/${encodeURIComponent(tile)}`);
          const attempts = t.attempts.map(a => `<li>#${a.attempt} ${esc(a.status)} ${esc(a.job_id)} ${esc(a.error)}</li>`).join('');
          const assets = t.assets.map(a => /^https?:/.test(a.href) ? `<li><a href="${esc(a.href)}" target="_blank" rel="noopener">${esc(a.key || a.title || a.href)}</a></li>` : '').join('');
          l.bindPopup(`<b>${esc(t.tile)}</b> ${esc(t.status)} (attempt ${t.attempt})<br>backend ${esc(t.backend)} job ${esc(t.backend_job_id)}` +
            `<br>queued ${dur(t.queue_wait_seconds)} · ran ${dur(t.run_seconds)}` + (t.error ? `<br><i>${esc(t.error)}</i>` : '') +
            `<ul>${attempts}</ul><ul>${assets}</ul>`).openPopup();
        }
        refresh(); setInterval(refresh, 5000);
        </script></body></html>
        """
    }
}
