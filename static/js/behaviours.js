// Small behaviours declared in markup, so pages need no inline handlers (a Content-Security-Policy
// without 'unsafe-inline' can then apply):
//   <select data-submit-on-change>  submits its form when the choice changes;
//   <button data-dismiss>           removes the element it sits in (a flash message);
//   <a data-current="page" hx-get>  after its HTMX request succeeds, becomes the one link with
//                                   aria-current="page" among those with the same data-current.
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
