// The demo app: sign in, where to go, who to go with, a plan.
import { api, saveSession, session } from "./api.js";
import { showSignIn } from "./signin.js";
import { showVenue } from "./plan.js";
import { showWhere } from "./where.js";

const errorBox = document.getElementById("error");

function showError(error) {
  errorBox.textContent = String(error?.message || error);
  errorBox.hidden = false;
}
window.addEventListener("unhandledrejection", (event) => showError(event.reason));
window.addEventListener("error", (event) => showError(event.error || event.message));

async function start() {
  const config = await api("/app/config.json");
  const signOut = document.getElementById("sign-out");
  signOut.onclick = () => {
    saveSession(null);
    location.reload();
  };
  const enter = async () => {
    const me = session();
    errorBox.hidden = true;
    document.getElementById("me").textContent = `Signed in as ${me.name} (@${me.handle})`;
    signOut.hidden = false;
    document.getElementById("main").hidden = false;
    await showWhere(config, (reco) => showVenue(reco));
  };
  if (session()?.name) await enter();
  else await showSignIn(config, enter);
}

start().catch(showError);
