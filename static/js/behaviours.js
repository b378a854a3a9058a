// Small behaviours declared in markup, so pages need no inline handlers (a Content-Security-Policy
// without 'unsafe-inline' can then apply):
//   <select data-submit-on-change>  submits its form when the choice changes;
//   <button data-dismiss>           removes the element it sits in (a flash message).
document.addEventListener("change", (event) => {
  const control = event.target.closest("[data-submit-on-change]");
  if (control && control.form) control.form.requestSubmit();
});

document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-dismiss]");
  if (button) button.parentElement.remove();
});
