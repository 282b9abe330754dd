// The map on /map: Leaflet with the operator's tile server, markers from the GeoJSON export of
// the same search. Everything it needs is in data- attributes on #map (no inline script, the
// CSP forbids it). Record text is only ever set with textContent, never as HTML.
(function () {
  "use strict";

  var container = document.getElementById("map");
  var panel = document.getElementById("map-panel");
  var status = document.getElementById("map-status");
  if (!container || !panel || !window.L || !container.dataset.tiles) {
    return; // no tile server configured, or Leaflet did not load: the list stays on its own
  }

  function say(message) {
    if (status) {
      status.textContent = message;
    }
  }

  // Leaflet shows attributions as HTML; the configured text is shown as text.
  function asText(value) {
    var span = document.createElement("span");
    span.textContent = value || "";
    return span.innerHTML;
  }

  // Only links to pages: a relative path, or http(s).
  function safeHref(value) {
    if (typeof value !== "string") {
      return null;
    }
    if (value.charAt(0) === "/" && value.charAt(1) !== "/") {
      return value;
    }
    return /^https?:\/\//i.test(value) ? value : null;
  }

  function popupFor(properties) {
    var box = document.createElement("div");
    var heading = document.createElement("p");
    heading.className = "map-popup-title";
    var href = safeHref(properties.url);
    var title = document.createElement(href ? "a" : "span");
    if (href) {
      title.href = href;
    }
    title.textContent = properties.title || "Untitled record";
    heading.appendChild(title);
    box.appendChild(heading);
    var place = [properties.city, properties.country_name || properties.country]
      .filter(function (part) { return typeof part === "string" && part; })
      .join(", ");
    if (place) {
      var where = document.createElement("p");
      where.className = "map-popup-place";
      where.textContent = place;
      box.appendChild(where);
    }
    return box;
  }

  panel.hidden = false;
  var map = L.map(container, { worldCopyJump: true }).setView([30, 20], 2);
  L.tileLayer(container.dataset.tiles, {
    attribution: asText(container.dataset.attribution),
    maxZoom: 18,
  }).addTo(map);

  var group = typeof L.markerClusterGroup === "function" ? L.markerClusterGroup() : L.featureGroup();
  group.addTo(map);

  say("Loading the records…");
  fetch(container.dataset.geojson, { credentials: "same-origin", headers: { Accept: "application/geo+json" } })
    .then(function (response) {
      if (!response.ok) {
        throw new Error("HTTP " + response.status);
      }
      return response.json();
    })
    .then(function (collection) {
      var layer = L.geoJSON(collection, {
        pointToLayer: function (feature, latlng) {
          var title = (feature.properties && feature.properties.title) || "Record";
          return L.marker(latlng, { title: title, alt: title, keyboard: true });
        },
        onEachFeature: function (feature, marker) {
          marker.bindPopup(popupFor(feature.properties || {}));
        },
      });
      layer.eachLayer(function (marker) { group.addLayer(marker); });
      var count = layer.getLayers().length;
      if (count) {
        map.fitBounds(group.getBounds(), { padding: [24, 24], maxZoom: 10 });
      }
      say(count === 1 ? "1 record on the map." : count + " records on the map.");
      container.dataset.markers = String(count);
    })
    .catch(function () {
      say("The records could not be loaded onto the map; the list below has all of them.");
    });
})();
