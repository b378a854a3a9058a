// Poll grids: paint availability by dragging a rectangle (mouse, pen, touch) or with the keyboard,
// and move around any grid (including the read-only heat map) with the arrow keys.
//
// Touch: the page keeps scrolling. A tap paints one cell; a long press (or "paint mode") starts
// a drag that paints, and while it lasts the page does not scroll.
//
// Every stroke sends the person's whole painted grid in one request (htmx.ajax), so a lost or
// repeated request can never leave half a stroke behind.

const LEVEL_NAMES = { 0: "not available", 1: "if need be", 2: "fine", 3: "preferred" };
const LONG_PRESS_MS = 350;
const MOVE_TOLERANCE_PX = 10;

function csrfToken() {
  try {
    return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
  } catch {
    return "";
  }
}

class PollGrid {
  constructor(root) {
    this.root = root;
    this.table = root.querySelector("table");
    this.editable = root.hasAttribute("data-editable");
    this.rows = [...this.table.tBodies[0].rows].map((row) => [...row.cells].slice(1));
    this.cells = this.rows.flat().filter((cell) => cell.dataset.cell);
    this.status = root.querySelector("[data-save-status]");
    this.painting = null;
    this.saving = false;
    this.pendingSave = false;
    this.setUpFocus();
    if (this.editable) this.setUpPainting();
  }

  position(cell) {
    return [cell.parentElement.rowIndex - 1, cell.cellIndex - 1];
  }

  // --- keyboard: a roving tabindex over the cells ---------------------------------------------
  setUpFocus() {
    const first = this.cells[0];
    if (first) first.tabIndex = 0;
    this.table.addEventListener("keydown", (event) => this.onKey(event));
  }

  focusCell(cell) {
    for (const other of this.cells) other.tabIndex = -1;
    cell.tabIndex = 0;
    cell.focus();
  }

