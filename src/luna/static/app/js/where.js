// Where to go: the venue recommendations on a map and in a list, with their reasons and
// distances, and the constraints and a mood as filters (GET /reco/venues/{user_id}).
import { api, el, localInput, session, withOffset } from "./api.js";

const L = window.L;
const PRICE = ["", "$", "$$", "$$$", "$$$$"];
let map;
let layer;
let venues = new Map(); // id -> VenueRead (coordinates, price, rating)

export async function showWhere(config, onChoose) {
  if (!map) {
    map = L.map("map", { attributionControl: Boolean(config.tiles_url) });
    if (config.tiles_url) {
      L.tileLayer(config.tiles_url, { maxZoom: 19, attribution: "map tiles" }).addTo(map);
    }
    layer = L.layerGroup().addTo(map);
  }
  const all = await api("/venues/", { query: { limit: 1000 } });
  venues = new Map(all.map((venue) => [venue.id, venue]));
  const select = document.getElementById("categories");
  select.replaceChildren(el("option", { value: "" }, "any"),
    ...[...new Set(all.map((v) => v.category).filter(Boolean))].sort()
      .map((category) => el("option", { value: category }, category)));
  const moods = await api("/vibes");
  document.getElementById("mood").replaceChildren(el("option", { value: "" }, "any"),
    el("option", { value: "auto", title: "Your usual vibe at that time (or now)" }, "my usual"),
    ...moods.map((vibe) => el("option", { value: vibe.name, title: vibe.description }, vibe.name)));
  const form = document.getElementById("filters");
  form.onsubmit = (event) => {
    event.preventDefault();
    load(form, onChoose);
  };
  await load(form, onChoose);
}

async function load(form, onChoose) {
  const values = new FormData(form);
  const me = session();
  const vibe = values.get("vibe");
  // "my usual" (vibe=auto) is for a moment: the one asked for, else now.
  const at = values.get("at") || (vibe === "auto" ? localInput(new Date()) : "");
  const recommendations = await api(`/reco/venues/${me.user_id}`, {
    query: {
      limit: 15,
      max_distance_km: values.get("max_distance_km"),
      max_price_level: values.get("max_price_level"),
      categories: values.get("categories"),
      at: withOffset(at),
      vibe,
    },
  });
  render(recommendations, onChoose);
}

function render(recommendations, onChoose) {
  const list = document.getElementById("venues");
  list.replaceChildren();
  layer.clearLayers();
  const points = [];
  const home = session().home;
  if (home && home[0] !== null) {
    L.circleMarker(home, { radius: 6, color: "#1d2330", fillOpacity: 1 })
      .bindTooltip("home").addTo(layer);
    points.push(home);
  }
  if (!recommendations.length) list.append(el("li", { class: "empty" }, "Nothing matches these filters."));
  recommendations.forEach((reco, index) => {
    const venue = venues.get(reco.venue_id);
    const item = el("li", { "data-venue-id": reco.venue_id },
      el("div", {}, el("span", { class: "name" }, `${index + 1}. ${reco.venue_name}`)),
      el("div", { class: "meta" }, [
        reco.category,
        reco.distance_km === null ? null : `${reco.distance_km.toFixed(1)} km`,
        venue?.price_level ? PRICE[venue.price_level] : null,
        venue?.rating ? `★ ${venue.rating}` : null,
      ].filter(Boolean).join(" · ")),
      el("ul", { class: "reasons" }, reco.reasons.map((reason) => el("li", {}, reason))));
    const choose = () => {
      for (const other of list.children) other.classList.toggle("selected", other === item);
      onChoose(reco, venue);
    };
    item.addEventListener("click", choose);
    list.append(item);
    if (venue) {
      const point = [venue.lat, venue.lng];
      L.circleMarker(point, { radius: 8, color: "#4256d0", fillColor: "#7f8ff0", fillOpacity: 0.9 })
        .bindTooltip(`${index + 1}. ${reco.venue_name}`)
        .on("click", choose)
        .addTo(layer);
      points.push(point);
    }
  });
  if (points.length) map.fitBounds(points, { padding: [24, 24], maxZoom: 15 });
  else map.setView([40.73, -73.99], 12);
}
