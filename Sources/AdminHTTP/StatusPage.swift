import Foundation

/// The live status page: one HTML document with its style and script inline, no external
/// asset, no build step; it polls its JSON feed every second and draws the last minute's rates
/// as inline SVG.
///
/// Every string in the feed (authid, authrole, URIs, realm names) may come from a hostile peer:
/// the script puts them in the document with `textContent` and attribute setters only, never as
/// markup, and the page's Content-Security-Policy allows no other script or connection.
enum StatusPage {
    static func html(feedPath: String) -> String {
        self.template.replacingFeed(with: self.attributeEscaped(feedPath))
    }

    /// For a double-quoted attribute value.
    static func attributeEscaped(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    static let feedMarker = "@@FEED@@"

    static let template = #"""
    <!doctype html>
    <html lang="en">
    <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>swift-wamp-router status</title>
    <style>
    :root { --bg:#0f1419; --panel:#172029; --line:#2a3844; --text:#d8e0e7; --dim:#8a9aa8; --accent:#4fb3ff; --ok:#3ccf7a; --bad:#ff6b6b; --warn:#f5c451; }
    * { box-sizing: border-box; }
    body { margin:0; font:14px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; background:var(--bg); color:var(--text); }
    header { display:flex; align-items:center; gap:16px; padding:12px 20px; border-bottom:1px solid var(--line); background:var(--panel); }
    header h1 { font-size:18px; margin:0; font-weight:600; }
    .pill { padding:2px 10px; border-radius:12px; font-size:12px; font-weight:600; background:var(--line); }
    .pill.serving { background:var(--ok); color:#04210f; } .pill.starting, .pill.draining { background:var(--warn); color:#2a1e00; } .pill.stale { background:var(--bad); color:#2a0000; }
    #meta { color:var(--dim); font-size:12px; margin-left:auto; }
    main { padding:16px 20px; display:grid; gap:16px; grid-template-columns:repeat(auto-fit, minmax(560px, 1fr)); }
    section { background:var(--panel); border:1px solid var(--line); border-radius:8px; padding:12px 14px; min-width:0; overflow-x:auto; }
    section.wide { grid-column:1 / -1; }
    h2 { font-size:13px; text-transform:uppercase; letter-spacing:.06em; color:var(--dim); margin:0 0 10px; font-weight:600; }
    .cards { display:flex; gap:12px; flex-wrap:wrap; }
    .card { flex:1 1 110px; background:var(--bg); border:1px solid var(--line); border-radius:6px; padding:8px 10px; }
    .card .v { font-size:22px; font-weight:600; } .card .k { color:var(--dim); font-size:12px; }
    .charts { display:grid; gap:12px; grid-template-columns:repeat(auto-fit, minmax(220px, 1fr)); }
    .chart { background:var(--bg); border:1px solid var(--line); border-radius:6px; padding:6px 8px; }
    .chart .t { display:flex; justify-content:space-between; font-size:12px; color:var(--dim); }
    .chart .t b { color:var(--text); }
    svg { width:100%; height:60px; display:block; }
    table { width:100%; border-collapse:collapse; font-size:13px; }
    th, td { text-align:left; padding:4px 8px; border-bottom:1px solid var(--line); white-space:nowrap; overflow:hidden; text-overflow:ellipsis; max-width:340px; }
    th { color:var(--dim); font-weight:600; font-size:12px; }
    td.n, th.n { text-align:right; font-variant-numeric:tabular-nums; }
    .empty { color:var(--dim); font-style:italic; padding:6px 8px; }
    .note { color:var(--warn); font-size:12px; margin-top:6px; }
    code { font-family:ui-monospace, SFMono-Regular, Menlo, monospace; font-size:12px; }
    </style>
    </head>
    <body data-feed="@@FEED@@">
    <header>
      <h1>swift-wamp-router</h1>
      <span id="phase" class="pill">loading</span>
      <span id="meta">waiting for the first update</span>
    </header>
    <main>
      <section class="wide">
        <h2>Overview</h2>
        <div class="cards" id="cards"></div>
      </section>
      <section class="wide">
        <h2>Last minute (per second)</h2>
        <div class="charts" id="charts"></div>
      </section>
      <section class="wide">
        <h2>Sessions</h2>
        <table id="sessions"><thead><tr><th class="n">session</th><th>realm</th><th>authid</th><th>authrole</th><th>transport</th><th>serializer</th><th class="n">age</th><th class="n">backlog</th><th class="n">msgs in</th></tr></thead><tbody></tbody></table>
        <div class="note" id="sessions-note"></div>
      </section>
      <section>
        <h2>Realms</h2>
        <table id="realms"><thead><tr><th>realm</th><th class="n">sessions</th><th class="n">registrations</th><th class="n">subscriptions</th><th class="n">pending calls</th></tr></thead><tbody></tbody></table>
      </section>
      <section>
        <h2>Recent errors</h2>
        <table id="errors"><thead><tr><th>time</th><th>kind</th><th>URI</th><th>realm</th><th class="n">session</th></tr></thead><tbody></tbody></table>
      </section>
      <section>
        <h2>Registrations</h2>
        <table id="registrations"><thead><tr><th>procedure</th><th>realm</th><th>match</th><th>invoke</th><th class="n">callees</th></tr></thead><tbody></tbody></table>
        <div class="note" id="registrations-note"></div>
      </section>
      <section>
        <h2>Subscriptions</h2>
        <table id="subscriptions"><thead><tr><th>topic</th><th>realm</th><th>match</th><th class="n">subscribers</th></tr></thead><tbody></tbody></table>
        <div class="note" id="subscriptions-note"></div>
      </section>
    </main>
    <script>
    "use strict";
    (function () {
      var feed = document.body.getAttribute("data-feed");
      var updates = 0, lastOk = 0;
      var SVG = "http://www.w3.org/2000/svg";

      function el(tag, text, cls) {
        var e = document.createElement(tag);
        if (text !== undefined && text !== null) e.textContent = String(text);
        if (cls) e.className = cls;
        return e;
      }
      function str(v) { return (v === undefined || v === null) ? "" : String(v); }
      function num(v) { return (typeof v === "number" && isFinite(v)) ? v : 0; }
      function age(s) {
        s = Math.floor(num(s));
        if (s < 60) return s + " s";
        if (s < 3600) return Math.floor(s / 60) + " m " + (s % 60) + " s";
        return Math.floor(s / 3600) + " h " + Math.floor((s % 3600) / 60) + " m";
      }
      function bytes(n) {
        n = num(n);
        if (n < 1024) return n + " B";
        if (n < 1048576) return (n / 1024).toFixed(1) + " KiB";
        return (n / 1048576).toFixed(1) + " MiB";
      }
      function fill(id, rows, cells, emptyText) {
        var body = document.querySelector("#" + id + " tbody");
        var fresh = document.createElement("tbody");
        if (!rows || rows.length === 0) {
          var tr = el("tr"); var td = el("td", emptyText, "empty");
          td.colSpan = document.querySelectorAll("#" + id + " thead th").length;
          tr.appendChild(td); fresh.appendChild(tr);
        } else {
          rows.forEach(function (row) {
            var tr = el("tr");
            cells(row).forEach(function (c) { tr.appendChild(el("td", c[0], c[1] ? "n" : "")); });
            if (row.id !== undefined) tr.setAttribute("data-id", str(row.id));
            fresh.appendChild(tr);
          });
        }
        body.parentNode.replaceChild(fresh, body);
      }
      function note(id, shown, total, what) {
        document.getElementById(id).textContent = (total > shown) ? ("showing " + shown + " of " + total + " " + what) : "";
      }
      function chart(title, series, color) {
        var box = el("div", null, "chart");
        var values = (series || []).map(num);
        var last = values.length ? values[values.length - 1] : 0;
        var max = Math.max.apply(null, values.concat([1]));
        var t = el("div", null, "t");
        t.appendChild(el("span", title));
        var b = el("b", String(last)); t.appendChild(b);
        t.appendChild(el("span", "max " + max));
        box.appendChild(t);
        var svg = document.createElementNS(SVG, "svg");
        svg.setAttribute("viewBox", "0 0 600 60");
        svg.setAttribute("preserveAspectRatio", "none");
        var pts = [];
        var n = Math.max(values.length, 2);
        values.forEach(function (v, i) {
          pts.push((i * 600 / (n - 1)).toFixed(1) + "," + (58 - (v / max) * 54).toFixed(1));
        });
        if (pts.length > 1) {
          var area = document.createElementNS(SVG, "polygon");
          area.setAttribute("points", "0,60 " + pts.join(" ") + " " + ((values.length - 1) * 600 / (n - 1)).toFixed(1) + ",60");
          area.setAttribute("fill", color); area.setAttribute("fill-opacity", "0.15");
          svg.appendChild(area);
          var line = document.createElementNS(SVG, "polyline");
          line.setAttribute("points", pts.join(" "));
          line.setAttribute("fill", "none"); line.setAttribute("stroke", color); line.setAttribute("stroke-width", "2");
          line.setAttribute("vector-effect", "non-scaling-stroke");
          svg.appendChild(line);
        }
        box.appendChild(svg);
        return box;
      }
      function render(s) {
        var phase = document.getElementById("phase");
        phase.textContent = str(s.phase); phase.className = "pill " + (/^[a-z]+$/.test(str(s.phase)) ? s.phase : "");
        updates += 1; lastOk = Date.now();
        var meta = document.getElementById("meta");
        meta.textContent = str(s.agent) + " \u00b7 up " + age(s.uptime_seconds) + " \u00b7 updated " + str(s.generated) + " \u00b7 update #" + updates;
        meta.setAttribute("data-updates", String(updates));
        var t = s.totals || {};
        var cards = document.getElementById("cards");
        while (cards.firstChild) cards.removeChild(cards.firstChild);
        [["sessions", t.sessions], ["realms", (s.realms || []).length], ["registrations", t.registrations],
         ["subscriptions", t.subscriptions], ["pending calls", t.pending_calls], ["errors (total)", s.errors_total]]
          .forEach(function (c) { var d = el("div", null, "card"); d.appendChild(el("div", num(c[1]), "v")); d.appendChild(el("div", c[0], "k")); cards.appendChild(d); });
        var r = s.rates || {};
        var charts = document.getElementById("charts");
        while (charts.firstChild) charts.removeChild(charts.firstChild);
        charts.appendChild(chart("messages in / s", r.messages_in, "#4fb3ff"));
        if (r.messages_out) charts.appendChild(chart("messages out / s", r.messages_out, "#b48cff"));
        charts.appendChild(chart("sessions", r.sessions, "#3ccf7a"));
        charts.appendChild(chart("errors / s", r.errors, "#ff6b6b"));
        fill("sessions", s.sessions, function (x) {
          return [[x.id, 1], [x.realm], [x.authid], [x.authrole], [str(x.transport) + (x.secure ? " + tls" : "")], [x.serializer],
                  [age(x.age_seconds), 1], [bytes(x.backlog_bytes), 1], [num(x.messages_in), 1]];
        }, "no sessions");
        note("sessions-note", (s.sessions || []).length, num(t.sessions), "sessions");
        fill("realms", s.realms, function (x) {
          return [[x.name], [num(x.sessions), 1], [num(x.registrations), 1], [num(x.subscriptions), 1], [num(x.pending_calls), 1]];
        }, "no realms");
        fill("registrations", s.registrations, function (x) {
          return [[x.uri], [x.realm], [x.match], [x.invoke], [num(x.callees), 1]];
        }, "no registrations");
        note("registrations-note", (s.registrations || []).length, num(t.registrations), "registrations");
        fill("subscriptions", s.subscriptions, function (x) {
          return [[x.uri], [x.realm], [x.match], [num(x.subscribers), 1]];
        }, "no subscriptions");
        note("subscriptions-note", (s.subscriptions || []).length, num(t.subscriptions), "subscriptions");
        fill("errors", (s.errors || []).slice().reverse(), function (x) {
          return [[str(x.time).slice(11, 23)], [x.kind], [x.uri], [x.realm], [x.session ? x.session : "", 1]];
        }, "no errors");
      }
      function stale() {
        if (Date.now() - lastOk > 3000) {
          var phase = document.getElementById("phase");
          phase.textContent = "no answer"; phase.className = "pill stale";
        }
      }
      function poll() {
        var controller = (typeof AbortController === "function") ? new AbortController() : null;
        var timer = setTimeout(function () { if (controller) controller.abort(); }, 2500);
        fetch(feed, { cache: "no-store", credentials: "same-origin", signal: controller ? controller.signal : undefined })
          .then(function (response) { if (!response.ok) throw new Error("HTTP " + response.status); return response.json(); })
          .then(render)
          .catch(function () { stale(); })
          .then(function () { clearTimeout(timer); setTimeout(poll, 1000); });
      }
      poll();
    })();
    </script>
    </body>
    </html>

    """#
}

extension String {
    fileprivate func replacingFeed(with value: String) -> String {
        guard let range = self.range(of: StatusPage.feedMarker) else { return self }
        return self.replacingCharacters(in: range, with: value)
    }
}
