// Show a form section only when another field has a given value:
// <div data-show-when="id_kind=group">. Without JavaScript everything stays visible.
function valueOf(control) {
  if (control.type === "checkbox") return control.checked ? "on" : "off";
  if (control.type === "radio") return document.querySelector(`input[name="${control.name}"]:checked`)?.value;
  return control.value;
}

function update() {
  for (const section of document.querySelectorAll("[data-show-when]")) {
    const [id, wanted] = section.dataset.showWhen.split("=");
    const control = document.getElementById(id);
    if (control) section.hidden = !wanted.split("|").includes(valueOf(control));
  }
}

document.addEventListener("change", update);
update();
