# ruff: noqa: E501 - the page is HTML, CSS and JavaScript, not Python
"""The dashboard's one page: HTML, CSS and a little vanilla JavaScript (no
build step). It opens ``/events`` (Server-Sent Events) and redraws from
each snapshot; rates are computed here from successive snapshots."""

from __future__ import annotations

from typing import Final

__all__ = ["PAGE"]

PAGE: Final = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>actors dashboard</title>
<style>
  :root { --bg:#0f1419; --panel:#182028; --line:#2a3540; --text:#d8e0e8; --dim:#8595a5;
          --ok:#3fb950; --warn:#d29922; --bad:#f85149; --accent:#58a6ff; }
  * { box-sizing: border-box; }
  body { margin:0; font:14px/1.4 system-ui, sans-serif; background:var(--bg); color:var(--text); }
  header { display:flex; flex-wrap:wrap; gap:.5rem 1.5rem; align-items:baseline;
           padding:.6rem 1rem; border-bottom:1px solid var(--line); }
  header h1 { font-size:1.1rem; margin:0; }
  header .meta { color:var(--dim); font-size:.85rem; }
  #status.live { color:var(--ok); } #status.down { color:var(--bad); }
  main { display:grid; grid-template-columns: repeat(auto-fit, minmax(min(100%, 560px), 1fr));
         gap:1rem; padding:1rem; }
  section { background:var(--panel); border:1px solid var(--line); border-radius:6px;
            padding:.6rem .8rem; min-width:0; }
  section h2 { font-size:.95rem; margin:.1rem 0 .5rem; color:var(--accent); }
  .scroll { overflow-x:auto; max-height:360px; overflow-y:auto; }
  table { border-collapse:collapse; width:100%; font-variant-numeric: tabular-nums; }
  th, td { text-align:left; padding:.15rem .4rem; border-bottom:1px solid var(--line);
           white-space:nowrap; }
  th { color:var(--dim); font-weight:500; font-size:.8rem; }
  td.n, th.n { text-align:right; }
  ul.tree, ul.tree ul { list-style:none; margin:0; padding-left:1rem; }
  ul.tree { padding-left:0; }
  ul.tree li { margin:.1rem 0; white-space:nowrap; }
  .badge { display:inline-block; padding:0 .35rem; border-radius:3px; font-size:.75rem;
           margin-left:.3rem; border:1px solid var(--line); color:var(--dim); }
  .running { color:var(--ok); border-color:var(--ok); }
  .restarting { color:var(--warn); border-color:var(--warn); }
  .stopped, .crashed, .max_restarts_reached, .child_start_failed { color:var(--bad); border-color:var(--bad); }
  .restarted { color:var(--warn); border-color:var(--warn); }
  .started { color:var(--ok); border-color:var(--ok); }
  .filters { display:flex; flex-wrap:wrap; gap:.4rem; margin-bottom:.4rem; }
  input, select, button { background:var(--bg); color:var(--text); border:1px solid var(--line);
                          border-radius:4px; padding:.2rem .4rem; font:inherit; }
  button { cursor:pointer; } button:disabled { opacity:.4; cursor:not-allowed; }
  #notice { color:var(--warn); min-height:1.2em; font-size:.85rem; }
  .dim { color:var(--dim); }
</style>
</head>
<body>
<header>
  <h1>actors dashboard</h1>
  <span class="meta">system <b id="system">?</b> · node <b id="node">?</b></span>
  <span class="meta" id="counts"></span>
  <span class="meta">updates: <b id="status">connecting</b></span>
</header>
<main>
  <section id="tree-panel"><h2>Supervision trees</h2><div class="scroll"><ul class="tree" id="tree"></ul></div></section>
  <section id="pubsub-panel"><h2>Pub/sub instances</h2><div class="scroll"><table id="pubsub">
    <thead><tr><th>instance</th><th class="n">published/s</th><th class="n">delivered/s</th>
    <th class="n">dropped/s</th><th class="n">failed/s</th><th class="n">published</th>
    <th class="n">subscribers</th><th class="n">lag</th></tr></thead><tbody></tbody></table></div></section>
  <section id="process-panel"><h2>Processes by mailbox depth</h2><div class="scroll"><table id="processes">
    <thead><tr><th>name</th><th>component</th><th>runtime</th><th class="n">depth</th><th class="n">change/s</th><th class="n">msg/s</th></tr></thead>
    <tbody></tbody></table></div></section>
  <section id="store-panel"><h2>Event stores</h2><div id="notice"></div><div class="scroll" id="stores"></div></section>
  <section id="lifecycle-panel"><h2>Lifecycle</h2>
    <div class="filters">
      <select id="filter-type"><option value="">every event</option></select>
      <input id="filter-text" placeholder="name, component or supervisor" size="24">
    </div>
    <div class="scroll"><table id="lifecycle"><thead><tr><th>time</th><th>event</th><th>name</th>
      <th>supervisor</th><th>reason</th></tr></thead><tbody></tbody></table></div></section>
  <section id="node-panel"><h2>Nodes</h2><ul id="nodes"></ul></section>
</main>
<script>
"use strict";
const ALLOW_ACTIONS = __ALLOW_ACTIONS__;
const $ = (id) => document.getElementById(id);
const esc = (v) => String(v ?? "").replace(/[&<>"']/g, (c) => ({"&":"&amp;","<":"&lt;",">":"&gt;","\\"":"&quot;","'":"&#39;"}[c]));
let previous = null, lifecycle = [], lastSeq = 0;
const types = new Set();

