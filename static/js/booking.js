// Booking page: show times in the booker's timezone. On a first visit (no ?tz= in the URL) the
// timezone field holds the host's zone; switch it to the browser's and let htmx reload the widget.
function detect() {
  const input = document.querySelector("input[data-booker-timezone][data-detect]");
  if (!input) return;
  input.removeAttribute("data-detect");
  const browserZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  if (browserZone && browserZone !== input.value) {
    input.value = browserZone;
    input.dispatchEvent(new Event("change", { bubbles: true }));
  }
}

// After htmx has wired up the page, so the change reaches the form's hx-trigger.
window.htmx.onLoad(detect);
