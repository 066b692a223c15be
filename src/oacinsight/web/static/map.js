// oacinsight map: boundaries (or points) coloured with the values the server computed.
// Everything is fetched from this server; there are no tiles and no other hosts.
(function () {
  "use strict";
  var el = document.getElementById("map");
  if (!el || !window.L) { return; }
  var started = performance.now();
  var canvas = el.dataset.renderer === "canvas" || el.dataset.layer === "points";
  var renderer = canvas ? L.canvas({ padding: 0.3 }) : L.svg({ padding: 0.3 });
  var map = L.map(el, { renderer: renderer, preferCanvas: canvas, zoomSnap: 0.25 });
  map.attributionControl.setPrefix(false);
  map.attributionControl.addAttribution(el.dataset.source + ", © Crown copyright");
  var hover = document.getElementById("map-hover");
  var status = document.getElementById("map-status");
  var hoverDefault = hover.textContent;

  function getJSON(url) {
    return fetch(url, { credentials: "same-origin" }).then(function (r) {
      if (!r.ok) {
        return r.json().then(function (b) { throw new Error(b.detail || r.statusText); },
                             function () { throw new Error(r.statusText); });
      }
      return r.json();
    });
  }

  function legend(values) {
    document.getElementById("legend-title").textContent = values.label;
    var ul = document.getElementById("legend");
    ul.textContent = "";
    values.legend.forEach(function (entry) {
      var li = document.createElement("li");
      var sw = document.createElement("span");
      sw.className = "swatch";
      sw.style.background = entry.colour;
      li.appendChild(sw);
      li.appendChild(document.createTextNode(entry.label));
      ul.appendChild(li);
    });
    document.getElementById("map-explain").textContent = values.explanation;
  }

  function area(values, code) {
    return values.areas[code] || { colour: "#f2f2f2", text: code + ": no data" };
  }

  function openArea(code) {
    window.location.href = el.dataset.link.replace("{code}", encodeURIComponent(code));
  }

  function show(text) { hover.textContent = text; }

  function polygons(geo, values) {
    var layer = L.geoJSON(geo, {
      style: function (f) {
        return { color: "#555", weight: 0.6, fillOpacity: 0.85, fillColor: area(values, f.id).colour };
      },
      onEachFeature: function (f, lyr) {
        lyr.on("mouseover", function () { lyr.setStyle({ weight: 2.5, color: "#000" }); show(area(values, f.id).text); });
        lyr.on("mouseout", function () { lyr.setStyle({ weight: 0.6, color: "#555" }); show(hoverDefault); });
        lyr.on("click", function () { openArea(f.id); });
      }
    }).addTo(map);
    var target = el.dataset.area && layer.getLayers().filter(function (l) { return l.feature.id === el.dataset.area; })[0];
    map.fitBounds((target || layer).getBounds(), { padding: [8, 8] });
    return geo.features.length;
  }

  function points(values) {
    var group = L.featureGroup();
    values.points.forEach(function (p) {
      var a = area(values, p[0]);
      var m = L.circleMarker([p[1], p[2]], { radius: 5, weight: 0.6, color: "#444", fillOpacity: 0.9, fillColor: a.colour, renderer: renderer });
      m.on("mouseover", function () { show(a.text); });
      m.on("click", function () { openArea(p[0]); });
      group.addLayer(m);
    });
    group.addTo(map);
    if (values.points.length) { map.fitBounds(group.getBounds(), { padding: [8, 8] }); }
    return values.points.length;
  }

  var geoUrl = el.dataset.geojson;
  Promise.all([getJSON(el.dataset.values), geoUrl ? getJSON(geoUrl) : Promise.resolve(null)])
    .then(function (res) {
      var fetched = performance.now();
      var values = res[0];
      legend(values);
      var n = res[1] ? polygons(res[1], values) : points(values);
      var built = performance.now();
      requestAnimationFrame(function () {
        requestAnimationFrame(function () {
          var ms = Math.round(performance.now() - started);
          el.dataset.features = String(n);
          el.dataset.drawnMs = String(ms);
          el.dataset.timings = JSON.stringify({ script: Math.round(started), fetched: Math.round(fetched - started),
                                                built: Math.round(built - fetched), painted: Math.round(performance.now() - built) });
          el.dataset.drawn = "true";
          status.textContent = n.toLocaleString() + (res[1] ? " areas" : " output areas") + " drawn.";
        });
      });
    })
    .catch(function (err) {
      status.textContent = "The map could not be drawn: " + err.message;
      status.className = "error";
      el.dataset.drawn = "error";
    });

  var form = document.getElementById("map-form");
  ["measure", "layer"].forEach(function (id) {
    document.getElementById(id).addEventListener("change", function () { form.submit(); });
  });
})();
