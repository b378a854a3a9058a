// Small behaviours declared in markup, so pages need no inline handlers (a Content-Security-Policy
// without 'unsafe-inline' can then apply):
//   <select data-submit-on-change>  submits its form when the choice changes;
//   <button data-dismiss>           removes the element it sits in (a flash message);
//   <a data-current="page" hx-get>  after its HTMX request succeeds, becomes the one link with
//                                   aria-current="page" among those with the same data-current;
//   <select data-weekly-from="id_start" data-weekdays="weekdays">  choosing "weekly" with no
//                                   day ticked ticks the weekday of the start date field.
//   a form sent back with errors     its first invalid field is scrolled to and focused.
document.addEventListener("change", (event) => {
  const control = event.target.closest("[data-submit-on-change]");
  if (control && control.form) control.form.requestSubmit();
});

document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-dismiss]");
  if (button) button.parentElement.remove();
});

document.addEventListener("htmx:afterRequest", (event) => {
  const link = event.detail.elt;
  if (!event.detail.successful || !link.matches?.("[data-current]")) return;
  const kind = link.dataset.current;
  for (const other of document.querySelectorAll(`[data-current="${kind}"]`)) other.removeAttribute("aria-current");
  link.setAttribute("aria-current", kind);
});

document.addEventListener("change", (event) => {
  const repeat = event.target.closest("[data-weekly-from]");
  if (!repeat || repeat.value !== "weekly" || !repeat.form) return;
  const boxes = [...repeat.form.querySelectorAll(`input[name="${repeat.dataset.weekdays}"]`)];
  const start = document.getElementById(repeat.dataset.weeklyFrom)?.value;
  if (!start || boxes.some((box) => box.checked)) return;
  const day = new Date(`${start.slice(0, 10)}T12:00:00`); // noon: the date, whatever the zone
  if (Number.isNaN(day.getTime())) return;
  const mondayFirst = String((day.getDay() + 6) % 7); // the form numbers Monday 0 ... Sunday 6
  const box = boxes.find((candidate) => candidate.value === mondayFirst);
  if (box) box.checked = true;
});

// A form sent back with errors: its first invalid field is scrolled to and focused (inside a
// closed <details>, that is opened first), so the message is seen whatever the form's length.
function focusFirstError(root) {
  const field = root.querySelector?.('form [aria-invalid="true"]');
  if (!field) return;
  for (let parent = field.closest("details"); parent; parent = parent.parentElement?.closest("details")) {
    parent.open = true;
  }
  field.scrollIntoView({ block: "center" });
  field.focus({ preventScroll: true });
}

focusFirstError(document);
document.addEventListener("htmx:afterSwap", (event) => focusFirstError(event.detail.elt));
