// The options of a new poll are a list typed one per line (the form works without JavaScript).
// This adds a date and time picker beside it that writes the lines: <div data-option-picker hidden>
// with #option-date, #option-time and a [data-add-option] button; the list is [data-option-list].
const picker = document.querySelector("[data-option-picker]");
const list = document.querySelector("[data-option-list]");

if (picker && list) {
  picker.classList.remove("hidden");
  picker.classList.add("flex");
  const day = picker.querySelector("#option-date");
  const time = picker.querySelector("#option-time");
  picker.querySelector("[data-add-option]").addEventListener("click", () => {
    if (!day.value) {
      day.focus();
      return;
    }
    const line = time.value ? `${day.value} ${time.value}` : day.value;
    const lines = list.value.split("\n").map((text) => text.trim()).filter(Boolean);
    if (!lines.includes(line)) lines.push(line);
    list.value = lines.join("\n");
    time.value = "";
    time.focus();
  });
}