function rate(now, before, key, dt) {
  if (!before || dt <= 0) return "-";
  return ((now[key] - before[key]) / dt).toFixed(1);
}

function treeItem(node) {
  const who = node.id === null ? node.component : node.id;
  const name = node.name && node.name !== node.id ? ` <span class="dim">(${esc(node.name)})</span>` : "";
  let extra = "";
  if (node.restarts) extra += `<span class="badge restarts">${node.restarts} restart${node.restarts === 1 ? "" : "s"}</span>`;
  if (node.intensity) extra += `<span class="badge headroom" title="restarts left in ${node.intensity.max_seconds}s">headroom ${node.intensity.headroom}/${node.intensity.max_restarts}</span>`;
  const kids = node.children.length ? `<ul>${node.children.map(treeItem).join("")}</ul>` : "";
  return `<li class="node" data-name="${esc(node.name ?? who)}"><span>${esc(who)}</span>${name}` +
         `<span class="badge ${esc(node.state)}">${esc(node.state)}</span>${extra}${kids}</li>`;
}

function renderStores(stores) {
  $("stores").innerHTML = stores.map((s) => `
    <h3 class="dim">${esc(s.name)}</h3>
    <table class="groups"><thead><tr><th>stream</th><th>group</th><th class="n">lag</th>
      <th class="n">in flight</th><th class="n">parked</th><th class="n">consumers</th><th></th></tr></thead>
    <tbody>${s.groups.map((g) => `<tr><td>${esc(g.stream)}</td><td>${esc(g.group)}</td>
      <td class="n">${g.lag}</td><td class="n">${g.in_flight}</td><td class="n parked">${g.parked}</td>
      <td class="n">${g.consumers}</td><td><button class="replay" ${ALLOW_ACTIONS && g.parked ? "" : "disabled"}
      title="${ALLOW_ACTIONS ? "send parked messages again" : "start with --allow-actions to enable"}"
      data-store="${esc(s.name)}" data-stream="${esc(g.stream)}" data-group="${esc(g.group)}">replay parked</button></td></tr>`).join("")}</tbody></table>
    <table class="streams"><thead><tr><th>stream</th><th>state</th><th class="n">events</th></tr></thead>
    <tbody>${s.streams.slice(0, 50).map((st) => `<tr><td>${esc(st.stream)}</td><td>${esc(st.state)}</td>
      <td class="n">${st.events}</td></tr>`).join("")}</tbody></table>`).join("") ||
    '<p class="dim">no event store</p>';
}

