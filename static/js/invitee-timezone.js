// First visit to an invitation link: show the grid in the browser's timezone.
const select = document.querySelector("select[data-invitee-timezone][data-detect]");
const browserZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
if (select && browserZone && browserZone !== select.value && [...select.options].some((o) => o.value === browserZone)) {
  const url = new URL(window.location.href);
  url.searchParams.set("tz", browserZone);
  window.location.replace(url);
}
