(() => {
  "use strict";
  const t0 = performance.now();
  const $ = (id) => document.getElementById(id);
  const D = JSON.parse($("report-data").textContent);
  const G = D.grid, INFO = D.status_info, CMP = D.comparison;
  const NT = G.tasks.length;
  const taskIndex = new Map(G.tasks.map((t, i) => [t, i]));
  // what counts as a pass in the per-task counts: base tests, or base + plus when compared on plus tests
  const PASS = new Set(CMP && CMP.variant === "plus" ? ["p"] : ["p", "b"]);
  const passCount = G.cells.map((s) => { let c = 0; for (const ch of s) if (PASS.has(ch)) c++; return c; });
  const maxCols = G.cells.reduce((m, s) => Math.max(m, s.length), 0);
  const baselineEls = new Map();
  document.querySelectorAll("script.baseline-chunk").forEach((el) => baselineEls.set(el.dataset.task, el));

  const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
  const cidAt = (i, j) => (G.ids && G.ids[i] ? G.ids[i][j] : j);
  const colOf = (i, cid) => {
    if (G.ids && G.ids[i]) return G.ids[i].findIndex((x) => String(x) === String(cid));
    const n = Number(cid);
    return Number.isInteger(n) && n >= 0 && n < G.cells[i].length ? n : -1;
  };
  const css = (name) => getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  const colour = (code) => (INFO[code] || INFO.u).colour;
  const label = (code) => (INFO[code] || INFO.u).label;
  const pct = (x) => (x * 100).toFixed(1) + "%";
  const secs = (x) => (x == null ? "—" : x >= 0.1 ? x.toFixed(2) + " s" : (x * 1000).toFixed(0) + " ms");
  const sampleHash = (tid, cid) => "#sample=" + encodeURI(tid) + "/" + encodeURIComponent(cid);

  // ------------------------------------------------------------------------------------------------ the grid
  const canvas = $("grid"), ctx = canvas.getContext("2d"), tip = $("tip");
  let order = [...Array(NT).keys()];
  let only = null;           // show only this verdict code
  let selected = null;       // {i, j}
  let hoverRow = -1;
  let L = null;              // current layout
  const FONT = "12px " + getComputedStyle(document.body).fontFamily;

  function cmpNote(i) {
    if (!CMP) return "";
    const f = G.cmp.flip[i], ch = G.cmp.change[i];
    if (CMP.single_sample) return f === "n" ? "▼ flip" : f === "p" ? "▲ flip" : "";
    return ch ? (ch > 0 ? "+" : "−") + Math.abs(ch * 100).toFixed(0) + " pts" : "";
  }

  function computeOrder() {
    const how = $("sort").value, q = $("filter").value.trim().toLowerCase();
    let idx = [...Array(NT).keys()];
    if (q) idx = idx.filter((i) => G.tasks[i].toLowerCase().includes(q));
    const rate = (i) => passCount[i] / Math.max(1, G.cells[i].length);
    if (how === "rate") idx.sort((a, b) => rate(a) - rate(b) || a - b);
    else if (how === "slow") idx.sort((a, b) => G.wall[b] - G.wall[a] || a - b);
    else if (how === "change" && CMP) idx.sort((a, b) => G.cmp.change[a] - G.cmp.change[b] || a - b);
    order = idx;
  }

  function layout() {
    const width = Math.max(320, canvas.parentElement.clientWidth);
    ctx.font = FONT;
    let lw = 0;
    for (const t of G.tasks) lw = Math.max(lw, ctx.measureText(t).width);
    const labelW = Math.min(220, Math.ceil(lw) + 18);
    const rightW = CMP ? 112 : 64;
    const cell = Math.max(2, Math.min(24, Math.floor((width - labelW - rightW) / Math.max(1, maxCols))));
    const gap = cell >= 10 ? 3 : cell >= 4 ? 1 : 0;
    const rowH = Math.max(cell, 14);
    const cellH = Math.min(rowH - 2, Math.max(cell - gap, 10));
    const headerH = 20;
    // few samples per task: wrap the task rows into side-by-side blocks instead of one tall, narrow strip
    const blockW = labelW + maxCols * cell + rightW + 28;
    const blocks = Math.max(1, Math.min(4, Math.floor(width / blockW), Math.ceil(order.length / 6)));
    const perBlock = Math.max(1, Math.ceil(order.length / blocks));
    const height = headerH + perBlock * rowH + 6;
    return { width, labelW, rightW, cell, gap, rowH, cellH, headerH, height, blocks, perBlock,
             blockW: blocks > 1 ? Math.floor(width / blocks) : width };
  }
  // where row r (in display order) is drawn
  const rowX = (r) => Math.floor(r / L.perBlock) * L.blockW;
  const rowY = (r) => L.headerH + (r % L.perBlock) * L.rowH;

  function draw() {
    L = layout();
    const dpr = Math.min(window.devicePixelRatio || 1, 32000 / Math.max(1, L.height));
    canvas.width = Math.round(L.width * dpr);
    canvas.height = Math.round(L.height * dpr);
    canvas.style.height = L.height + "px";
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, L.width, L.height);
    ctx.font = FONT;
    ctx.textBaseline = "middle";
    const ink = css("--ink"), dim = css("--dim"), neg = css("--neg"), pos = css("--pos");
    const bandNeg = css("--band-neg"), bandPos = css("--band-pos"), soft = css("--soft");
    const every = maxCols <= 30 ? 1 : L.cell >= 6 ? 10 : L.cell >= 3 ? 25 : 50;
    const usedBlocks = Math.min(L.blocks, Math.ceil(order.length / L.perBlock));
    for (let b = 0; b < usedBlocks; b++) {  // column headers
      const bx = b * L.blockW, gx = bx + L.labelW;
      ctx.fillStyle = dim;
      ctx.textAlign = "center";
      for (let j = 0; j < maxCols; j += every) ctx.fillText(String(j), gx + j * L.cell + (L.cell - L.gap) / 2, L.headerH / 2);
      ctx.textAlign = "left";
      ctx.fillText(b === 0 ? "sample →" : "", bx + 4, L.headerH / 2);
    }
    let drawn = 0;
    const round = L.cell >= 10 && ctx.roundRect;
    const rowW = L.labelW + maxCols * L.cell + L.rightW;
    order.forEach((i, r) => {
      const bx = rowX(r), y = rowY(r), gx = bx + L.labelW, right = gx + maxCols * L.cell + 10;
      if (CMP) {
        const f = G.cmp.flip[i], ch = G.cmp.change[i];
        const band = f === "n" || ch < 0 ? bandNeg : f === "p" || ch > 0 ? bandPos : null;
        if (band) { ctx.fillStyle = band; ctx.fillRect(bx, y, Math.min(rowW, L.blockW - 8), L.rowH); }
      }
      if (r === hoverRow) { ctx.fillStyle = soft; ctx.fillRect(bx, y, L.labelW - 4, L.rowH); }
      ctx.fillStyle = ink;
      let name = G.tasks[i];
      if (ctx.measureText(name).width > L.labelW - 14) {
        while (name.length > 3 && ctx.measureText(name + "…").width > L.labelW - 14) name = name.slice(0, -1);
        name += "…";
      }
      ctx.fillText(name, bx + 4, y + L.rowH / 2);
      const s = G.cells[i], cy = y + (L.rowH - L.cellH) / 2;
      for (let j = 0; j < s.length; j++) {
        const code = s[j];
        ctx.globalAlpha = only && code !== only ? 0.12 : 1;
        ctx.fillStyle = colour(code);
        const x = gx + j * L.cell, w = L.cell - L.gap;
        if (round) { ctx.beginPath(); ctx.roundRect(x, cy, w, L.cellH, 3); ctx.fill(); }
        else ctx.fillRect(x, cy, Math.max(1, w), L.cellH);
        drawn++;
      }
      ctx.globalAlpha = 1;
      ctx.fillStyle = dim;
      ctx.fillText(passCount[i] + "/" + s.length, right, y + L.rowH / 2);
      const note = cmpNote(i);
      if (note) {
        const f = G.cmp.flip[i], ch = G.cmp.change[i];
        ctx.fillStyle = f === "n" || ch < 0 ? neg : pos;
        ctx.fillText(note, right + 42, y + L.rowH / 2);
      }
    });
    if (selected) {
      const r = order.indexOf(selected.i);
      if (r >= 0 && selected.j >= 0) {
        ctx.strokeStyle = ink;
        ctx.lineWidth = 2;
        const x = rowX(r) + L.labelW + selected.j * L.cell, y = rowY(r) + (L.rowH - L.cellH) / 2;
        ctx.strokeRect(x - 1.5, y - 1.5, Math.max(1, L.cell - L.gap) + 3, L.cellH + 3);
      }
    }
    canvas.dataset.rows = String(order.length);
    canvas.dataset.cols = String(maxCols);
    canvas.dataset.cells = String(drawn);
  }

  function hit(ev) {
    if (!L) return null;
    const rect = canvas.getBoundingClientRect();
    const x = ev.clientX - rect.left, y = ev.clientY - rect.top;
    const b = Math.floor(x / L.blockW), inRow = Math.floor((y - L.headerH) / L.rowH);
    if (b >= L.blocks || inRow < 0 || inRow >= L.perBlock) return null;
    const r = b * L.perBlock + inRow;
    if (r >= order.length) return null;
    const i = order[r], bx = x - b * L.blockW;
    if (bx < L.labelW) return { i, j: -1, r, x, y };
    const j = Math.floor((bx - L.labelW) / L.cell);
    if (j < 0 || j >= G.cells[i].length) return { i, j: -2, r, x, y };
    return { i, j, r, x, y };
  }

  canvas.addEventListener("mousemove", (ev) => {
    const h = hit(ev);
    const row = h ? h.r : -1;
    if (row !== hoverRow) { hoverRow = row; draw(); }
    if (!h || h.j === -2) { tip.hidden = true; return; }
    const i = h.i, s = G.cells[i];
    let text;
    if (h.j === -1) text = G.tasks[i] + "\n" + passCount[i] + " of " + s.length + " passed";
    else text = G.tasks[i] + " · sample " + cidAt(i, h.j) + "\n" + label(s[h.j]);
    if (CMP) {
      const a = G.cmp.a[i];
      text += "\nbaseline " + a[0] + "/" + a[1] + " → now " + passCount[i] + "/" + s.length;
    }
    tip.textContent = text;
    tip.hidden = false;
    const wrap = canvas.parentElement.getBoundingClientRect();
    const left = Math.min(h.x + 14, wrap.width - tip.offsetWidth - 4);
    tip.style.left = left + "px";
    tip.style.top = (h.y + 16) + "px";
  });
  canvas.addEventListener("mouseleave", () => { tip.hidden = true; hoverRow = -1; draw(); });
  canvas.addEventListener("click", (ev) => {
    const h = hit(ev);
    if (!h || h.j === -2) return;
    location.hash = h.j === -1 ? "#task=" + encodeURI(G.tasks[h.i]) : sampleHash(G.tasks[h.i], cidAt(h.i, h.j));
  });
  $("sort").addEventListener("change", () => { computeOrder(); draw(); });
  $("filter").addEventListener("input", () => { computeOrder(); draw(); });
  document.querySelectorAll("#legend button.key").forEach((b) => b.addEventListener("click", () => {
    only = only === b.dataset.code ? null : b.dataset.code;
    document.querySelectorAll("#legend button.key").forEach((o) => o.classList.toggle("off", !!only && o.dataset.code !== only));
    draw();
  }));
  let resizeTimer = 0;
  window.addEventListener("resize", () => { clearTimeout(resizeTimer); resizeTimer = setTimeout(draw, 80); });

  // ------------------------------------------------------------------------------------- sample details (lazy)
  const chunks = new Map();
  async function inflate(el) {
    if (typeof DecompressionStream === "undefined") throw new Error("this browser lacks DecompressionStream; open the report in a current Chrome, Edge, Firefox or Safari");
    const bin = atob(el.textContent.trim());
    const bytes = new Uint8Array(bin.length);
    for (let k = 0; k < bin.length; k++) bytes[k] = bin.charCodeAt(k);
    const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
    return JSON.parse(await new Response(stream).text());
  }
  function taskData(i) {
    if (!chunks.has(i)) chunks.set(i, inflate($("chunk-" + i)));
    return chunks.get(i);
  }
  function baselineData(tid) {
    const el = baselineEls.get(tid);
    if (!el) return Promise.resolve(null);
    const key = "base:" + tid;
    if (!chunks.has(key)) chunks.set(key, inflate(el));
    return chunks.get(key);
  }

  const KW = "False|None|True|and|as|assert|async|await|break|class|continue|def|del|elif|else|except|finally|for|from|global|if|import|in|is|lambda|nonlocal|not|or|pass|raise|return|try|while|with|yield";
  const TOKEN = new RegExp("(#[^\\n]*)|([rbfuRBFU]{0,2}(?:\"\"\"[\\s\\S]*?(?:\"\"\"|$)|'''[\\s\\S]*?(?:'''|$)|\"(?:\\\\.|[^\"\\\\\\n])*\"?|'(?:\\\\.|[^'\\\\\\n])*'?))|\\b(def|class)(\\s+)([A-Za-z_]\\w*)|\\b(" + KW + ")\\b|\\b(\\d[\\d_]*(?:\\.\\d+)?(?:[eE][+-]?\\d+)?j?)\\b", "g");
  function highlight(src) {
    let out = "", last = 0;
    for (const m of src.matchAll(TOKEN)) {
      out += esc(src.slice(last, m.index));
      if (m[1]) out += '<span class="cm">' + esc(m[1]) + "</span>";
      else if (m[2]) out += '<span class="st">' + esc(m[2]) + "</span>";
      else if (m[3]) out += '<span class="kw">' + m[3] + "</span>" + m[4] + '<span class="fn">' + esc(m[5]) + "</span>";
      else if (m[6]) out += '<span class="kw">' + m[6] + "</span>";
      else out += '<span class="nu">' + esc(m[7]) + "</span>";
      last = m.index + m[0].length;
    }
    return out + esc(src.slice(last));
  }
  function codeBlock(src, id) {
    const n = (src.match(/\n/g) || []).length + (src.endsWith("\n") ? 0 : 1);
    const nums = Array.from({ length: Math.max(1, n) }, (_, k) => k + 1).join("\n");
    return '<div class="code"' + (id ? ' id="' + id + '"' : "") + '><pre class="ln">' + nums + '</pre><pre class="src">' +
      highlight(src) + '</pre><button type="button" class="copy">copy</button></div>';
  }

  // first_failure is "<test or input>: <message>"; messages of value-compared tests read "expected X, got Y".
  // The test's text may itself hold ": ", so split where the message looks like one.
  const MSG = /^(expected |case |assert\b|[A-Z][A-Za-z0-9_.]*(Error|Exception|Exit|Warning|Interrupt|Value|Limit)\b)/;
  function parseFailure(ff, et) {
    if (!ff) return null;
    const m = ff.match(/^([\s\S]*?): expected ([\s\S]*?), got ([\s\S]*)$/);
    if (m) return { test: m[1], expected: m[2], actual: m[3] };
    for (let k = ff.indexOf(": "); k > 0; k = ff.indexOf(": ", k + 1)) {
      const test = ff.slice(0, k), msg = ff.slice(k + 2);
      if (msg === test) return { test, message: (et || "AssertionError") + ": the test's condition was false" };
      if (MSG.test(msg) || (et && msg.startsWith(et))) return { test, message: msg };
    }
    return { message: ff };
  }

  const drawer = $("drawer"), dTitle = $("drawer-title"), dBody = $("drawer-body");
  let current = null;  // {i, j} of the sample shown

  const pill = (code) => '<span class="status" style="background:' + colour(code) + '">' + esc(label(code)) + "</span>";
  const box = (title, text, cls) => text ? "<h4>" + title + '</h4><div class="box ' + (cls || "") + '"><pre>' + esc(text) + "</pre></div>" : "";
  const fact = (k, v, cls) => '<div class="fact' + (cls ? " " + cls : "") + '"><div class="k">' + k + '</div><div class="v">' + esc(v) + "</div></div>";

  function sampleStrip(i, curJ) {
    const s = G.cells[i];
    let h = '<div class="samples">';
    for (let j = 0; j < s.length; j++) {
      const cid = cidAt(i, j);
      h += '<a href="' + sampleHash(G.tasks[i], cid) + '" style="background:' + colour(s[j]) + '" title="sample ' + esc(cid) + ": " +
        esc(label(s[j])) + '"' + (j === curJ ? ' class="cur"' : "") + ">" + esc(cid) + "</a>";
    }
    return h + "</div>";
  }

  function comparisonBlock(i) {
    if (!CMP) return "";
    const a = G.cmp.a[i], f = G.cmp.flip[i], ch = G.cmp.change[i];
    let verdict = "unchanged";
    if (f === "n") verdict = '<b class="neg">negative flip</b>: passed in the baseline, fails now';
    else if (f === "p") verdict = '<b class="pos">positive flip</b>: failed in the baseline, passes now';
    else if (ch < 0) verdict = '<b class="neg">regressed ' + Math.abs(ch * 100).toFixed(1) + " pts</b>";
    else if (ch > 0) verdict = '<b class="pos">improved ' + (ch * 100).toFixed(1) + " pts</b>";
    return '<h4>Against the baseline</h4><div class="cmpbox">baseline ' + a[0] + "/" + a[1] + " passed → now " +
      passCount[i] + "/" + G.cells[i].length + " · " + verdict + ' <span class="dim">(' + esc(CMP.variant) + " tests)</span></div>";
  }

  async function fillBaseline(i) {
    const holder = $("baseline-detail");
    if (!holder) return;
    const data = await baselineData(G.tasks[i]);
    if (!data || $("baseline-detail") !== holder) return;
    let h = "<h4>The baseline's " + (data.s.length === 1 ? "sample" : "samples") + "</h4>";
    for (const rec of data.s) {
      const code = rec.ok && rec.pp === false ? "b" : (D.status_codes[rec.s] || "u");
      h += '<details class="baseline-sample"' + (data.s.length === 1 ? " open" : "") + '><summary>sample ' + esc(rec.i) + " " + pill(code) +
        (rec.ff ? ' <span class="dim">' + esc(rec.ff.slice(0, 120)) + "</span>" : "") + "</summary>" + codeBlock(data.p[rec.p]) + "</details>";
    }
    holder.innerHTML = h;
  }

  function showDrawer() {
    drawer.hidden = false;
  }

  function renderMissing(what) {
    current = null;
    dTitle.textContent = what;
    dBody.innerHTML = '<p class="dim">Not in this run.</p>';
    showDrawer();
  }

  async function openSample(tid, cid) {
    const i = taskIndex.get(tid);
    if (i === undefined) return renderMissing("no task " + tid);
    const j = colOf(i, cid);
    if (j < 0) return renderMissing("no sample " + tid + "/" + cid);
    current = { i, j };
    selected = { i, j };
    draw();
    const code = G.cells[i][j];
    dTitle.innerHTML = "<span>" + esc(tid) + ' <span class="dim">· sample ' + esc(cid) + "</span></span>" + pill(code);
    dBody.innerHTML = '<p class="dim">decoding…</p>';
    drawer.dataset.loaded = "";
    showDrawer();
    let data;
    try { data = await taskData(i); } catch (e) { dBody.innerHTML = '<p class="warning">' + esc(e.message || e) + "</p>"; return; }
    if (!current || current.i !== i || current.j !== j) return;  // the user moved on meanwhile
    const rec = data.s.find((r) => String(r.i) === String(cid)) || data.s[j];
    const prog = data.p[rec.p] || "";
    let h = sampleStrip(i, j);
    h += '<div class="facts" style="margin-top:12px">' +
      fact("tests passed", rec.tt != null ? (rec.tp || 0) + " / " + rec.tt : "—") +
      (D.has_plus ? fact("base / plus", (rec.ok ? "pass" : "fail") + " / " + (rec.pp == null ? "—" : rec.pp ? "pass" : "fail")) : "") +
      fact("error type", rec.et || "—") + fact("wall time", secs(rec.w)) + fact("CPU time", secs(rec.c)) +
      fact("peak memory", rec.m != null ? rec.m + " MB" : "—") + fact("source", rec.src || "—", "wide") + "</div>";
    const f = parseFailure(rec.ff, rec.et);
    if (f) {
      h += '<section id="failure">';
      if (f.test) h += box("Failing test" + (f.test.startsWith("input ") ? " (input)" : ""), f.test);
      if (f.expected !== undefined) {
        h += '<h4>Expected vs actual</h4><div class="expect"><div class="box want"><div class="dim">expected</div><pre>' + esc(f.expected) +
          '</pre></div><div class="box got"><div class="dim">actual</div><pre>' + esc(f.actual) + "</pre></div></div>";
      }
      if (f.message) h += box("Error", f.message, "err");
      h += "</section>";
    }
    h += box("Detail", rec.d);
    h += comparisonBlock(i);
    h += "<h4>Program</h4>" + codeBlock(prog, "program");
    h += box("stderr (tail)", rec.se, "err");
    h += box("stdout (tail)", rec.so);
    if (CMP) h += '<div id="baseline-detail"></div>';
    dBody.innerHTML = h;
    dBody.scrollTop = 0;
    drawer.dataset.loaded = tid + "/" + cid;
    fillBaseline(i);
  }

  function openTask(tid) {
    const i = taskIndex.get(tid);
    if (i === undefined) return renderMissing("no task " + tid);
    if (G.cells[i].length === 1) return openSample(tid, cidAt(i, 0));
    current = { i, j: -1 };
    selected = null;
    draw();
    const s = G.cells[i], counts = {};
    for (const ch of s) counts[ch] = (counts[ch] || 0) + 1;
    dTitle.innerHTML = "<span>" + esc(tid) + '</span><span class="dim">' + passCount[i] + " of " + s.length + " passed</span>";
    let h = "<h4>Samples</h4>" + sampleStrip(i, -1) + '<div class="legend" style="margin-top:10px">';
    for (const [ch, n] of Object.entries(counts)) h += '<span class="key"><span class="sw" style="background:' + colour(ch) + '"></span>' + esc(label(ch)) + " " + n + "</span>";
    h += "</div>" + comparisonBlock(i) + (CMP ? '<div id="baseline-detail"></div>' : "");
    const firstBad = [...s].findIndex((ch) => !PASS.has(ch));
    if (firstBad >= 0) h += '<p><a href="' + sampleHash(tid, cidAt(i, firstBad)) + '">open the first failing sample →</a></p>';
    dBody.innerHTML = h;
    drawer.dataset.loaded = tid;
    showDrawer();
    fillBaseline(i);
  }

  function closeDrawer() {
    drawer.hidden = true;
    current = null;
    selected = null;
    draw();
  }

  function step(delta) {
    if (!current) return;
    let r = order.indexOf(current.i), j = current.j + delta;
    if (r < 0) r = 0;
    let i = order[r];
    if (j < 0 || j >= G.cells[i].length) {
      r += delta;
      if (r < 0 || r >= order.length) return;
      i = order[r];
      j = delta > 0 ? 0 : G.cells[i].length - 1;
    }
    location.hash = sampleHash(G.tasks[i], cidAt(i, j));
  }

  function route() {
    let h = location.hash.slice(1);
    try { h = decodeURIComponent(h); } catch (e) { /* keep it raw */ }
    if (h.startsWith("sample=")) {
      const v = h.slice(7), k = v.lastIndexOf("/");
      if (k > 0) openSample(v.slice(0, k), v.slice(k + 1)); else renderMissing("bad sample link " + v);
    } else if (h.startsWith("task=")) openTask(h.slice(5));
    else if (!drawer.hidden) closeDrawer();
  }

  $("close").addEventListener("click", () => { history.replaceState(null, "", location.pathname + location.search); closeDrawer(); });
  $("prev").addEventListener("click", () => step(-1));
  $("next").addEventListener("click", () => step(1));
  document.addEventListener("keydown", (ev) => {
    if (drawer.hidden || ev.target.matches("input, select, textarea")) return;
    if (ev.key === "Escape") $("close").click();
    else if (ev.key === "ArrowLeft") step(-1);
    else if (ev.key === "ArrowRight") step(1);
  });
  dBody.addEventListener("click", (ev) => {
    const b = ev.target.closest("button.copy");
    if (!b) return;
    const src = b.parentElement.querySelector("pre.src").textContent;
    const done = () => { b.textContent = "copied"; setTimeout(() => { b.textContent = "copy"; }, 1200); };
    if (navigator.clipboard) navigator.clipboard.writeText(src).then(done, () => {}); else done();
  });
  window.addEventListener("hashchange", route);

  computeOrder();
  draw();
  // for tests and the curious: ms from navigation start until the grid was drawn, and of that, this script's share
  document.documentElement.dataset.readyMs = performance.now().toFixed(1);
  document.documentElement.dataset.scriptMs = (performance.now() - t0).toFixed(1);
  document.documentElement.dataset.ready = "1";
  route();
})();
