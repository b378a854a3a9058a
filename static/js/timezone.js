// The timezone picker, one for every page: a native <select data-timezone-picker> (it works without
// JavaScript and posts an IANA name) whose options carry a readable label ("Kolkata — India
// (UTC+05:30, IST)") and, in data-search, the zone's name, its legacy names (Asia/Calcutta) and
// its other season's abbreviation. This module adds a search box that filters them (every typed
// word must match), picked with the arrows and Enter or the mouse; picking fires "change", so a
// select that submits on change (data-submit-on-change, or an htmx form) submits.
//
// The browser knows the person's zone; the server only guesses. Browsers keep legacy names
// (Chromium says "Asia/Calcutta"), so a detected name is looked up among the options' aliases:
// - select[data-detect-timezone] (sign-up): preselect the browser's zone.
// - select[data-suggest-timezone] (profile): offer a one-click switch when they differ.
export const detected = Intl.DateTimeFormat().resolvedOptions().timeZone;

/** The option value of ``select`` that is the zone ``name`` (under its current name), or "". */
export function zoneIn(select, name) {
  if (!name) return "";
  for (const option of select.options) {
    if (option.value === name || (option.dataset.search || "").split(" ").includes(name)) return option.value;
  }
  return "";
}

function normalise(text) {
  return text.toLowerCase().replace(/\u2212/g, "-").replace(/[_/]/g, " ");
}

function offerSuggestion(select) {
  const zone = zoneIn(select, detected);
  if (!zone || select.value === zone || select.dataset.suggested) return;
  select.dataset.suggested = "true";
  const hint = document.createElement("p");
  hint.className = "mt-1 text-sm text-slate-600";
  hint.dataset.timezoneSuggestion = "";
  hint.append(`Your browser is set to ${zone}. `);
  const button = document.createElement("button");
  button.type = "button";
  button.className = "font-medium text-brand-700 underline";
  button.textContent = "Use it";
  button.addEventListener("click", () => {
    select.value = zone;
    select.dispatchEvent(new Event("change", { bubbles: true }));
    hint.remove();
  });
  hint.append(button);
  select.insertAdjacentElement("afterend", hint);
}

let pickers = 0;
const SHOWN = 50; // matches listed at most: a few words narrow 420 zones to a handful

function enhance(select) {
  if (select.dataset.pickerReady) return;
  select.dataset.pickerReady = "true";
  const id = `${select.id || `zone-picker-${++pickers}`}-search`;
  const options = [...select.options].map((option) => ({
    option,
    text: normalise(`${option.textContent} ${option.value} ${option.dataset.search || ""}`),
  }));

  const box = document.createElement("div");
  box.className = "relative mt-1 w-full min-w-0 sm:max-w-md";
  box.dataset.zoneSearch = "";
  const input = document.createElement("input");
  input.type = "search";
  input.id = id;
  input.className = "input py-1 text-sm";
  input.placeholder = "Find a zone: city, country, CET, +05:30";
  input.autocomplete = "off";
  input.spellcheck = false;
  input.setAttribute("aria-label", "Find a zone by city, country, abbreviation or offset");
  input.setAttribute("role", "combobox");
  input.setAttribute("aria-autocomplete", "list");
  input.setAttribute("aria-expanded", "false");
  input.setAttribute("aria-controls", `${id}-list`);
  const list = document.createElement("ul");
  list.id = `${id}-list`;
  list.hidden = true;
  list.setAttribute("role", "listbox");
  list.setAttribute("aria-label", "Matching zones");
  list.className =
    "absolute inset-x-0 z-50 mt-1 max-h-72 overflow-y-auto rounded-lg border border-slate-200 bg-white py-1 text-sm shadow-lg";
  box.append(input, list);
  select.insertAdjacentElement("afterend", box);

  let matches = [];
  let active = -1;

  function close() {
    list.hidden = true;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
    active = -1;
  }

  function highlight(index) {
    active = index;
    [...list.children].forEach((item, i) => {
      const on = i === index;
      item.setAttribute("aria-selected", on ? "true" : "false");
      item.classList.toggle("bg-brand-50", on);
      if (on) {
        input.setAttribute("aria-activedescendant", item.id);
        item.scrollIntoView({ block: "nearest" });
      }
    });
  }

  function pick(option) {
    close();
    input.value = "";
    if (select.value !== option.value) {
      select.value = option.value;
      select.dispatchEvent(new Event("change", { bubbles: true }));
    }
    select.focus();
  }

  function update() {
    const words = normalise(input.value).split(/\s+/).filter(Boolean);
    list.replaceChildren();
    if (!words.length) return close();
    matches = options.filter(({ text }) => words.every((word) => text.includes(word))).map(({ option }) => option);
    if (!matches.length) {
      const none = document.createElement("li");
      none.className = "px-3 py-2 text-slate-600";
      none.textContent = "No zone matches. Try a city or a country.";
      list.append(none);
      matches = [];
    }
    matches.slice(0, SHOWN).forEach((option, i) => {
      const item = document.createElement("li");
      item.id = `${id}-${i}`;
      item.setAttribute("role", "option");
      item.className = "cursor-pointer px-3 py-1.5 hover:bg-slate-50";
      item.textContent = option.textContent;
      const name = document.createElement("span");
      name.className = "block text-xs text-slate-600";
      name.textContent = option.value;
      item.append(name);
      item.addEventListener("mousedown", (event) => event.preventDefault()); // keep the focus in the box
      item.addEventListener("click", () => pick(option));
      list.append(item);
    });
    list.hidden = false;
    input.setAttribute("aria-expanded", "true");
    highlight(matches.length ? 0 : -1);
  }

  input.addEventListener("input", update);
  // Only a pick changes the zone: the box's own change (on blur) must not submit the form.
  input.addEventListener("change", (event) => event.stopPropagation());
  input.addEventListener("keydown", (event) => {
    const count = Math.min(matches.length, SHOWN);
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      if (list.hidden) update();
      if (count) highlight((active + (event.key === "ArrowDown" ? 1 : count - 1)) % count);
    } else if (event.key === "Enter") {
      event.preventDefault(); // never submits the form with a half-typed search
      if (!list.hidden && active >= 0) pick(matches[active]);
    } else if (event.key === "Escape" && !list.hidden) {
      event.preventDefault();
      close();
    }
  });
  input.addEventListener("blur", close);
}

function apply(root) {
  for (const select of root.querySelectorAll("select[data-detect-timezone]")) {
    const zone = zoneIn(select, detected);
    if (zone) select.value = zone;
  }
  for (const select of root.querySelectorAll("select[data-suggest-timezone]")) offerSuggestion(select);
  for (const select of root.querySelectorAll("select[data-timezone-picker]")) enhance(select);
}

apply(document);
document.addEventListener("htmx:load", (event) => apply(event.target));
