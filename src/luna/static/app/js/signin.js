// Sign in: the demo people (GET /app/demo-sign-in, only with the development secret) or a
// pasted bearer token.
import { api, el, saveSession } from "./api.js";

function subjectOf(token) {
  const payload = token.split(".")[1] || "";
  return JSON.parse(atob(payload.replace(/-/g, "+").replace(/_/g, "/"))).sub;
}

export async function showSignIn(config, onSignedIn) {
  document.getElementById("sign-in").hidden = false;
  const list = document.getElementById("demo-people");
  list.replaceChildren();
  if (config.demo_sign_in) {
    const people = await api("/app/demo-sign-in").catch(() => []);
    for (const person of people) {
      list.append(el("li", {},
        el("span", {}, person.name, " ", el("span", { class: "meta" }, `@${person.handle}`)),
        el("button", {
          type: "button", "data-handle": person.handle,
          onclick: () => signIn({ token: person.token, user_id: person.user_id }),
        }, `Sign in as ${person.name}`)));
    }
  }
  if (!list.children.length) list.append(el("li", {}, "No demo sign-in on this server: paste a token."));

  async function signIn(value) {
    saveSession(value);
    try {
      const me = await api(`/users/${value.user_id}`);
      saveSession({ ...value, name: me.name, handle: me.handle, home: [me.home_lat, me.home_lng] });
      document.getElementById("sign-in").hidden = true;
      onSignedIn();
    } catch (error) {
      saveSession(null);
      throw error;
    }
  }

  document.getElementById("token-form").onsubmit = (event) => {
    event.preventDefault();
    const token = document.getElementById("token-input").value.trim();
    let sub;
    try { sub = subjectOf(token); } catch { sub = null; }
    if (!sub) throw new Error("That is not a bearer token (JWT)");
    signIn({ token, user_id: sub });
  };
}
