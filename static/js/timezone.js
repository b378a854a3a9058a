// The browser knows the person's IANA timezone; the server only guesses.
// - select[data-detect-timezone] (sign-up): preselect the browser's timezone.
// - select[data-suggest-timezone] (profile): offer a one-click switch when they differ.
const detected = Intl.DateTimeFormat().resolvedOptions().timeZone;

function hasOption(select, value) {
  return [...select.options].some((option) => option.value === value);
}

function offerSuggestion(select) {
  if (select.value === detected || !hasOption(select, detected) || select.dataset.suggested) return;
  select.dataset.suggested = "true";
  const hint = document.createElement("p");
  hint.className = "mt-1 text-sm text-slate-600";
  hint.dataset.timezoneSuggestion = "";
  hint.append(`Your browser is set to ${detected}. `);
  const button = document.createElement("button");
  button.type = "button";
  button.className = "font-medium text-brand-700 underline";
  button.textContent = "Use it";
  button.addEventListener("click", () => {
    select.value = detected;
    hint.remove();
  });
  hint.append(button);
  select.insertAdjacentElement("afterend", hint);
}

function apply(root) {
  for (const select of root.querySelectorAll("select[data-detect-timezone]")) {
    if (hasOption(select, detected)) select.value = detected;
  }
  for (const select of root.querySelectorAll("select[data-suggest-timezone]")) offerSuggestion(select);
}

apply(document);
document.addEventListener("htmx:load", (event) => apply(event.target));
