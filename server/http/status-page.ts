// A one-file status page at /ui: the members of the cluster and their Raft state, refreshed every
// second from /v1/cluster/status?all=true, and a key browser by prefix. The full dashboard (web/)
// replaces it; until then it is what `npm start` points a newcomer to.
import type { Hono } from 'hono';
import type { AppEnv } from './env.ts';

export const STATUS_PAGE_PATH = '/ui';

const PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Vane</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:2rem;color:#1d2433;background:#f7f8fa}
h1{font-size:1.4rem;margin:0 0 .25rem}h2{font-size:1.05rem;margin:1.5rem 0 .5rem}
table{border-collapse:collapse;background:#fff;box-shadow:0 1px 2px #0002}
th,td{padding:.35rem .7rem;border-bottom:1px solid #e3e6eb;text-align:left;font-variant-numeric:tabular-nums}
th{background:#eef1f5;font-weight:600}.leader{font-weight:700;color:#0b6b3a}.down{color:#a11}
input{font:inherit;padding:.25rem .4rem}code{background:#eef1f5;padding:0 .2rem}
.muted{color:#667}
</style></head><body>
<h1>Vane</h1><div class="muted" id="summary">connecting…</div>
<h2>Members</h2>
<table><thead><tr><th>member</th><th>role</th><th>term</th><th>commit</th><th>applied</th><th>revision</th><th>leader</th></tr></thead>
<tbody id="members"></tbody></table>
<h2>Keys</h2>
<label>prefix <input id="prefix" placeholder="(all keys)"></label>
<table><thead><tr><th>key</th><th>value</th><th>mod revision</th><th>version</th></tr></thead><tbody id="keys"></tbody></table>
<script type="module">
const el = (id) => document.getElementById(id);
const cell = (text, cls) => { const td = document.createElement('td'); td.textContent = String(text); if (cls) td.className = cls; return td; };
async function refresh() {
  try {
    const status = await (await fetch('/v1/cluster/status?all=true')).json();
    const rows = (status.members ?? []).map((m) => {
      const tr = document.createElement('tr');
      if (m.error) { tr.append(cell(m.id), cell('unreachable: ' + m.error.message, 'down')); return tr; }
      tr.append(cell(m.id, m.role === 'leader' ? 'leader' : ''), cell(m.role), cell(m.term), cell(m.commit), cell(m.applied), cell(m.revision), cell(m.leader ?? '—'));
      return tr;
    });
    el('members').replaceChildren(...rows);
    el('summary').textContent = 'revision ' + status.header.revision + ' · served by ' + status.header.member + ' · term ' + status.header.raftTerm;
    const prefix = el('prefix').value;
    const range = await (await fetch('/v1/kv/' + encodeURIComponent(prefix) + '?prefix=true&limit=100&serializable=true')).json();
    el('keys').replaceChildren(...(range.kvs ?? []).map((kv) => {
      const tr = document.createElement('tr');
      tr.append(cell(kv.key), cell(kv.value.length > 120 ? kv.value.slice(0, 120) + '…' : kv.value), cell(kv.modRevision), cell(kv.version));
      return tr;
    }));
  } catch (error) {
    el('summary').textContent = 'cannot reach this member: ' + error;
  }
}
refresh();
setInterval(refresh, 1000);
</script></body></html>`;

export function registerStatusPage(app: Hono<AppEnv>): void {
  app.get(STATUS_PAGE_PATH, (c) => c.html(PAGE));
}
