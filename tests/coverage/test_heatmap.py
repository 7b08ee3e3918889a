"""Coverage heatmap: glyphs land in the right row and hour, colour only on request, worst gap named."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from contactcenter.coverage.heatmap import GREEN, RED, RESET, YELLOW, Cell, render

BERLIN = ZoneInfo("Europe/Berlin")
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def at(day: int, hour: int, minute: int = 0, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=BERLIN)


# Mon 30 Nov, Tue 01 Dec and Thu 03 Dec 2026 in half-hour intervals; Wed 02 Dec has no data.
CELLS = [
    Cell(at(30, 3), needed=0, scheduled=0),  # both halves idle → "·"
    Cell(at(30, 3, 30), needed=0, scheduled=0),
    Cell(at(30, 9), needed=5, scheduled=3),  # -2 and +1 → the worst, "-2"
    Cell(at(30, 9, 30), needed=4, scheduled=5),
    Cell(at(30, 10), needed=3, scheduled=3),  # 0 and +1 → "0"
    Cell(at(30, 10, 30), needed=3, scheduled=4),
    Cell(at(30, 11), needed=2, scheduled=4),  # +2 and +3 → "+2"
    Cell(at(30, 11, 30), needed=1, scheduled=4),
    Cell(at(30, 12), needed=0, scheduled=0),  # an idle half does not hide the other's "+3"
    Cell(at(30, 12, 30), needed=0, scheduled=3),
    Cell(at(30, 13), needed=0, scheduled=150),  # clamped to three characters
    Cell(at(1, 14, month=12), needed=10, scheduled=10),  # "-5": the worst gap of all
    Cell(at(1, 14, 30, month=12), needed=10, scheduled=5),
    Cell(at(3, 8, month=12), needed=1, scheduled=1),
]


def glyph(text: str, day_label: str, hour: int) -> str:
    """The glyph under the hour's column header in the row for `day_label`."""
    lines = text.splitlines()
    header = next(line for line in lines if line.split()[:3] == ["00", "01", "02"])
    row = next(line for line in lines if line.startswith(day_label))
    end = header.index(f"{hour:02d}") + 2
    return row[end - 3 : end].strip()


@pytest.mark.parametrize(
    ("day_label", "hour", "expected"),
    [
        ("Mon 30 Nov", 3, "·"),
        ("Mon 30 Nov", 5, ""),  # no interval at all
        ("Mon 30 Nov", 9, "-2"),
        ("Mon 30 Nov", 10, "0"),
        ("Mon 30 Nov", 11, "+2"),
        ("Mon 30 Nov", 12, "+3"),
        ("Mon 30 Nov", 13, "+99"),
        ("Tue 01 Dec", 14, "-5"),
        ("Tue 01 Dec", 9, ""),
        ("Wed 02 Dec", 8, ""),  # a day without data keeps its row
        ("Thu 03 Dec", 8, "0"),
    ],
)
def test_each_hour_shows_its_worst_interval(day_label: str, hour: int, expected: str) -> None:
    """Rows are local days, columns hours, and a cell holds the hour's most negative surplus."""
    assert glyph(render(CELLS, color=False, title="t"), day_label, hour) == expected


def test_rows_run_over_every_day_in_order_under_the_title() -> None:
    """The title comes first, then one row per day from the first to the last, gaps included."""
    lines = render(CELLS, color=False, title="Coverage: voice").splitlines()
    assert lines[0] == "Coverage: voice"
    days = [line[:10] for line in lines if re.match(r"[A-Z][a-z]{2} \d\d [A-Z][a-z]{2}", line)]
    assert days == ["Mon 30 Nov", "Tue 01 Dec", "Wed 02 Dec", "Thu 03 Dec"]


def test_colour_codes_only_when_asked_and_layout_unchanged() -> None:
    """Plain output has no escape codes; coloured output paints gaps red, exact yellow, spare green,
    and is the plain output once the codes are stripped."""
    plain = render(CELLS, color=False, title="t")
    coloured = render(CELLS, color=True, title="t")

    assert "\x1b[" not in plain
    assert f"{RED} -2{RESET}" in coloured
    assert f"{RED} -5{RESET}" in coloured
    assert f"{YELLOW}  0{RESET}" in coloured
    assert f"{GREEN} +2{RESET}" in coloured
    assert ANSI.sub("", coloured) == plain


def test_lines_fit_a_terminal() -> None:
    """Every visible line stays under 110 characters with all 24 hours filled."""
    cells = [Cell(at(30, 0) + timedelta(hours=h), needed=120, scheduled=0) for h in range(24)]
    for color in (False, True):
        text = ANSI.sub("", render(cells, color=color, title="t"))
        assert max(len(line) for line in text.splitlines()) < 110


def test_summary_names_the_worst_gap_and_counts_them() -> None:
    """The summary counts gap intervals and hours and says when the worst one is."""
    summary = render(CELLS, color=False, title="t").splitlines()[-1]
    assert summary == (
        "Gaps in 2 of 14 intervals (2 hours)."
        " Worst gap: -5 at Tue 01 Dec 14:30 (needed 10, scheduled 5)."
    )


def test_summary_without_gaps_says_so() -> None:
    """A fully staffed plan reports no gaps."""
    cells = [Cell(at(30, 9), needed=3, scheduled=3), Cell(at(30, 10), needed=0, scheduled=0)]
    assert render(cells, color=False, title="t").splitlines()[-1] == (
        "No gaps: all 2 intervals have the agents they need."
    )


def test_ties_name_the_earliest_worst_gap() -> None:
    """Two equal worst gaps: the earlier one is named."""
    cells = [Cell(at(30, 15), needed=4, scheduled=1), Cell(at(30, 8), needed=3, scheduled=0)]
    assert "Worst gap: -3 at Mon 30 Nov 08:00" in render(cells, color=False, title="t")


def test_repeated_hour_when_clocks_fall_back_shows_the_worse() -> None:
    """On 25 Oct 2026 Berlin's 02:00 happens twice; both intervals fall into the 02 column."""
    utc = datetime(2026, 10, 25, 0, 0, tzinfo=ZoneInfo("UTC"))
    first = utc.astimezone(BERLIN)  # 02:00 CEST
    second = (utc + timedelta(hours=1)).astimezone(BERLIN)  # 02:00 CET
    cells = [Cell(first, needed=2, scheduled=2), Cell(second, needed=5, scheduled=1)]
    assert (first.hour, second.hour) == (2, 2)
    assert glyph(render(cells, color=False, title="t"), "Sun 25 Oct", 2) == "-4"


def test_empty_input_says_there_is_nothing() -> None:
    """No cells: the title and a plain sentence, no empty grid."""
    assert render([], color=True, title="Coverage") == "Coverage\n\nNo intervals to show.\n"


def test_cell_rejects_naive_times_and_negative_counts() -> None:
    """A naive start would be drawn in an unknown zone, so it is refused."""
    with pytest.raises(ValueError, match="timezone-aware"):
        Cell(datetime(2026, 11, 30, 9), needed=1, scheduled=1)  # noqa: DTZ001 - the point
    with pytest.raises(ValueError, match="zero or more"):
        Cell(at(30, 9), needed=-1, scheduled=1)
