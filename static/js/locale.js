// How this browser writes times and starts weeks, from the locale it reports (Intl).
// - browserClock(): { hour12, weekStart } with weekStart 0 = Monday ... 6 = Sunday.
// - input[data-detect-clock] / input[data-detect-week-start] (sign-up) are filled in on load.
const WEEK_STARTS = [0, 5, 6]; // Monday, Saturday, Sunday: what people can choose

export function browserClock() {
  const hour12 = Boolean(new Intl.DateTimeFormat(undefined, { hour: "numeric" }).resolvedOptions().hour12);
  let weekStart = 0;
  try {
    const locale = new Intl.Locale(navigator.language);
    const info = locale.getWeekInfo ? locale.getWeekInfo() : locale.weekInfo;
    if (info && WEEK_STARTS.includes((info.firstDay + 6) % 7)) weekStart = (info.firstDay + 6) % 7;
  } catch {
    // An old browser without week information: weeks start on Monday.
  }
  return { hour12, weekStart };
}

const found = browserClock();
for (const input of document.querySelectorAll("input[data-detect-clock]")) input.value = found.hour12 ? "1" : "0";
for (const input of document.querySelectorAll("input[data-detect-week-start]")) input.value = String(found.weekStart);
