// Who to go with for a chosen venue (GET /reco/people/{user_id}?venue_id=), then a plan:
// create it, invite people, confirm it, and watch its status and timeline.
import { api, el, localInput, session } from "./api.js";

let plan = null;
let names = new Map();

export async function showVenue(reco) {
  const me = session();
  plan = null;
  document.getElementById("plan-panel").hidden = true;
  document.getElementById("venue-panel").hidden = false;
  document.getElementById("venue-title").textContent = reco.venue_name;
  const form = document.getElementById("plan-form");
  const tomorrow = new Date(Date.now() + 24 * 3600 * 1000);
  tomorrow.setHours(19, 0, 0, 0);
  form.elements.start_time.value = localInput(tomorrow);
  form.elements.title.value = `${reco.venue_name} with friends`;
  form.querySelector("button").disabled = false;
  form.onsubmit = (event) => {
    event.preventDefault();
    createPlan(reco, form);
  };
  const people = await api(`/reco/people/${me.user_id}`, {
    query: { venue_id: reco.venue_id, limit: 5 },
  });
  names = new Map([[me.user_id, me.name], ...people.map((p) => [p.user_id, p.name])]);
  const list = document.getElementById("people");
  list.replaceChildren(...people.map((person) => el("li", { "data-user-id": person.user_id },
    el("div", {}, el("div", {}, person.name, " ", el("span", { class: "meta" }, `@${person.handle}`)),
      el("div", { class: "meta" }, person.reasons.join(" ") || person.relationship_type)),
    el("button", {
      type: "button", class: "invite", disabled: "", title: "Make a plan first",
      onclick: (event) => invite(person, event.currentTarget),
    }, "Invite"))));
  if (!people.length) list.append(el("li", {}, "No one to suggest for this venue."));
}

async function createPlan(reco, form) {
  const me = session();
  const start = new Date(form.elements.start_time.value);
  form.querySelector("button").disabled = true;
  try {
    plan = await api("/plans/", {
      method: "POST",
      body: {
        organizer_id: me.user_id,
        venue_id: reco.venue_id,
        start_time: start.toISOString(),
        title: form.elements.title.value || null,
      },
    });
  } catch (error) {
    form.querySelector("button").disabled = false;
    throw error;
  }
  for (const button of document.querySelectorAll("#people button.invite")) {
    button.disabled = false;
    button.removeAttribute("title");
  }
  document.getElementById("plan-panel").hidden = false;
  document.getElementById("plan-title").textContent = plan.title || reco.venue_name;
  document.getElementById("confirm").disabled = false;
  document.getElementById("confirm").onclick = confirm;
  await refresh();
}

async function invite(person, button) {
  button.disabled = true;
  await api(`/plans/${plan.id}/participants`, { method: "POST", body: { user_id: person.user_id } });
  button.textContent = "Invited";
  await refresh();
}

async function confirm() {
  const button = document.getElementById("confirm");
  button.disabled = true;
  // wait=false: 202 with the plan in `booking` at once; the page then polls the plan.
  await api(`/plans/${plan.id}/confirm`, { method: "POST", query: { wait: false } });
  const planId = plan.id;
  for (let i = 0; i < 120; i += 1) {
    await refresh();
    if (plan.id !== planId || plan.status !== "booking") return;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

async function refresh() {
  const planId = plan.id;
  // The plan first, then its events: a status change is written with its events, so the
  // timeline is then at least as new as the status (read together, the events could be
  // older, and the poll in confirm() stops at the new status).
  const current = await api(`/plans/${planId}`);
  const events = await api(`/plans/${planId}/events`);
  if (plan?.id !== planId) return;
  plan = current;
  const status = document.getElementById("plan-status");
  status.textContent = plan.status;
  status.className = `status-${plan.status}`;
  document.getElementById("participants").replaceChildren(...plan.participants.map((p) =>
    el("li", {}, `${names.get(p.user_id) || p.user_id}: ${p.status}`)));
  document.getElementById("timeline").replaceChildren(...events.map((event) =>
    el("li", { "data-kind": event.kind },
      `${new Date(event.created_at).toLocaleTimeString()} ${event.kind}`,
      event.from_status || event.to_status ? ` (${event.from_status ?? "—"} → ${event.to_status ?? "—"})` : "",
      event.outcome ? `: ${event.outcome}` : "",
      event.detail ? ` — ${event.detail}` : "")));
  // Confirm once, from `pending` (a failed booking can be confirmed again).
  document.getElementById("confirm").hidden = !["pending", "booking_failed"].includes(plan.status);
}
