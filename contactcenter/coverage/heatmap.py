"""Coverage heatmap for a terminal: one row per local day, one column per hour. Pure: text out.

Each hour shows the worst `scheduled - needed` among its intervals ("-3" three agents short,
"0" exactly staffed, "+2" two spare); "·" when nobody was needed and nobody was on shift, blank
when there is no interval for that hour (a missing forecast, or the hour skipped when clocks
spring forward). Intervals are grouped by their wall-clock date and hour, so `Cell.start` must
already be in the time zone the map is drawn in. Without colour the numbers carry everything;
with colour each cell also gets a background: red short, yellow exact, green spare.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
LABEL_WIDTH = len("Mon 30 Nov")
GLYPH_WIDTH = 3  # "-12", " +2", "  0": 10 + 24·(1 + 3) = 106 characters per row
CLAMP = 99  # a glyph has three characters; the summary still names the exact worst gap

# ANSI: black text on a red / yellow / green background, then back to the terminal's default.
RED = "\x1b[30;41m"
YELLOW = "\x1b[30;43m"
GREEN = "\x1b[30;42m"
RESET = "\x1b[0m"

IDLE = "·"


@dataclass(frozen=True, slots=True)
class Cell:
    """One planning interval: agents to schedule (`needed`) against agents on shift.

    `start` is timezone-aware and already in the display time zone.
    """

    start: datetime
    needed: int
    scheduled: int

    def __post_init__(self) -> None:
        if self.start.utcoffset() is None:
            raise ValueError(f"Cell.start must be timezone-aware, got {self.start.isoformat()}")
        if self.needed < 0 or self.scheduled < 0:
            raise ValueError(f"agent counts must be zero or more, got {self!r}")

    @property
    def surplus(self) -> int:
        """Agents on shift beyond those needed; negative for a gap."""
        return self.scheduled - self.needed

    @property
    def idle(self) -> bool:
        return self.needed == 0 and self.scheduled == 0


# Per (local date, hour): the worst surplus among the hour's non-idle intervals, None if all idle.
Hours = dict[tuple[date, int], int | None]


def render(cells: list[Cell], *, color: bool, title: str) -> str:
    """The heatmap of `cells` under `title`, with a legend and a one-line summary of the gaps.

    Rows run from the first to the last local day present, so a day with no data shows up as a
    blank row rather than vanishing. Lines stay under 110 characters (ANSI codes aside).
    """
    if not cells:
        return f"{title}\n\nNo intervals to show.\n"
    hours = _by_hour(cells)
    days = sorted({day for day, _ in hours})
    lines = [title, "", _header()]
    lines += [_row(day, hours, color=color) for day in _date_range(days[0], days[-1])]
    lines += ["", *_legend(color=color), "", _summary(cells, hours)]
    return "\n".join(lines) + "\n"


def _by_hour(cells: Iterable[Cell]) -> Hours:
    hours: Hours = {}
    for cell in cells:
        key = (cell.start.date(), cell.start.hour)
        current = hours.get(key)
        if cell.idle:
            hours.setdefault(key, None)
        elif current is None or cell.surplus < current:
            hours[key] = cell.surplus
    return hours


def _header() -> str:
    return " " * LABEL_WIDTH + "".join(f"{hour:02d}".rjust(GLYPH_WIDTH + 1) for hour in range(24))


def _row(day: date, hours: Hours, *, color: bool) -> str:
    parts = [_day_label(day).ljust(LABEL_WIDTH)]
    for hour in range(24):
        key = (day, hour)
        if key not in hours:
            parts.append(" " * (GLYPH_WIDTH + 1))
            continue
        surplus = hours[key]
        parts.append(" " + _paint(_glyph(surplus).rjust(GLYPH_WIDTH), surplus, color=color))
    return "".join(parts).rstrip()


def _glyph(surplus: int | None) -> str:
    if surplus is None:
        return IDLE
    if surplus == 0:
        return "0"
    return f"{max(-CLAMP, min(CLAMP, surplus)):+d}"


def _paint(text: str, surplus: int | None, *, color: bool) -> str:
    if not color or surplus is None:
        return text
    background = RED if surplus < 0 else YELLOW if surplus == 0 else GREEN
    return f"{background}{text}{RESET}"


def _legend(*, color: bool) -> list[str]:
    short = _paint(" -n", -1, color=color)
    exact = _paint("  0", 0, color=color)
    spare = _paint(" +n", 1, color=color)
    return [
        "Each hour shows its worst interval, scheduled minus needed"
        f" (±{CLAMP} means {CLAMP} or more):",
        f"{short} n short   {exact} exactly staffed   {spare} n spare"
        f"   {IDLE.rjust(GLYPH_WIDTH)} none needed and none on shift   blank: no data",
    ]


def _summary(cells: list[Cell], hours: Hours) -> str:
    worst = min(cells, key=lambda cell: (cell.surplus, cell.start))
    if worst.surplus >= 0:
        return f"No gaps: all {len(cells)} intervals have the agents they need."
    gap_intervals = sum(1 for cell in cells if cell.surplus < 0)
    gap_hours = sum(1 for surplus in hours.values() if surplus is not None and surplus < 0)
    when = f"{_day_label(worst.start.date())} {worst.start:%H:%M}"
    return (
        f"Gaps in {gap_intervals} of {len(cells)} intervals ({gap_hours} hours)."
        f" Worst gap: {worst.surplus:+d} at {when}"
        f" (needed {worst.needed}, scheduled {worst.scheduled})."
    )


def _day_label(day: date) -> str:
    """Like "Mon 30 Nov", whatever the process locale (strftime's %a and %b follow it)."""
    return f"{WEEKDAYS[day.weekday()]} {day.day:02d} {MONTHS[day.month - 1]}"


def _date_range(first: date, last: date) -> list[date]:
    return [first + timedelta(days=offset) for offset in range((last - first).days + 1)]
