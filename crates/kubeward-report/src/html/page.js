// kubeward HTML report: draws the page from the data embedded above (gzip + base64 JSON).
// Written for this report, no library: every text goes in through textContent, never as HTML.
"use strict";
(function () {
  const T0 = performance.now();
  const SEV = ["critical", "high", "medium", "low", "info"];
  const PAGE_SIZES = [50, 100, 500];
  // Finding fields: see HtmlWriter::row.
  const F = { rep: 0, ctl: 1, sev: 2, api: 3, kind: 4, ns: 5, name: 6, file: 7, line: 8, col: 9, path: 10, msg: 11, by: 12, why: 13, exp: 14 };
  // The namespace filter's value for objects without one (cluster-scoped, or not set in the
  // manifest).
  const NONE = "\u0000";
  const FRAMEWORKS = ["pss-baseline", "pss-restricted", "nsa", "cis", "mitre"];

  function h(tag, attrs, ...kids) {
    const e = document.createElement(tag);
    for (const k in attrs || {}) {
      const v = attrs[k];
      if (v === null || v === undefined || v === false) continue;
      if (k === "class") e.className = v;
      else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
      else e.setAttribute(k, v === true ? "" : v);
    }
    for (const c of kids.flat(Infinity)) {
      if (c === null || c === undefined || c === false) continue;
      e.append(c instanceof Node ? c : String(c));
    }
    return e;
  }
  const fmt = (n) => Number(n || 0).toLocaleString("en-US");

  const phases = {};
  async function load() {
    phases.start = performance.now();
    const el = document.getElementById("kw-data");
    const bin = atob(el.textContent.trim());
    el.textContent = "";
    const bytes = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    phases.decoded = performance.now();
    // The whole input written at once and the output read in chunks: several times faster
    // than piping a Blob's stream through it into Response.text().
    const ds = new DecompressionStream("gzip");
    const w = ds.writable.getWriter();
    w.write(bytes).catch(() => {});
    w.close().catch(() => {});
    const reader = ds.readable.getReader();
    const parts = [];
    let n = 0;
    for (;;) {
      const r = await reader.read();
      if (r.done) break;
      parts.push(r.value);
      n += r.value.length;
    }
    const all = new Uint8Array(n);
    let o = 0;
    for (const p of parts) { all.set(p, o); o += p.length; }
    const text = new TextDecoder().decode(all);
    phases.inflated = performance.now();
    const data = JSON.parse(text);
    phases.parsed = performance.now();
    return data;
  }

  let D, S, C, rows, view, fwMask;
  const state = { q: "", sev: "", ctl: "", fw: "", ns: "", kind: "", rep: "", file: "", status: "active", sort: "sev", dir: 1, page: 0, size: 100, selected: -1 };

  let NODE = false;
  function status(r) {
    if (NODE) return r[F.by] ? S[r[F.by]] : "fail";
    if (!r[F.by]) return "active";
    return S[r[F.by]] === "platform" ? "platform" : "suppressed";
  }
  function objLabel(r) {
    if (NODE) return S[r[F.name]] || "—";
    const ns = S[r[F.ns]];
    return S[r[F.kind]] + "/" + (ns ? ns + "/" : "") + S[r[F.name]];
  }
  function locLabel(r) {
    if (!S[r[F.file]]) return "—";
    if (!r[F.line]) return S[r[F.file]];
    return S[r[F.file]] + ":" + r[F.line] + ":" + r[F.col];
  }

  // ---- data preparation ----
  function prepare() {
    S = D.strings;
    C = D.controls;
    rows = D.findings;
    NODE = D.meta.kind === "node";
    if (NODE) state.status = "fail";
    fwMask = C.map((c) => {
      const f = c.frameworks || {};
      let m = 0;
      if (f.pss) m |= f.pss.level === "baseline" ? 3 : 2;
      if (f.nsa && f.nsa.length) m |= 4;
      if (f.cis && f.cis.length) m |= 8;
      if (f.mitre && f.mitre.length) m |= 16;
      return m;
    });
  }

  // ---- summary ----
  function totals() {
    const t = { sev: [0, 0, 0, 0, 0], suppressed: 0, platform: 0, ns: new Map(), kind: new Map(), ctl: new Map(), reasons: new Map(), images: new Map(), nsScore: new Map(), kindScore: new Map() };
    // Per namespace and per kind: the controls failed (reported findings) and the objects
    // failing, for the compliance tables.
    const score = (m, k, r) => {
      let e = m.get(k);
      if (!e) { e = { ctl: new Set(), obj: new Set(), findings: 0 }; m.set(k, e); }
      e.ctl.add(r[F.ctl]);
      e.obj.add(r[F.rep] + ":" + r[F.kind] + ":" + r[F.ns] + ":" + r[F.name]);
      e.findings++;
    };
    for (const r of rows) {
      const st = status(r);
      if (NODE) { t[st] = (t[st] || 0) + 1; if (st !== "fail") continue; }
      else if (st !== "active") {
        t[st]++;
        const k = S[r[F.by]] + "\u0000" + S[r[F.why]] + "\u0000" + (S[r[F.exp]] || "");
        t.reasons.set(k, (t.reasons.get(k) || 0) + 1);
        continue;
      }
      t.sev[r[F.sev]]++;
      const ns = S[r[F.ns]] || NONE;
      t.ns.set(ns, (t.ns.get(ns) || 0) + 1);
      t.kind.set(S[r[F.kind]], (t.kind.get(S[r[F.kind]]) || 0) + 1);
      t.ctl.set(r[F.ctl], (t.ctl.get(r[F.ctl]) || 0) + 1);
      score(t.nsScore, ns, r);
      score(t.kindScore, S[r[F.kind]], r);
      if (C[r[F.ctl]].id === "KW1101") t.images.set(r[F.msg].split(" ")[0], 0);
    }
    return t;
  }

  function sum(key) {
    let n = 0;
    for (const r of D.meta.reports) n += (r.summary && r.summary[key]) || 0;
    return n;
  }

  function topTable(caption, map, filterKey, label) {
    const entries = [...map.entries()].sort((a, b) => b[1] - a[1]);
    const shown = entries.slice(0, 12);
    return h("table", {},
      h("caption", {}, caption, entries.length > 12 ? h("span", { class: "muted" }, " (top 12 of " + fmt(entries.length) + ")") : null),
      h("thead", {}, h("tr", {}, h("th", { scope: "col" }, label), h("th", { scope: "col", class: "num" }, "Findings"))),
      h("tbody", {}, shown.map(([k, n]) => h("tr", {},
        h("td", {}, h("button", { class: "link", type: "button", onclick: () => applyFilter(filterKey, filterKey === "ctl" ? String(k) : k) }, filterKey === "ctl" ? C[k].id + " " + C[k].title : k === NONE ? "(no namespace)" : k)),
        h("td", { class: "num" }, fmt(n))))));
  }

  function scoreTable() {
    const body = [];
    for (const rep of D.meta.reports) {
      const fw = (rep.summary && rep.summary.frameworks) || {};
      for (const name of Object.keys(fw)) {
        const s = fw[name];
        const pct = Math.round(s.score * 10) / 10;
        body.push(h("tr", {},
          D.meta.reports.length > 1 ? h("td", {}, rep.name) : null,
          h("th", { scope: "row" }, name),
          h("td", {}, h("span", { class: "bar", role: "presentation" }, h("span", { style: "width:" + Math.max(0, Math.min(100, s.score)) + "%" })), pct + "%"),
          h("td", { class: "num" }, fmt(s.passed) + " / " + fmt(s.controls)),
          h("td", { class: "num" }, fmt(s.controls - s.passed)),
          h("td", { class: "num" }, fmt(s.failingResources))));
      }
    }
    if (!body.length) return h("p", { class: "muted" }, "No framework was scored.");
    return h("table", {},
      h("caption", {}, "Compliance per framework"),
      h("thead", {}, h("tr", {}, D.meta.reports.length > 1 ? h("th", { scope: "col" }, "Report") : null,
        h("th", { scope: "col" }, "Framework"), h("th", { scope: "col" }, "Score"),
        h("th", { scope: "col", class: "num" }, "Controls passed"), h("th", { scope: "col", class: "num" }, "Controls failed"),
        h("th", { scope: "col", class: "num" }, "Failing resources"))),
      h("tbody", {}, body));
  }

  // The scored frameworks and how many of their controls ran (the most of any report in a
  // fleet), from the reports' summaries.
  function scored() {
    const out = [];
    FRAMEWORKS.forEach((name, bit) => {
      let n = 0;
      for (const rep of D.meta.reports) {
        const s = rep.summary && rep.summary.frameworks && rep.summary.frameworks[name];
        if (s) n = Math.max(n, s.controls);
      }
      if (n) out.push([name, bit, n]);
    });
    return out;
  }

  // Compliance per namespace or per kind: each framework's score counted as the report counts
  // it (controls passed / controls evaluated, a control failing when it has a reported finding
  // there), the objects failing and the findings.
  function complianceTable(caption, map, filterKey, label) {
    const fws = scored();
    const entries = [...map.entries()].sort((a, b) => b[1].findings - a[1].findings || (a[0] < b[0] ? -1 : 1));
    const shown = entries.slice(0, 25);
    return h("table", { class: "compliance", "data-compliance": filterKey },
      h("caption", {}, caption, entries.length > 25 ? h("span", { class: "muted" }, " (the 25 with most findings of " + fmt(entries.length) + ")") : null),
      h("thead", {}, h("tr", {}, h("th", { scope: "col" }, label),
        fws.map(([name]) => h("th", { scope: "col", class: "num" }, name)),
        h("th", { scope: "col", class: "num" }, "Objects failing"), h("th", { scope: "col", class: "num" }, "Findings"))),
      h("tbody", {}, shown.map(([k, e]) => h("tr", {},
        h("th", { scope: "row" }, h("button", { class: "link", type: "button", onclick: () => applyFilter(filterKey, k) }, k === NONE ? "(no namespace)" : k)),
        fws.map(([name, bit, n]) => {
          let failed = 0;
          for (const c of e.ctl) if (fwMask[c] & (1 << bit)) failed++;
          const pct = Math.round((n - failed) * 1000 / n) / 10;
          return h("td", { class: "num", title: fmt(n - failed) + " of " + fmt(n) + " controls passed" }, pct + "%");
        }),
        h("td", { class: "num" }, fmt(e.obj.size)),
        h("td", { class: "num" }, fmt(e.findings))))));
  }

  function nodeSummary(t) {
    const n = D.meta.reports[0].node || {};
    const node = n.node || {};
    const cards = [["fail", "Fail", "sev-high"], ["warn", "Warn", "sev-medium"], ["manual", "Manual", ""], ["pass", "Pass", ""]]
      .map(([k, l, c]) => h("li", {}, h("span", { class: "n " + c }, fmt(t[k] || 0)), h("span", { class: "l" }, l)));
    const sections = new Map();
    for (const r of rows) {
      const sec = S[r[F.ns]];
      const e = sections.get(sec) || { fail: 0, warn: 0, manual: 0, pass: 0 };
      e[status(r)] = (e[status(r)] || 0) + 1;
      sections.set(sec, e);
    }
    const titles = new Map(((n.sections) || []).map((x) => [x.id, x.title]));
    return h("section", { id: "summary", "aria-labelledby": "summary-h" },
      h("h2", { id: "summary-h" }, "Summary"),
      h("p", {}, "Node role: " + (node.role || "?") + " (" + (node.roleSource || "?") + "), root " + (node.root || "/")),
      h("ul", { class: "cards", "aria-label": "Checks by status" }, cards),
      h("table", {}, h("caption", {}, "Checks per section"),
        h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Section"), ["Fail", "Warn", "Manual", "Pass"].map((x) => h("th", { scope: "col", class: "num" }, x)))),
        h("tbody", {}, [...sections.entries()].map(([sec, e]) => h("tr", {},
          h("th", { scope: "row" }, h("button", { class: "link", type: "button", onclick: () => { applyFilter("status", "all"); applyFilter("ns", sec); } }, sec + " " + (titles.get(sec) || ""))),
          ["fail", "warn", "manual", "pass"].map((k) => h("td", { class: "num" }, fmt(e[k])))))),
      ));
  }

  // `kubeward audit`: its own summary (events read, findings per detection and per user) and
  // the timeline of its findings.
  function auditSection() {
    const a = (D.meta.reports[0].sections || {}).audit;
    if (!a || D.meta.reports.length > 1) return null;
    const s = a.summary || {};
    const tl = a.timeline || [];
    const cards = [["lines", "Lines"], ["events", "Audit events"], ["requests", "Requests"], ["findings", "Findings"], ["suppressed", "Suppressed"], ["errors", "Input errors"]]
      .map(([k, l]) => h("li", {}, h("span", { class: "n" }, fmt(s[k])), h("span", { class: "l" }, l)));
    const users = Object.entries(s.byUser || {}).sort((x, y) => y[1].findings - x[1].findings || (x[0] < y[0] ? -1 : 1));
    const detections = Object.entries(s.byDetection || {});
    const title = (id) => { const c = C.find((x) => x.id === id); return c ? c.title : ""; };
    return h("section", { id: "audit", "aria-labelledby": "audit-h" },
      h("h2", { id: "audit-h" }, "Audit log"),
      h("ul", { class: "cards", "aria-label": "Audit counts" }, cards),
      h("div", { class: "grid" },
        h("table", { "data-audit": "detections" }, h("caption", {}, "By detection"),
          h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Detection"), h("th", { scope: "col", class: "num" }, "Findings"))),
          h("tbody", {}, detections.map(([id, n]) => h("tr", {}, h("th", { scope: "row" }, id + " " + title(id)), h("td", { class: "num" }, fmt(n)))))),
        h("table", { "data-audit": "users" }, h("caption", {}, "By user", users.length > 100 ? h("span", { class: "muted" }, " (the first 100 of " + fmt(users.length) + ")") : null),
          h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "User"), h("th", { scope: "col", class: "num" }, "Findings"), h("th", { scope: "col" }, "Detections"))),
          h("tbody", {}, users.slice(0, 100).map(([u, e]) => h("tr", {}, h("th", { scope: "row" }, u), h("td", { class: "num" }, fmt(e.findings)),
            h("td", {}, Object.entries(e.byDetection || {}).map(([id, n]) => id + " ×" + n).join(", "))))))),
      tl.length ? h("table", { "data-audit": "timeline" },
        h("caption", {}, "Timeline" + (tl.length > 500 ? " (the first 500 of " + fmt(tl.length) + ")" : "") + (s.timelineTruncated ? "; the report keeps the first " + fmt(tl.length) + " findings" : "")),
        h("thead", {}, h("tr", {}, ["Time", "Severity", "Detection", "User", "Request", "Response", "Log line"].map((x) => h("th", { scope: "col" }, x)))),
        h("tbody", {}, tl.slice(0, 500).map((e) => h("tr", {},
          h("td", { class: "loc" }, e.time), h("td", {}, h("span", { class: "sev sev-" + e.severity }, e.severity)), h("td", {}, e.id),
          h("td", {}, e.user + (e.impersonatedUser ? " (as " + e.impersonatedUser + ")" : "")),
          h("td", {}, e.verb + " " + e.object), h("td", { class: "num" }, e.responseCode === undefined ? "—" : e.responseCode),
          h("td", { class: "loc" }, e.file + ":" + e.line))))) : h("p", { class: "muted" }, "No finding in the log."));
  }

  function summarySection(t) {
    if (NODE) return nodeSummary(t);
    const cards = SEV.map((s, i) => h("li", {}, h("span", { class: "n sev-" + s }, fmt(t.sev[i])), h("span", { class: "l" }, s[0].toUpperCase() + s.slice(1))));
    // The reports' own counts (a report written without its suppressed findings still counts them).
    cards.push(h("li", {}, h("span", { class: "n" }, fmt(Math.max(t.suppressed, sum("suppressed")))), h("span", { class: "l" }, "Suppressed")));
    cards.push(h("li", {}, h("span", { class: "n" }, fmt(Math.max(t.platform, sum("platform")))), h("span", { class: "l" }, "Platform")));
    cards.push(h("li", {}, h("span", { class: "n" }, fmt(sum("objects"))), h("span", { class: "l" }, "Objects")));
    cards.push(h("li", {}, h("span", { class: "n" }, fmt(sum("files"))), h("span", { class: "l" }, "Files")));
    cards.push(h("li", {}, h("span", { class: "n" + (sum("errors") ? " sev-high" : "") }, fmt(sum("errors"))), h("span", { class: "l" }, "Input errors")));
    const parts = [h("h2", { id: "summary-h" }, "Summary"), h("ul", { class: "cards", "aria-label": "Counts" }, cards)];
    if (D.meta.reports.length > 1) {
      parts.push(h("table", {},
        h("caption", {}, "Reports"),
        h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Report"), h("th", { scope: "col" }, "Kind"), h("th", { scope: "col", class: "num" }, "Objects"),
          SEV.map((s) => h("th", { scope: "col", class: "num" }, s)), h("th", { scope: "col", class: "num" }, "Errors"), h("th", { scope: "col", class: "num" }, "Exit code"))),
        h("tbody", {}, D.meta.reports.map((r, i) => h("tr", {},
          h("th", { scope: "row" }, h("button", { class: "link", type: "button", onclick: () => applyFilter("rep", String(i)) }, r.name)),
          h("td", {}, r.kind || "scan"),
          h("td", { class: "num" }, fmt(r.summary && r.summary.objects)),
          SEV.map((s) => h("td", { class: "num" }, fmt(r.summary && r.summary.bySeverity && r.summary.bySeverity[s]))),
          h("td", { class: "num" }, fmt(r.summary && r.summary.errors)),
          h("td", { class: "num" }, r.summary ? r.summary.exitCode : "?"))))));
    }
    parts.push(scoreTable());
    if (scored().length) {
      parts.push(complianceTable("Compliance per namespace (controls passed, as the framework's score)", t.nsScore, "ns", "Namespace"));
      parts.push(complianceTable("Compliance per kind", t.kindScore, "kind", "Kind"));
    }
    parts.push(h("div", { class: "grid" },
      topTable("By namespace", t.ns, "ns", "Namespace"),
      topTable("By kind", t.kind, "kind", "Kind"),
      topTable("By control", t.ctl, "ctl", "Control")));
    return h("section", { id: "summary", "aria-labelledby": "summary-h" }, parts);
  }

  // ---- risks ----
  const NS = "http://www.w3.org/2000/svg";
  function s(tag, attrs, ...kids) {
    const e = document.createElementNS(NS, tag);
    for (const k in attrs) e.setAttribute(k, attrs[k]);
    for (const c of kids) e.append(c instanceof Node ? c : String(c));
    return e;
  }
  function clip(t, n) { t = String(t || ""); return t.length > n ? t.slice(0, n - 1) + "…" : t; }

  function lastNode(r) {
    const st = (r.steps || [])[(r.steps || []).length - 1];
    return (st && st.to && st.to.description) || (r.impact && r.impact.description) || "?";
  }

  function chainSvg(risk) {
    const nodes = [risk.entry].concat((risk.steps || []).map((st) => st.to));
    const W = 640, BH = 34, GAP = 40;
    const height = nodes.length * BH + (nodes.length - 1) * GAP + 4;
    const chain = nodes.map((n) => n && n.description).join(" → ");
    const svg = s("svg", { viewBox: "0 0 " + W + " " + height, width: W, height: height, role: "img", "aria-label": "Attack path: " + chain });
    svg.append(s("title", {}, "Attack path: " + chain));
    nodes.forEach((n, i) => {
      const y = 2 + i * (BH + GAP);
      const cls = "node" + (i === 0 ? " entry" : i === nodes.length - 1 ? " impact" : "");
      svg.append(s("g", { class: cls },
        s("rect", { x: 2, y: y, width: W - 4, height: BH, rx: 6 }),
        s("text", { x: 14, y: y + 22 }, clip((n && n.class ? n.class + ": " : "") + (n && n.description), 84))));
      if (i < nodes.length - 1) {
        const y1 = y + BH, y2 = y + BH + GAP;
        svg.append(s("g", { class: "edge" },
          s("line", { x1: 40, y1: y1, x2: 40, y2: y2 - 6 }),
          s("path", { d: "M34 " + (y2 - 8) + " L46 " + (y2 - 8) + " L40 " + y2 + " Z" }),
          s("text", { x: 54, y: y1 + GAP / 2 + 4 }, clip(risk.steps[i].edge, 70))));
      }
    });
    return svg;
  }

  function places(step) {
    const out = [];
    const p = (x, what) => x && x.file && out.push(h("li", {}, what ? what + " " : "", h("span", { class: "loc" }, x.file + ":" + x.line + ":" + x.column), x.path ? h("code", {}, " " + x.path) : null));
    for (const e of step.evidence || []) {
      if (e.type === "field") p(e);
      else if (e.type === "rbac") { p(e.ruleAt, "rule " + e.rule + " at"); p(e.bindingAt, "bound by " + e.binding + " at"); }
      else if (e.type === "vulnerability") p(e.image, e.id + " (" + e.severity + ") in image at");
    }
    return out.length ? h("ul", {}, out) : null;
  }

  function risksSection() {
    const parts = [h("h2", { id: "risks-h" }, "Top risks")];
    let any = false;
    D.meta.reports.forEach((rep) => {
      const list = rep.risks;
      if (!list) return;
      any = true;
      if (D.meta.reports.length > 1) parts.push(h("h3", {}, rep.name));
      if (!list.length) { parts.push(h("p", { class: "muted" }, "No attack path found.")); return; }
      if (rep.risksTotal > list.length) parts.push(h("p", { class: "muted" }, "The first " + list.length + " of " + fmt(rep.risksTotal) + " risks, best score first."));
      for (const r of list) {
        const rbac = (r.steps || []).some((st) => (st.evidence || []).some((e) => e.type === "rbac"));
        parts.push(h("article", { class: "risk", "aria-label": "Risk " + r.rank },
          h("h3", {}, "#" + r.rank + " · score " + Number(r.score).toFixed(1) + " · ", (r.entry && r.entry.description) + " → " + lastNode(r), rbac ? h("span", { class: "tag" }, "RBAC escalation") : null),
          h("p", { class: "muted" }, (r.factors || []).map((f) => f.name + " " + Number(f.value).toFixed(2) + " (" + f.reason + ")").join(" × ")),
          chainSvg(r),
          h("ol", { class: "steps" }, (r.steps || []).map((st) => h("li", {}, h("code", {}, st.edge), " → " + (st.to && st.to.description), st.mitre ? h("span", { class: "tag" }, "MITRE " + st.mitre) : null, places(st))))));
      }
    });
    if (!any) parts.push(h("p", { class: "muted" }, "This report has no risk analysis (written with --top-risks 0, or by a command without one)."));
    return h("section", { id: "risks", "aria-labelledby": "risks-h" }, parts);
  }

  // `kubeward rbac risks`: the escalation paths of `kubeward rbac paths`, each drawn from the
  // subject to what it reaches, each step with the rule that grants it and the binding.
  function subjectLabel(x) { return x ? (x.namespace ? x.namespace + "/" : "") + x.name : "?"; }
  function rbacSection() {
    const list = (D.meta.reports[0].sections || {}).rbacPaths;
    if (!list || D.meta.reports.length > 1) return null;
    const at = (x) => x && x.file ? h("span", { class: "loc" }, x.file + ":" + x.line + ":" + x.column) : "";
    const parts = [h("h2", { id: "rbac-h" }, "RBAC escalation paths")];
    if (!list.length) parts.push(h("p", { class: "muted" }, "No subject outside the system's own can escalate."));
    else parts.push(h("p", { class: "muted" }, fmt(list.length) + " subjects (the system's own left out, as `kubeward rbac paths` does), each with how it gets further."));
    list.slice(0, 200).forEach((p, i) => {
      const steps = p.steps || [];
      const chain = {
        entry: { class: p.subject.kind, description: subjectLabel(p.subject) },
        steps: steps.map((st) => ({
          edge: st.technique + (st.scope && st.scope.cluster ? " (cluster-wide)" : st.scope && st.scope.namespace ? " (in " + st.scope.namespace + ")" : ""),
          to: st.to ? { class: st.to.kind, description: subjectLabel(st.to) } : { class: "impact", description: st.description },
        })),
      };
      parts.push(h("article", { class: "risk rbac-path", "aria-label": "Escalation path " + (i + 1) },
        h("h3", {}, p.subject.kind + " " + subjectLabel(p.subject), " → ", steps.length ? steps[steps.length - 1].technique : "?"),
        chainSvg(chain),
        h("ol", { class: "steps" }, steps.map((st) => h("li", {}, h("code", {}, st.technique), " " + st.description,
          h("ul", {}, (st.grants || []).map((g) => h("li", {},
            g.rule ? ["rule ", h("code", {}, g.rule.path), " of " + g.rule.role.kind + " " + subjectLabel(g.rule.role) + " at ", at(g.rule)] : null,
            g.binding ? [", bound by " + g.binding.kind + " " + subjectLabel(g.binding) + " at ", at(g.binding)] : null))))))));
    });
    if (list.length > 200) parts.push(h("p", { class: "muted" }, "The first 200 of " + fmt(list.length) + " paths."));
    return h("section", { id: "rbac", "aria-labelledby": "rbac-h" }, parts);
  }

  // ---- findings ----
  function matches(r) {
    if (state.status !== "all" && status(r) !== state.status) return false;
    if (state.sev !== "" && r[F.sev] !== +state.sev) return false;
    if (state.ctl !== "" && r[F.ctl] !== +state.ctl) return false;
    if (state.fw !== "" && !(fwMask[r[F.ctl]] & (1 << +state.fw))) return false;
    if (state.ns !== "" && (S[r[F.ns]] || NONE) !== state.ns) return false;
    if (state.kind !== "" && S[r[F.kind]] !== state.kind) return false;
    if (state.rep !== "" && r[F.rep] !== +state.rep) return false;
    if (state.file !== "" && !S[r[F.file]].toLowerCase().includes(state.file)) return false;
    if (state.q !== "") {
      const q = state.q;
      if (!(r[F.msg].toLowerCase().includes(q) || S[r[F.name]].toLowerCase().includes(q) || S[r[F.path]].toLowerCase().includes(q)
        || C[r[F.ctl]].id.toLowerCase() === q || C[r[F.ctl]].name.includes(q) || S[r[F.ns]].toLowerCase().includes(q))) return false;
    }
    return true;
  }

  const SORTS = {
    sev: (a, b) => rows[a][F.sev] - rows[b][F.sev] || a - b,
    ctl: (a, b) => (C[rows[a][F.ctl]].id < C[rows[b][F.ctl]].id ? -1 : C[rows[a][F.ctl]].id > C[rows[b][F.ctl]].id ? 1 : 0) || a - b,
    obj: (a, b) => objLabel(rows[a]).localeCompare(objLabel(rows[b])) || a - b,
    loc: (a, b) => (S[rows[a][F.file]] < S[rows[b][F.file]] ? -1 : S[rows[a][F.file]] > S[rows[b][F.file]] ? 1 : 0) || rows[a][F.line] - rows[b][F.line] || a - b,
    msg: (a, b) => (rows[a][F.msg] < rows[b][F.msg] ? -1 : rows[a][F.msg] > rows[b][F.msg] ? 1 : 0) || a - b,
  };

  function refilter() {
    let out = [];
    if (state.sort === "sev") {
      // By severity then input order: five buckets, no comparison sort (450,000 rows).
      const buckets = [[], [], [], [], []];
      for (let i = 0; i < rows.length; i++) if (matches(rows[i])) buckets[rows[i][F.sev]].push(i);
      if (state.dir !== 1) { buckets.reverse(); buckets.forEach((b) => b.reverse()); }
      out = [].concat(...buckets);
    } else {
      for (let i = 0; i < rows.length; i++) if (matches(rows[i])) out.push(i);
      const cmp = SORTS[state.sort];
      out.sort(state.dir === 1 ? cmp : (a, b) => cmp(b, a));
    }
    view = out;
    state.page = 0;
    drawRows();
  }

  let tbody, countEl, pageEl, detailEl, headers = {};
  function drawRows() {
    const pages = Math.max(1, Math.ceil(view.length / state.size));
    state.page = Math.min(state.page, pages - 1);
    const start = state.page * state.size;
    const slice = view.slice(start, start + state.size);
    const multi = D.meta.reports.length > 1;
    tbody.replaceChildren(...slice.map((i) => {
      const r = rows[i];
      const st = status(r);
      const c = C[r[F.ctl]];
      return h("tr", { tabindex: "0", "data-i": i, "aria-selected": state.selected === i ? "true" : "false" },
        h("td", {}, h("span", { class: "sev sev-" + SEV[r[F.sev]] }, SEV[r[F.sev]])),
        h("td", {}, h("abbr", { title: c.title }, c.id), st !== "active" ? h("span", { class: "tag" }, st) : null),
        multi ? h("td", {}, D.meta.reports[r[F.rep]].name) : null,
        h("td", { class: "obj" }, objLabel(r)),
        h("td", { class: "loc" }, locLabel(r)),
        h("td", { class: "msg" }, r[F.msg]));
    }));
    countEl.textContent = view.length
      ? fmt(view.length) + " findings match · showing " + fmt(start + 1) + "–" + fmt(start + slice.length)
      : "No finding matches these filters.";
    pageEl.textContent = "Page " + fmt(state.page + 1) + " of " + fmt(pages);
    for (const k in headers) headers[k].setAttribute("aria-sort", state.sort === k ? (state.dir === 1 ? "ascending" : "descending") : "none");
  }

  function select(i, focus) {
    state.selected = i;
    for (const tr of tbody.children) tr.setAttribute("aria-selected", +tr.dataset.i === i ? "true" : "false");
    drawDetail(i);
    if (focus) detailEl.querySelector("h3").focus();
  }

  function snippet(r) {
    const blocks = D.sources && D.sources[S[r[F.file]]];
    if (!blocks) return null;
    const line = r[F.line];
    for (const [start, lines] of blocks) {
      if (line >= start && line < start + lines.length) {
        const from = Math.max(start, line - 3), to = Math.min(start + lines.length - 1, line + 3);
        const trs = [];
        for (let n = from; n <= to; n++) {
          trs.push(h("tr", { class: n === line ? "hit" : null }, h("td", { class: "ln" }, n), h("td", {}, lines[n - start])));
        }
        return h("table", { class: "src", "aria-label": "Source lines " + from + " to " + to + " of " + S[r[F.file]] }, h("tbody", {}, trs));
      }
    }
    return null;
  }

  function frameworksText(f) {
    const out = [];
    if (!f) return "";
    if (f.pss) out.push("PSS " + f.pss.level + " (" + f.pss.check + ")");
    if (f.nsa && f.nsa.length) out.push("NSA/CISA: " + f.nsa.join("; "));
    if (f.cis && f.cis.length) out.push("CIS " + f.cis.join(", "));
    if (f.mitre && f.mitre.length) out.push("MITRE ATT&CK " + f.mitre.join(", "));
    return out.join(" · ");
  }

  function drawDetail(i) {
    const r = rows[i];
    const c = C[r[F.ctl]];
    const src = snippet(r);
    const items = [
      ["Severity", h("span", { class: "sev sev-" + SEV[r[F.sev]] }, SEV[r[F.sev]])],
      D.meta.reports.length > 1 ? ["Report", D.meta.reports[r[F.rep]].name] : null,
      ["Object", (S[r[F.api]] ? S[r[F.api]] + " " : "") + objLabel(r)],
      ["Location", h("span", { class: "loc" }, locLabel(r))],
      ["Field path", h("code", {}, S[r[F.path]] || "(the object)")],
      ["Message", r[F.msg]],
      ["Remediation", c.remediation],
      ["Frameworks", frameworksText(c.frameworks) || "—"],
      r[F.by] ? ["Suppressed", S[r[F.by]] + ": " + S[r[F.why]] + (S[r[F.exp]] ? " (until " + S[r[F.exp]] + ")" : "")] : null,
    ].filter(Boolean);
    detailEl.replaceChildren(
      h("h3", { tabindex: "-1" }, c.id + " " + c.title),
      h("dl", {}, items.map(([k, v]) => [h("dt", {}, k), h("dd", {}, v)])),
      h("h4", {}, "Source"),
      src || h("p", { class: "muted no-source" }, "The report holds no source lines for this finding (not a file it could read again, a Secret, or past the report's budget)."),
      c.doc ? h("details", {}, h("summary", {}, "Documentation (kubeward explain " + c.id + ")"), h("pre", { class: "doc" }, c.doc)) : null,
      h("p", {}, h("a", { href: "#control-" + c.id }, "All about " + c.id + " in the controls section")));
    detailEl.hidden = false;
  }

  function options(label, key, list) {
    return h("label", {}, label,
      h("select", { "data-filter": key, onchange: (e) => { state[key] = e.target.value; refilter(); } },
        h("option", { value: "" }, "All"), list.map(([v, t]) => h("option", { value: v }, t))));
  }

  function applyFilter(key, value) {
    state[key] = value;
    const el = document.querySelector("[data-filter=" + key + "]");
    if (el) el.value = value;
    refilter();
    document.getElementById("findings").scrollIntoView();
  }

  function findingsSection(t) {
    const nsList = [...new Set(rows.map((r) => S[r[F.ns]] || NONE))].sort();
    const kinds = [...new Set(rows.map((r) => S[r[F.kind]]))].sort();
    const ctls = C.map((c, i) => [String(i), c.id + " " + c.title]).sort((a, b) => a[1].localeCompare(b[1]));
    let timer;
    const search = h("input", { type: "search", "data-filter": "q", placeholder: "message, name, field path, control", oninput: (e) => { clearTimeout(timer); timer = setTimeout(() => { state.q = e.target.value.trim().toLowerCase(); refilter(); }, 200); } });
    const file = h("input", { type: "search", "data-filter": "file", placeholder: "part of the path", oninput: (e) => { clearTimeout(timer); timer = setTimeout(() => { state.file = e.target.value.trim().toLowerCase(); refilter(); }, 200); } });
    const statuses = NODE ? [["fail", "Fail"], ["warn", "Warn"], ["manual", "Manual"], ["pass", "Pass"], ["all", "All"]]
      : [["active", "Reported"], ["suppressed", "Suppressed"], ["platform", "Platform"], ["all", "All"]];
    const statusSel = h("select", { "data-filter": "status", onchange: (e) => { state.status = e.target.value; refilter(); } },
      statuses.map(([v, t]) => h("option", { value: v }, t)));
    const filters = h("form", { class: "filters", role: "search", "aria-label": "Filter the findings", onsubmit: (e) => e.preventDefault() },
      h("label", {}, "Search", search),
      options("Severity", "sev", SEV.map((s, i) => [String(i), s])),
      options("Control", "ctl", ctls),
      options("Framework", "fw", FRAMEWORKS.map((f, i) => [String(i), f])),
      options(NODE ? "Section" : "Namespace", "ns", nsList.map((n) => [n, n === NONE ? "(no namespace)" : n])),
      NODE ? null : options("Kind", "kind", kinds.map((k) => [k, k])),
      D.meta.reports.length > 1 ? options("Report", "rep", D.meta.reports.map((r, i) => [String(i), r.name])) : null,
      h("label", {}, "File", file),
      h("label", {}, "Status", statusSel),
      h("button", { type: "reset", onclick: () => { Object.assign(state, { q: "", sev: "", ctl: "", fw: "", ns: "", kind: "", rep: "", file: "", status: statuses[0][0] }); setTimeout(() => { statusSel.value = state.status; refilter(); }); } }, "Clear filters"));
    const col = (key, label) => {
      const th = h("th", { scope: "col", "aria-sort": "none" }, h("button", { type: "button", onclick: () => { if (state.sort === key) state.dir = -state.dir; else { state.sort = key; state.dir = 1; } refilter(); } }, label));
      headers[key] = th;
      return th;
    };
    tbody = h("tbody", {
      onclick: (e) => { const tr = e.target.closest("tr"); if (tr) select(+tr.dataset.i, false); },
      onkeydown: (e) => {
        const tr = e.target.closest("tr");
        if (!tr) return;
        if (e.key === "Enter" || e.key === " ") { e.preventDefault(); select(+tr.dataset.i, true); }
        else if (e.key === "ArrowDown" && tr.nextElementSibling) { e.preventDefault(); tr.nextElementSibling.focus(); }
        else if (e.key === "ArrowUp" && tr.previousElementSibling) { e.preventDefault(); tr.previousElementSibling.focus(); }
      },
    });
    countEl = h("p", { id: "count", role: "status", "aria-live": "polite" });
    pageEl = h("span", {});
    detailEl = h("section", { id: "detail", hidden: true, "aria-label": "Finding detail", "aria-live": "polite" });
    const go = (f) => () => { state.page = f(state.page, Math.max(1, Math.ceil(view.length / state.size))); drawRows(); };
    const multi = D.meta.reports.length > 1;
    return h("section", { id: "findings", "aria-labelledby": "findings-h" },
      h("h2", { id: "findings-h" }, "Findings"),
      filters, countEl,
      h("p", { class: "print-note" }, "Printed: the current page of the findings that match the filters."),
      h("table", { class: "findings" },
        h("caption", { class: "sr-only" }, "Findings; select a row (Enter) for its detail and source lines"),
        h("thead", {}, h("tr", {}, col("sev", "Severity"), col("ctl", "Control"), multi ? h("th", { scope: "col" }, "Report") : null, col("obj", "Object"), col("loc", "Location"), col("msg", "Message"))),
        tbody),
      h("nav", { class: "pager", "aria-label": "Pages of findings" },
        h("button", { type: "button", onclick: go(() => 0) }, "First"),
        h("button", { type: "button", "data-page": "prev", onclick: go((p) => Math.max(0, p - 1)) }, "Previous"),
        pageEl,
        h("button", { type: "button", "data-page": "next", onclick: go((p, n) => Math.min(n - 1, p + 1)) }, "Next"),
        h("button", { type: "button", onclick: go((p, n) => n - 1) }, "Last"),
        h("label", {}, "Rows per page ", h("select", { onchange: (e) => { state.size = +e.target.value; state.page = 0; drawRows(); } },
          PAGE_SIZES.map((n) => h("option", { value: n, selected: n === state.size }, n))))),
      detailEl);
  }

  // `scan --images`: each vulnerability finding (KW1101) is attached to a container's `image:`
  // field with the message "image REF (container NAME): ..."; one row per image reference.
  const IMAGE_MSG = /^image (\S+) \(container ([^)]*)\):/;
  function imagesSection(t) {
    if (!t.images.size) return null;
    const by = new Map();
    rows.forEach((r) => {
      if (status(r) !== "active" || C[r[F.ctl]].id !== "KW1101") return;
      const m = IMAGE_MSG.exec(r[F.msg]);
      const image = m ? m[1] : "(image not named)";
      let e = by.get(image);
      if (!e) { e = { sev: [0, 0, 0, 0, 0], where: new Set() }; by.set(image, e); }
      e.sev[r[F.sev]]++;
      e.where.add(objLabel(r) + (m ? " (" + m[2] + ")" : ""));
    });
    const list = [...by.entries()].sort((a, b) => {
      for (let i = 0; i < 5; i++) if (a[1].sev[i] !== b[1].sev[i]) return b[1].sev[i] - a[1].sev[i];
      return a[0] < b[0] ? -1 : 1;
    });
    return h("section", { id: "images", "aria-labelledby": "images-h" },
      h("h2", { id: "images-h" }, "Image vulnerabilities"),
      h("table", { "data-images": "1" }, h("caption", {}, "Known vulnerabilities per container image (reported findings of KW1101)" + (list.length > 200 ? ", the 200 worst of " + fmt(list.length) : "")),
        h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Image"), SEV.map((s) => h("th", { scope: "col", class: "num" }, s)), h("th", { scope: "col" }, "Run by (container)"))),
        h("tbody", {}, list.slice(0, 200).map(([k, e]) => h("tr", {},
          h("th", { scope: "row" }, h("button", { class: "link", type: "button", onclick: () => applyFilter("q", k.toLowerCase()) }, k)),
          e.sev.map((n) => h("td", { class: "num" }, fmt(n))),
          h("td", {}, [...e.where].slice(0, 5).join(", ") + (e.where.size > 5 ? " and " + fmt(e.where.size - 5) + " more" : "")))))),
      h("p", {}, h("button", { class: "link", type: "button", onclick: () => applyFilter("ctl", String(C.findIndex((c) => c.id === "KW1101"))) }, "Show every vulnerability finding")));
  }

  function suppressedSection(t) {
    if (NODE || !t.reasons.size) return null;
    return h("section", { id: "suppressed", "aria-labelledby": "suppressed-h" },
      h("h2", { id: "suppressed-h" }, "Suppressed findings"),
      h("table", {}, h("caption", {}, "By who suppressed them, why and until when (a config exclusion with an expiry)"),
        h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "By"), h("th", { scope: "col" }, "Reason"), h("th", { scope: "col" }, "Expires"), h("th", { scope: "col", class: "num" }, "Findings"))),
        h("tbody", {}, [...t.reasons.entries()].sort((a, b) => b[1] - a[1]).slice(0, 100).map(([k, n]) => {
          const [by, why, exp] = k.split("\u0000");
          return h("tr", {}, h("td", {}, by), h("td", {}, why), h("td", {}, exp || "—"), h("td", { class: "num" }, fmt(n)));
        }))),
      h("p", {}, h("button", { class: "link", type: "button", onclick: () => applyFilter("status", "suppressed") }, "Show the suppressed findings"), " · ",
        h("button", { class: "link", type: "button", onclick: () => applyFilter("status", "platform") }, "Show the platform findings")));
  }

  function unseenSection() {
    const errs = [], warns = [], kinds = [];
    // `kubeward cluster` reports each kind it could not list as a warning ("Secret (v1): not
    // scanned: forbidden: ...", "... not served by this server ...; not scanned") or, when
    // the listing failed, as an error: those are listed first, on their own.
    const KIND = /: not scanned\b|not served by this server/;
    D.meta.reports.forEach((rep) => {
      for (const e of rep.errors || []) (KIND.test(e.message) ? kinds : errs).push([rep.name, e]);
      for (const w of rep.warnings || []) (KIND.test(w.message) ? kinds : warns).push([rep.name, w]);
    });
    const multi = D.meta.reports.length > 1;
    const table = (caption, list) => h("table", {}, h("caption", {}, caption + " (" + fmt(list.length) + (list.length > 500 ? ", the first 500" : "") + ")"),
      h("thead", {}, h("tr", {}, multi ? h("th", { scope: "col" }, "Report") : null, h("th", { scope: "col" }, "Where"), h("th", { scope: "col" }, "What"))),
      h("tbody", {}, list.slice(0, 500).map(([rep, e]) => h("tr", {}, multi ? h("td", {}, rep) : null,
        h("td", { class: "loc" }, e.file + (e.line ? ":" + e.line + ":" + e.column : "")), h("td", {}, e.message)))));
    return h("section", { id: "unseen", "aria-labelledby": "unseen-h" },
      h("h2", { id: "unseen-h" }, "What the scan could not see"),
      kinds.length ? table("Kinds of the cluster not scanned (forbidden, not served, skipped or failed)", kinds) : null,
      errs.length ? table("Input errors: files, documents or objects not read, or not fully", errs) : h("p", {}, "No input error: every input was read."),
      warns.length ? table("Warnings: documents skipped or read with a caveat", warns) : null);
  }

  function controlsSection() {
    const list = C.map((c, i) => [c, i]).sort((a, b) => a[0].id.localeCompare(b[0].id, "en", { numeric: true }));
    return h("section", { id: "controls", "aria-labelledby": "controls-h" },
      h("h2", { id: "controls-h" }, "Controls with findings"),
      list.map(([c, i]) => h("details", { id: "control-" + c.id },
        h("summary", {}, c.id + " " + c.title + " ", h("span", { class: "sev sev-" + c.severity }, c.severity)),
        h("p", {}, frameworksText(c.frameworks)),
        h("p", {}, h("strong", {}, "Fix: "), c.remediation),
        c.doc ? h("pre", { class: "doc" }, c.doc) : null,
        h("button", { class: "link", type: "button", onclick: () => applyFilter("ctl", String(i)) }, "Show its findings"))));
  }

  function render() {
    const app = document.getElementById("app");
    const m = D.meta;
    const rep0 = m.reports[0] || {};
    const st = rep0.settings || {};
    const metaLine = m.reports.length > 1
      ? "kubeward " + m.tool + " · " + m.reports.length + " reports merged"
      : "kubeward " + ((rep0.tool && rep0.tool.version) || m.tool) + (st.benchmark ? " · benchmark " + st.benchmark : "") + (st.pssVersion ? " · Pod Security Standards " + st.pssVersion : "") + (st.frameworks ? " · frameworks " + [].concat(st.frameworks).join(", ") : "") + (st.failOn ? " · fail on " + st.failOn : "");
    document.title = m.title;
    const t = totals();
    const audit = m.kind === "audit", rbac = m.kind === "rbac";
    const main = h("main", {}, summarySection(t), auditSection(), rbacSection(), NODE || audit || rbac ? null : risksSection(), imagesSection(t), findingsSection(t), suppressedSection(t), unseenSection(), controlsSection());
    const header = h("header", { class: "top" },
      h("h1", {}, m.title), h("p", { class: "meta" }, metaLine),
      h("nav", { class: "toc", "aria-label": "Sections" },
        [["summary", "Summary"], ["audit", "Audit log"], ["rbac", "RBAC escalation"], ["risks", "Top risks"], ["images", "Image vulnerabilities"], ["findings", "Findings"], ["suppressed", "Suppressed"], ["unseen", "Not seen"], ["controls", "Controls"]]
          .filter(([id]) => main.querySelector("#" + id)).map(([id, l]) => h("a", { href: "#" + id }, l))));
    app.replaceChildren(header, main);
    app.removeAttribute("aria-live");
    refilter();
  }

  load().then((data) => {
    D = data;
    prepare();
    render();
    phases.drawn = performance.now();
    window.kubewardReport = { readyMs: performance.now(), scriptMs: performance.now() - T0, phases: phases, findings: rows.length, summary: (D.meta.reports[0] || {}).summary, state: state, visible: () => view.length };
    document.body.dataset.ready = "1";
  }).catch((e) => {
    document.getElementById("app").replaceChildren(h("p", { class: "loading", role: "alert" }, "This report could not be read: " + e));
    document.body.dataset.ready = "error";
  });
})();
