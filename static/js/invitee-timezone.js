// First visit to an invitation link: show the page in the browser's timezone, on its clock. Once
// it is, a <form data-auto-submit> is sent: the answer an email's one-click Yes/No/Maybe link asked
// for (a POST from the page, so mail scanners that open links answer nothing).
import { browserClock } from "./locale.js";
import { detected, zoneIn } from "./timezone.js";

const url = new URL(window.location.href);
let changed = false;
const zone = document.querySelector("select[data-invitee-timezone][data-detect]");
const browserZone = zone ? zoneIn(zone, detected) : ""; // under its current name: Asia/Calcutta is Asia/Kolkata
if (zone && browserZone && browserZone !== zone.value) {
  url.searchParams.set("tz", browserZone);
  changed = true;
}
const clock = document.querySelector("select[data-invitee-clock][data-detect]");
const hour12 = browserClock().hour12 ? "12" : "24";
if (clock && clock.value !== hour12) {
  url.searchParams.set("clock", hour12);
  url.searchParams.set("tz", url.searchParams.get("tz") || zone?.value || "");
  changed = true;
}
if (changed) {
  window.location.replace(url);
} else if (document.visibilityState === "visible") {
  // Only a page someone is looking at answers (a prefetched or background tab does not).
  for (const form of document.querySelectorAll("form[data-auto-submit]")) {
    form.removeAttribute("data-auto-submit"); // once: a page restored from history does not resend
    form.requestSubmit();
  }
}
