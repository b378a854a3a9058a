// Week and day views open scrolled to 08:00 (hours above stay reachable by scrolling).
function scrollToMorning(root) {
  for (const box of root.querySelectorAll("[data-scroll-to]")) {
    const hourRem = Number(box.dataset.scrollTo) || 3;
    const rem = parseFloat(getComputedStyle(document.documentElement).fontSize);
    if (!box.dataset.scrolled) box.scrollTop = 8 * hourRem * rem;
    box.dataset.scrolled = "true";
  }
}
window.htmx.onLoad(scrollToMorning);