  onKey(event) {
    const cell = event.target.closest("td[data-cell]");
    if (!cell) return;
    const moves = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] };
    if (moves[event.key]) {
      event.preventDefault();
      let [row, column] = this.position(cell);
      const [dRow, dColumn] = moves[event.key];
      // Skip the gaps of a grid shown in another timezone.
      for (;;) {
        row += dRow;
        column += dColumn;
        const next = this.rows[row]?.[column];
        if (!next) return;
        if (next.dataset.cell) return this.focusCell(next);
      }
    }
    if (this.editable && (event.key === " " || event.key === "Enter")) {
      event.preventDefault();
      this.paint([cell], this.brush());
      this.save();
    }
  }

  // --- painting -----------------------------------------------------------------------------
  brush() {
    const checked = this.root.querySelector('input[name="brush"]:checked');
    return checked ? Number(checked.value) : 3;
  }

  setUpPainting() {
    for (const cell of this.cells) this.describe(cell);
    const toggle = this.root.querySelector("[data-paint-mode-toggle]");
    toggle?.addEventListener("click", () => {
      const on = !this.root.hasAttribute("data-paint-mode");
      this.root.toggleAttribute("data-paint-mode", on);
      toggle.setAttribute("aria-pressed", String(on));
      toggle.textContent = `Paint mode: ${on ? "on" : "off"}`;
    });
    this.table.addEventListener("pointerdown", (event) => this.onDown(event));
    this.table.addEventListener("pointermove", (event) => this.onMove(event));
    this.table.addEventListener("pointerup", (event) => this.onUp(event));
    this.table.addEventListener("pointercancel", () => this.cancel());
    // While a touch drag paints, keep the page from scrolling (needs a non-passive listener).
    this.table.addEventListener("touchmove", (event) => this.painting?.active && event.preventDefault(), {
      passive: false,
    });
    this.table.addEventListener("contextmenu", (event) => this.painting && event.preventDefault());
  }

  cellAt(x, y) {
    return document.elementFromPoint(x, y)?.closest?.("td[data-cell]");
  }

  onDown(event) {
    const cell = event.target.closest("td[data-cell]");
    if (!cell || event.button > 0) return;
    const touch = event.pointerType === "touch";
    const immediate = !touch || this.root.hasAttribute("data-paint-mode");
    this.painting = { anchor: cell, current: cell, active: immediate, touch, x: event.clientX, y: event.clientY };
    if (immediate) {
      if (!touch) event.preventDefault(); // no text selection while dragging
      this.table.setPointerCapture?.(event.pointerId);
      this.preview();
    } else {
      this.painting.timer = setTimeout(() => {
        if (!this.painting) return;
        this.painting.active = true;
        navigator.vibrate?.(10);
        this.preview();
      }, LONG_PRESS_MS);
    }
  }

  onMove(event) {
    const painting = this.painting;
    if (!painting) return;
    if (!painting.active) {
      // The finger moved before the long press: it is scrolling, not painting.
      if (Math.hypot(event.clientX - painting.x, event.clientY - painting.y) > MOVE_TOLERANCE_PX) this.cancel();
      return;
    }
    const cell = this.cellAt(event.clientX, event.clientY);
    if (cell && cell !== painting.current) {
      painting.current = cell;
      this.preview();
    }
  }

  onUp() {
    const painting = this.painting;
    if (!painting) return;
    clearTimeout(painting.timer);
    const tap = painting.touch && !painting.active;
    if (painting.active || tap) {
      this.paint(tap ? [painting.anchor] : this.rectangle(), this.brush());
      this.save();
    }
    this.cancel();
  }

  cancel() {
    if (this.painting) clearTimeout(this.painting.timer);
    this.painting = null;
    for (const cell of this.table.querySelectorAll(".is-preview")) cell.classList.remove("is-preview");
  }

  rectangle() {
    const [rowA, columnA] = this.position(this.painting.anchor);
    const [rowB, columnB] = this.position(this.painting.current);
    const cells = [];
    for (let row = Math.min(rowA, rowB); row <= Math.max(rowA, rowB); row++) {
      for (let column = Math.min(columnA, columnB); column <= Math.max(columnA, columnB); column++) {
        const cell = this.rows[row]?.[column];
        if (cell?.dataset.cell) cells.push(cell);
      }
    }
    return cells;
  }

  preview() {
    const chosen = new Set(this.rectangle());
    for (const cell of this.cells) cell.classList.toggle("is-preview", chosen.has(cell));
  }

  describe(cell) {
    cell.setAttribute("aria-label", `${cell.dataset.label}, ${LEVEL_NAMES[cell.dataset.level || 0]}`);
  }

  paint(cells, level) {
    for (const cell of cells) {
      cell.dataset.level = String(level);
      this.describe(cell);
    }
  }

  // --- saving -------------------------------------------------------------------------------
  payload() {
    const cells = {};
    for (const cell of this.cells) {
      const level = Number(cell.dataset.level || 0);
      if (level) cells[cell.dataset.cell] = level;
    }
    return JSON.stringify({ cells });
  }

  setStatus(text, error = false) {
    if (!this.status) return;
    this.status.textContent = text;
    this.status.classList.toggle("text-red-700", error);
    this.status.setAttribute("role", error ? "alert" : "status");
  }

  save() {
    if (this.saving) {
      this.pendingSave = true; // the next request carries the latest state
      return;
    }
    this.saving = true;
    this.setStatus("Saving…");
    window.htmx
      .ajax("POST", this.root.dataset.saveUrl, {
        source: this.root,
        swap: "none",
        values: { payload: this.payload() },
        headers: { "X-CSRFToken": csrfToken() },
      })
      .finally(() => {
        this.saving = false;
        if (this.pendingSave) {
          this.pendingSave = false;
          this.save();
        }
      });
  }
}

document.addEventListener("htmx:afterRequest", (event) => {
  const root = event.detail.elt?.closest?.("[data-poll-grid]");
  if (!root?.pollGrid || event.detail.requestConfig?.verb !== "post") return;
  const xhr = event.detail.xhr;
  if (event.detail.successful) {
    const time = new Date().toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
    root.pollGrid.setStatus(`Saved ✓ ${time}`);
    root.dispatchEvent(new CustomEvent("grid:saved", { bubbles: true }));
  } else {
    let message = "Could not save. Check your connection and paint again.";
    try {
      message = JSON.parse(xhr.responseText).error || message;
    } catch {}
    root.pollGrid.setStatus(message, true);
  }
});

window.htmx.onLoad((element) => {
  for (const root of element.querySelectorAll?.("[data-poll-grid]") || []) {
    if (!root.pollGrid) root.pollGrid = new PollGrid(root);
  }
});