function renderLifecycle() {
  const type = $("filter-type").value, text = $("filter-text").value.toLowerCase();
  const rows = lifecycle.filter((e) => (!type || e.type === type) &&
    (!text || [e.name, e.component, e.supervisor, e.child_id].some((v) => (v || "").toLowerCase().includes(text))));
  $("lifecycle").tBodies[0].innerHTML = rows.slice(-200).reverse().map((e) => `<tr class="event">
    <td class="dim">${esc(e.time.slice(11, 23))}</td><td><span class="badge ${esc(e.type)}">${esc(e.type)}</span></td>
    <td>${esc(e.name ?? e.component)}</td><td>${esc(e.supervisor)}</td><td>${esc(e.reason)}</td></tr>`).join("");
}

function render(snap) {
  $("system").textContent = snap.system ?? "(files)";
  $("node").textContent = snap.node ?? "-";
  if (snap.stats) $("counts").textContent = `${snap.stats.actors} actors · ${snap.stats.pool_workers} workers · ${snap.stats.dead_letters} dead letters`;
  $("tree").innerHTML = snap.trees.map(treeItem).join("") || '<li class="dim">no running system</li>';
  const dt = previous ? snap.monotonic - previous.monotonic : 0;
  const before = new Map((previous?.pubsub ?? []).map((r) => [r.name, r]));
  $("pubsub").tBodies[0].innerHTML = snap.pubsub.map((r) => `<tr data-instance="${esc(r.name)}">
    <td>${esc(r.name)}<span class="badge ${esc(r.state)}">${esc(r.state)}</span></td>
    <td class="n rate">${rate(r, before.get(r.name), "published", dt)}</td>
    <td class="n">${rate(r, before.get(r.name), "delivered", dt)}</td>
    <td class="n">${rate(r, before.get(r.name), "dropped", dt)}</td>
    <td class="n">${rate(r, before.get(r.name), "failed", dt)}</td>
    <td class="n published">${r.published}</td><td class="n">${r.subscribers}</td>
    <td class="n">${r.largest_mailbox}</td></tr>`).join("");
  const was = new Map((previous?.processes ?? []).map((p) => [p.id, p]));
  const perSecond = (p, field) => {
    const before = was.get(p.id);
    return before && dt > 0 && p[field] != null && before[field] != null
      ? ((p[field] - before[field]) / dt).toFixed(1) : "-";
  };
  $("processes").tBodies[0].innerHTML = snap.processes.map((p) => `<tr><td>${esc(p.name ?? "-")}</td>
    <td>${esc(p.component)}</td><td>${esc(p.runtime)}</td><td class="n">${p.depth}</td>
    <td class="n">${perSecond(p, "depth")}</td><td class="n rate">${perSecond(p, "handled")}</td></tr>`).join("");
  renderStores(snap.stores);
  for (const e of snap.lifecycle) {
    if (e.seq <= lastSeq) continue;
    lastSeq = e.seq; lifecycle.push(e);
    if (!types.has(e.type)) { types.add(e.type); $("filter-type").add(new Option(e.type, e.type)); }
  }
  if (lifecycle.length > 1000) lifecycle = lifecycle.slice(-1000);
  renderLifecycle();
  $("nodes").innerHTML = snap.node ? [`<li>${esc(snap.node)} <span class="badge running">this node</span></li>`]
    .concat(snap.nodes.map((n) => `<li>${esc(n)} <span class="badge running">connected</span></li>`)).join("")
    : '<li class="dim">no running system</li>';
  previous = snap;
}

document.addEventListener("click", async (event) => {
  const button = event.target.closest("button.replay");
  if (!button || button.disabled) return;
  button.disabled = true;
  const response = await fetch("api/replay-parked", { method: "POST", headers: {"content-type": "application/json"},
    body: JSON.stringify({ store: button.dataset.store, stream: button.dataset.stream, group: button.dataset.group }) });
  const body = await response.json();
  $("notice").textContent = response.ok ? `replayed ${body.replayed} parked message(s) of ${button.dataset.group}` : body.error;
});
$("filter-type").addEventListener("change", renderLifecycle);
$("filter-text").addEventListener("input", renderLifecycle);

function connect() {
  const source = new EventSource(`events?after=${lastSeq}`);
  source.addEventListener("snapshot", (e) => { $("status").textContent = "live"; $("status").className = "live"; render(JSON.parse(e.data)); });
  source.onerror = () => { $("status").textContent = "reconnecting"; $("status").className = "down"; };
}
connect();
</script>
</body>
</html>
"""
