import Foundation

/// The dashboard's page: one HTML file with its style and script inline (no network beyond
/// this server). It opens the event stream and redraws from each `snapshot`: items, stage
/// progress, disk gauges per area, running tasks, workers, failures; an item's stages,
/// outputs and log on request; and, when control is allowed, stop, retry and a submission form.
/// The token the page was opened with (`?token=`) goes with every request it makes. The page
/// comes with the state as it was when it was asked for, so it is whole before any event.
enum DashboardPage {
    /// The page, drawn first from `initial` (a snapshot as JSON).
    static func html(initial: String) -> String {
        // Inside a script element, `</` would end it: JSON allows `<\/` in its strings.
        template.replacingOccurrences(of: "/*initial*/null", with: initial.replacingOccurrences(of: "</", with: "<\\/"))
    }

    private static let template = """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><title>Sluice dashboard</title>
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <style>
        body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222}h1{font-size:20px;margin:0}h2{font-size:16px;margin:24px 0 8px}
        table{border-collapse:collapse}td,th{border-bottom:1px solid #ddd;padding:3px 10px;text-align:right}
        td:first-child,th:first-child{text-align:left}.n{font-size:24px;font-weight:600}.cards{display:flex;gap:28px;flex-wrap:wrap}
        .failed{color:#d62728}.muted{color:#777}.bar{position:relative;width:320px;height:14px;background:#eee;border-radius:3px;overflow:hidden}
        .bar span{position:absolute;top:0;bottom:0}.done{background:#2ca02c}.run{background:#1f77b4}.fail{background:#d62728}
        .committed{background:#1f77b4}.reserved{background:#aec7e8}.over{outline:2px solid #d62728}
        pre{background:#f6f6f6;padding:8px;max-height:320px;overflow:auto;font-size:12px}
        button{font:inherit;padding:2px 10px}input{font:inherit}#status{margin-left:12px}
        </style></head><body>
        <h1>Sluice dashboard <span id="status" class="muted">connecting…</span></h1>
        <p class="muted">Workspace <code id="workspace"></code> · <span id="updates">0</span> updates · last <span id="updated">–</span></p>
        <div class="cards">
        <div><div class="n" id="items-done">–</div>items done</div>
        <div><div class="n failed" id="items-failed">–</div>items failed</div>
        <div><div class="n" id="items-waiting">–</div>items still to do</div>
        <div><div class="n" id="tasks-running">–</div>tasks running</div>
        </div>
        <div id="control" hidden><h2>Control</h2>
        <button id="stop">Stop the run</button>
        <form id="submit" style="margin-top:8px">Submit an item: <input name="name" placeholder="name" required size="14">
        <input name="url" placeholder="https://…" required size="40"> <input name="size" placeholder="bytes" size="10">
        <input name="checksum" placeholder="sha256:…" size="16"> <button>Submit</button></form>
        <p id="control-result" class="muted"></p></div>
        <h2>Stages</h2><table id="stages"><tr><th>stage</th><th>progress</th><th>done</th><th>running</th><th>to do</th><th>failed</th></tr></table>
        <h2>Disk</h2><table id="disk"><tr><th>area</th><th>use against quota</th><th>committed</th><th>reserved</th><th>quota</th></tr></table>
        <h2>Running tasks</h2><table id="running"><tr><th>item</th><th>stage</th><th>for</th><th>reserved</th><th>job</th></tr></table>
        <h2>Workers</h2><table id="workers"><tr><th>worker</th><th>state</th><th>tasks</th><th>last heard</th></tr></table>
        <h2>Failures</h2><table id="failures"><tr><th>item</th><th>stage</th><th>code</th><th>reason</th><th></th></tr></table>
        <h2>An item</h2><form id="lookup"><input name="item" placeholder="item name" size="24"> <button>Show</button></form>
        <div id="item"></div>
        <script>
        const token = new URLSearchParams(location.search).get('token');
        const q = (path) => path + (token ? (path.includes('?') ? '&' : '?') + 'token=' + encodeURIComponent(token) : '');
        const $ = (id) => document.getElementById(id);
        const esc = (s) => String(s ?? '').replace(/[&<>"]/g, (c) => ({'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;'}[c]));
        function size(b){ if(b==null) return ''; const u=['B','KB','MB','GB','TB']; let i=0; while(b>=1000&&i<4){b/=1000;i++} return (i?b.toFixed(1):b)+' '+u[i]; }
        function ago(t){ if(!t) return ''; const s=Math.max(0,Date.now()/1000-t); return s<90?s.toFixed(0)+' s':(s/60).toFixed(0)+' min'; }
        function rows(id, html){ const t=$(id); while(t.rows.length>1) t.deleteRow(1); t.insertAdjacentHTML('beforeend', html); }
        let updates = 0;
        function draw(s){
          updates++; $('updates').textContent = updates; $('updated').textContent = new Date().toLocaleTimeString();
          $('workspace').textContent = s.workspace;
          $('items-done').textContent = s.items.done; $('items-failed').textContent = s.items.failed; $('items-waiting').textContent = s.items.waiting;
          $('tasks-running').textContent = s.stages.reduce((n,x)=>n+x.running,0);
          $('control').hidden = !s.control;
          rows('stages', s.stages.map(x=>{ const all=x.waiting+x.pending+x.running+x.retrying+x.done+x.failed+x.blocked||1;
            const w=(n)=>(100*n/all).toFixed(1)+'%';
            return `<tr id="stage-${esc(x.name)}"><td>${esc(x.name)}</td><td><div class="bar"><span class="done" style="left:0;width:${w(x.done)}"></span>`+
              `<span class="run" style="left:${w(x.done)};width:${w(x.running)}"></span><span class="fail" style="left:${w(x.done+x.running)};width:${w(x.failed+x.blocked)}"></span></div></td>`+
              `<td class="done-count">${x.done}</td><td>${x.running}</td><td>${x.waiting+x.pending+x.retrying}</td><td>${x.failed+x.blocked}</td></tr>`; }).join(''));
          rows('disk', s.disk.map(d=>{ const q=d.quota||0, used=d.committed+d.reserved, w=(n)=>q?Math.min(100,100*n/q).toFixed(1)+'%':'0%';
            return `<tr id="disk-${esc(d.area)}"><td>${d.area=='total'?'whole workspace':esc(d.area)+'/'}</td><td><div class="bar${q&&used>q?' over':''}">`+
              `<span class="committed" style="left:0;width:${w(d.committed)}"></span><span class="reserved" style="left:${w(d.committed)};width:${w(d.reserved)}"></span></div></td>`+
              `<td>${size(d.committed)}</td><td>${size(d.reserved)}</td><td>${q?size(q):'none'}</td></tr>`; }).join(''));
          rows('running', s.running.map(r=>`<tr><td>${esc(r.item)}</td><td>${esc(r.stage)}</td><td>${ago(r.started)}</td><td>${size(r.reserved)} ${esc(r.area??'')}</td><td class="job">${esc(r.job??'')}</td></tr>`).join(''));
          rows('workers', s.workers.map(w=>`<tr><td>${esc(w.id)}</td><td>${esc(w.state)}</td><td>${w.tasks}</td><td>${ago(w.heartbeat)} ago</td></tr>`).join(''));
          rows('failures', s.failures.map(f=>`<tr><td>${esc(f.item)}</td><td>${esc(f.stage)}</td><td>${esc(f.code)}</td><td style="text-align:left">${esc(f.message)}</td>`+
            `<td>${s.control?`<button data-retry="${esc(f.item)}">retry</button>`:''}</td></tr>`).join(''));
        }
        async function call(method, path, body){
          const r = await fetch(q(path), {method, headers: body?{'Content-Type':'application/json'}:{}, body: body?JSON.stringify(body):undefined});
          const j = await r.json().catch(()=>({})); if(!r.ok) throw new Error(j.message||r.statusText); return j;
        }
        async function showItem(name){
          try {
            const [it, log] = await Promise.all([call('GET','/api/items/'+encodeURIComponent(name)), call('GET','/api/items/'+encodeURIComponent(name)+'/log?lines=40')]);
            $('item').innerHTML = `<p><b>${esc(it.name)}</b>: ${esc(it.state)}</p><table>`+it.stages.map(x=>`<tr><td>${esc(x.name)}</td><td>${esc(x.state)}</td><td>${x.attempts} attempt(s)</td><td style="text-align:left">${esc(x.message??'')}</td></tr>`).join('')+
              `</table><p>Outputs:</p><ul>`+it.outputs.map(o=>`<li><code>${esc(o.path)}</code> ${size(o.bytes)}</li>`).join('')+`</ul><pre id="item-log">${esc(log.lines.join('\\n'))}</pre>`;
          } catch(e){ $('item').textContent = e.message; }
        }
        $('lookup').onsubmit = (e)=>{ e.preventDefault(); showItem(e.target.item.value.trim()); };
        $('stop').onclick = async ()=>{ if(!confirm('Stop the run? Work in flight is given back.')) return;
          try { $('control-result').textContent = (await call('POST','/api/stop')).message; } catch(e){ $('control-result').textContent = e.message; } };
        $('submit').onsubmit = async (e)=>{ e.preventDefault(); const f=e.target, b={name:f.name.value.trim(), url:f.url.value.trim()};
          if(f.size.value) b.size=Number(f.size.value); if(f.checksum.value) b.checksum=f.checksum.value.trim();
          try { const it=await call('POST','/api/items',b); $('control-result').textContent='submitted '+it.name; f.reset(); } catch(err){ $('control-result').textContent=err.message; } };
        $('failures').onclick = async (e)=>{ const item=e.target.dataset&&e.target.dataset.retry; if(!item) return;
          try { const r=await call('POST','/api/items/'+encodeURIComponent(item)+'/retry'); $('control-result').textContent=`${item}: ${r.retried} task(s) to run again`; } catch(err){ $('control-result').textContent=err.message; } };
        const initial = /*initial*/null;
        if (initial) draw(initial);
        const events = new EventSource(q('/api/events'));
        events.addEventListener('snapshot', (e)=>{ $('status').textContent='live'; draw(JSON.parse(e.data)); });
        events.onerror = ()=>{ $('status').textContent = 'disconnected (the run or the dashboard ended); retrying…'; };
        </script></body></html>
        """
}
