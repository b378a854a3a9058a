// Booking page: show times in the booker's timezone, on their clock, weeks as they start them.
// On a first visit (nothing chosen in the URL) the fields hold the host's; switch them to the
// browser's and let htmx reload the widget once.
import { browserClock } from "./locale.js";
import { detected, zoneIn } from "./timezone.js";

function detect() {
  const zone = document.querySelector("select[data-booker-timezone][data-detect]");
  if (!zone) return;
  zone.removeAttribute("data-detect");
  let changed = false;
  const browserZone = zoneIn(zone, detected); // under its current name: Asia/Calcutta is Asia/Kolkata
  if (browserZone && browserZone !== zone.value) {
    zone.value = browserZone;
    changed = true;
  }
  if (!document.querySelector("[data-clock-chosen]")) {
    const { hour12, weekStart } = browserClock();
    const clock = document.querySelector("select[data-booker-clock]");
    const week = document.querySelector("select[data-booker-week]");
    if (clock && clock.value !== (hour12 ? "12" : "24")) {
      clock.value = hour12 ? "12" : "24";
      changed = true;
    }
    if (week && week.value !== String(weekStart)) {
      week.value = String(weekStart);
      changed = true;
    }
  }
  if (changed) zone.dispatchEvent(new Event("change", { bubbles: true }));
}

// After htmx has wired up the page, so the change reaches the form's hx-trigger.
window.htmx.onLoad(detect);

// A day picked on the month (its times load on their own) stays picked when the booker then
// changes their timezone or clock, which reloads the whole picker from the form.
document.addEventListener("htmx:afterRequest", (event) => {
  const day = event.detail.elt.closest?.("a[data-day]");
  const field = document.querySelector("input[data-picked-day]");
  if (event.detail.successful && day && field) field.value = day.dataset.day;
});
