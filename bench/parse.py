"""parse_when against dateparser: cold import cost, time per phrase, correctness on the corpus.

Run: .venv/bin/python bench/parse.py [--rounds 200] [--import-runs 10] [--corpus PATH] [--verbose]

Import cost: wall time of a fresh `python -c "import X"` minus a fresh `python -c "pass"`
(median of --import-runs, after one untimed run each so bytecode caches exist), with the
cumulative figure `python -X importtime` reports for the same module beside it.
Time per phrase: every corpus phrase (in its own time zone and "now") plus the extra phrases
below, one warm-up pass, then --rounds passes timing each call alone with perf_counter_ns;
median, p95 and max over all calls, and phrases/s = calls / summed call time. GC stays on.
Per phrase is reported twice: over the corpus rows alone, and over corpus + extra phrases.
Baseline: dateparser.parse(text, languages=['ru', 'en'], settings={'RELATIVE_BASE': the row's
naive local now, 'PREFER_DATES_FROM': 'future'}) on the same phrases and rounds. Correctness
compares the local wall clock to the minute as tests/test_dates.py does; parse_when must also
leave the expected rest (as in the tests), dateparser is judged on the datetime alone.
dateparser is the optional `bench` extra: without it the baseline is skipped.
Lead text: parse_lead_text on 4 KB inputs that used to be slow ("1 " * 2000 and others), each
timed alone --rounds // 10 times with the phone-check cache cleared; median and max per input.
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.parsing.dates import parse_when  # noqa: E402
from bot.parsing.leadtext import parse_lead_text  # noqa: E402
from bot.parsing.phones import _check  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpus" / "when.tsv"
LANGUAGES = ["ru", "en"]

# Beyond the corpus: weekdays in several cases, offsets, month names, both clocks, end of day,
# numbers that are not dates, and one long message. Read at EXTRA_NOW in EXTRA_TZ.
EXTRA_TZ = "Europe/Moscow"
EXTRA_NOW = "2026-11-24T13:00"  # a Tuesday
EXTRA: tuple[str, ...] = (
    "во вторник созвон",
    "к четвергу сделать макет",
    "до субботы",
    "в воскресенье в 12",
    "в следующую пятницу",
    "Понедельник 9:00 планёрка",
    "со среды начать тестирование",
    "on Wednesday at 4pm review",
    "next thursday",
    "by Saturday",
    "sunday 18:30",
    "через 2 недели",
    "через пять минут напомнить",
    "через полтора часа",
    "через 3 месяца продлить договор",
    "in a couple of hours",
    "in 10 minutes",
    "in 2 business days",
    "15 марта",
    "3 сентября 2027 года в 14:00",
    "December 31st 11pm",
    "Mar 8, 2027",
    "at 7:45 am",
    "в 7 вечера",
    "в 23:59 закрыть задачу",
    "12pm lunch with client",
    "до конца дня",
    "end of day send report",
    "к концу рабочего дня",
    "бюджет 150000",
    "вырос в 2 раза",
    "цена 2.5 млн",
    "10 страниц",
    "созвон с клиентом по проекту X",
    "Напомнить Ивану про счёт и согласовать смету с бухгалтерией завтра в 15:30, потом отчёт",
    # "Fit for a manager's real day": words for times, fractions, ordinals, impossible, vague.
    "в 2 часа ночи",
    "в полдень",
    "завтра в полночь",
    "tonight at 9",
    "сегодня вечером в 8",
    "в полвосьмого вечера",
    "через 1,5 часа",
    "in 2.5 hours",
    "через пол часа",
    "25-го",
    "1-го числа позвонить",
    "on the 3rd at 10",
    "next tuesday 3pm",
    "30.02",
    "в 24:30",
    "31 апреля",
    "Feb 30",
    "завтра утром",
    "in the afternoon",
    "ночью",
    "через 9999 рабочих дней",
)
# Lead texts of about 4 KB that took 35–70 ms before the phone reader was bounded.
LEAD_INPUTS: dict[str, str] = {
    "'1 ' * 2000": "1 " * 2000,
    "'12 ' * 1365": "12 " * 1365,
    "'(' * 4000": "(" * 4000,
    "'Иван, ' * 680": "Иван, " * 680,
    "'8 999 123 45 67, ' * 255": "8 999 123 45 67, " * 255,
}


@dataclass(frozen=True)
class Case:
    """One phrase to parse; expected and rest are None for the extra phrases."""

    tz: str
    now: str
    text: str
    expected: str | None
    rest: str | None

    @property
    def zone(self) -> ZoneInfo:
        """The row's time zone."""
        return ZoneInfo(self.tz)

    @property
    def aware_now(self) -> datetime:
        """Now as parse_when takes it."""
        return datetime.fromisoformat(self.now).replace(tzinfo=self.zone)

    @property
    def naive_now(self) -> datetime:
        """Now as dateparser's RELATIVE_BASE takes it: the naive local wall clock."""
        return datetime.fromisoformat(self.now)


def read_corpus(path: Path) -> list[Case]:
    """Rows of the shared corpus, read the way tests/test_dates.py reads them."""
    cases = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#") or line.startswith("tz\t"):
            continue
        cells = line.split("\t")
        cells += [""] * (5 - len(cells))  # a trailing empty rest may be cut off by editors
        tz, now, text, expected, rest = cells[:5]
        cases.append(Case(tz, now, text, expected, rest))
    return cases


def pct(values: list[float], q: float) -> float:
    """The q-quantile (0..1) by nearest rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def wall(at: datetime | None, zone: ZoneInfo) -> str:
    """A result as the corpus writes it: local wall clock to the minute, or '-'."""
    if at is None:
        return "-"
    if at.tzinfo is not None:
        at = at.astimezone(zone)
    return at.strftime("%Y-%m-%dT%H:%M")


# --- import cost -------------------------------------------------------------------------------


def _run(args: list[str]) -> tuple[float, str]:
    """Run the interpreter with args from the project root; (wall seconds, stderr)."""
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, *args], cwd=ROOT, capture_output=True, text=True, check=False
    )
    elapsed = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"python {' '.join(args)} failed:\n{proc.stderr}")
    return elapsed, proc.stderr


def _importtime_cumulative(stderr: str, module: str) -> float:
    """The cumulative microseconds `-X importtime` reports for module (nan if absent)."""
    for line in stderr.splitlines():
        parts = line.split("|")
        if len(parts) == 3 and parts[2].strip() == module:
            return float(parts[1])
    return float("nan")


def import_cost(
    modules: list[str], runs: int
) -> tuple[float, dict[str, tuple[float, float, float]]]:
    """Bare interpreter ms; per module (ms over the bare one, wall ms, -X importtime cum. ms)."""
    codes = {"": "pass", **{m: f"import {m}" for m in modules}}
    for code in codes.values():  # untimed: writes bytecode caches and warms the page cache
        _run(["-c", code])
    walls: dict[str, list[float]] = {name: [] for name in codes}
    cumulative: dict[str, list[float]] = {m: [] for m in modules}
    for _ in range(runs):  # interleaved, so drift hits every module alike
        for name, code in codes.items():
            walls[name].append(_run(["-c", code])[0] * 1000)
        for m in modules:
            _t, err = _run(["-X", "importtime", "-c", f"import {m}"])
            cumulative[m].append(_importtime_cumulative(err, m) / 1000)
    bare = statistics.median(walls[""])
    return bare, {
        m: (
            statistics.median(walls[m]) - bare,
            statistics.median(walls[m]),
            statistics.median(cumulative[m]),
        )
        for m in modules
    }


# --- time per phrase ---------------------------------------------------------------------------


@dataclass
class Timing:
    """Time per phrase of one parser, and what its warm-up pass returned."""

    first_call_us: float
    warmup_ms: float
    samples_us: list[float]
    results: list[Any]
    errors: int = 0

    def line(self) -> str:
        """Median, p95, max in µs and phrases/s."""
        s = self.samples_us
        return (
            f"median {statistics.median(s):.0f} µs p95 {pct(s, 0.95):.0f} µs "
            f"max {max(s):.0f} µs ({len(s) / sum(s) * 1e6:,.0f} phrases/s)"
        )


def measure(call: Callable[[Any], Any], inputs: list[Any], rounds: int) -> Timing:
    """One warm-up pass (its results kept), then `rounds` passes timing each call alone."""
    clock = time.perf_counter_ns
    results = []
    started = clock()
    first = 0.0
    for i, arg in enumerate(inputs):
        t0 = clock()
        results.append(call(arg))
        if i == 0:
            first = (clock() - t0) / 1000
    warmup = (clock() - started) / 1e6
    samples = []
    for _ in range(rounds):
        for arg in inputs:
            t0 = clock()
            call(arg)
            samples.append((clock() - t0) / 1000)
    return Timing(first, warmup, samples, results)


def bench_parse_when(cases: list[Case], rounds: int) -> Timing:
    """Time parse_when over the cases."""
    inputs = [(c.text, c.aware_now) for c in cases]
    return measure(lambda a: parse_when(a[0], a[1]), inputs, rounds)


def bench_dateparser(cases: list[Case], rounds: int) -> Timing:
    """Time dateparser.parse over the cases; exceptions count as no result."""
    import dateparser

    errors = 0

    def call(arg: tuple[str, dict[str, Any]]) -> datetime | None:
        nonlocal errors
        try:
            return dateparser.parse(arg[0], languages=LANGUAGES, settings=arg[1])
        except Exception:
            errors += 1
            return None

    inputs = [
        (c.text, {"RELATIVE_BASE": c.naive_now, "PREFER_DATES_FROM": "future"}) for c in cases
    ]
    timing = measure(call, inputs, rounds)
    timing.errors = errors
    return timing


def bench_lead(text: str, rounds: int) -> list[float]:
    """Milliseconds per parse_lead_text call, each with the phone-check cache cleared."""
    parse_lead_text("Иван, 8 999 123 45 67")  # loads the phone metadata once
    samples = []
    for _ in range(rounds):
        _check.cache_clear()
        t0 = time.perf_counter_ns()
        parse_lead_text(text)
        samples.append((time.perf_counter_ns() - t0) / 1e6)
    return samples


# --- report ------------------------------------------------------------------------------------


def main() -> None:
    """Measure and print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=200, help="timed passes over the phrases")
    parser.add_argument("--import-runs", type=int, default=10, help="fresh interpreters each")
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--verbose", action="store_true", help="list every corpus row")
    args = parser.parse_args()
    began = time.perf_counter()

    corpus = read_corpus(args.corpus) if args.corpus.exists() else []
    if not corpus:
        print(f"corpus not found at {args.corpus}: timing the extra phrases only")
    cases = corpus + [Case(EXTRA_TZ, EXTRA_NOW, text, None, None) for text in EXTRA]
    have_dp = importlib.util.find_spec("dateparser") is not None
    print(
        f"Python {sys.version.split()[0]}; {len(corpus)} corpus + {len(EXTRA)} extra phrases, "
        f"{args.rounds} rounds; imports: median of {args.import_runs} fresh interpreters"
    )
    if not have_dp:
        print("dateparser not installed (pip install -e '.[bench]')")

    modules = ["bot.parsing.dates"] + (["dateparser"] if have_dp else [])
    bare, imports = import_cost(modules, args.import_runs)
    print(f"  bare interpreter      {bare:6.1f} ms")
    for m in modules:
        extra, total, cum = imports[m]
        print(f"  import {m:14s} {extra:6.1f} ms  (wall {total:.1f}; -X importtime {cum:.1f} ms)")

    ours = bench_parse_when(cases, args.rounds)
    print(
        f"  parse_when  first call {ours.first_call_us:.0f} µs, warm-up pass "
        f"{ours.warmup_ms:.1f} ms; {ours.line()}"
    )
    theirs = bench_dateparser(cases, args.rounds) if have_dp else None
    if theirs is not None:
        errors = f", {theirs.errors} exceptions" if theirs.errors else ""
        print(
            f"  dateparser  first call {theirs.first_call_us / 1000:.1f} ms, warm-up pass "
            f"{theirs.warmup_ms:.1f} ms; {theirs.line()}{errors}"
        )

    n_corpus = len(corpus)
    rounds_idx = [
        r * len(cases) + i for r in range(args.rounds) for i in range(n_corpus)
    ]  # positions of corpus calls inside the samples (cases are timed in order, round by round)
    ours_corpus = [ours.samples_us[k] for k in rounds_idx]
    theirs_corpus = [theirs.samples_us[k] for k in rounds_idx] if theirs is not None else []

    ok_both = ok_at = ok_dp = 0
    for i, case in enumerate(corpus):
        found = ours.results[i]
        got = wall(found.at, case.zone)
        at_ok = got == case.expected
        both_ok = at_ok and found.rest == case.rest
        ok_at += at_ok
        ok_both += both_ok
        dp_got = wall(theirs.results[i], case.zone) if theirs is not None else ""
        ok_dp += dp_got == case.expected
        if not both_ok:
            print(f"  parse_when miss: {case.text!r} → {got} {found.rest!r}, want {case.expected}")
        if args.verbose:
            mark = "ok" if dp_got == case.expected else "--"
            print(f"    {case.text:32s} want {case.expected:16s} dateparser {mark} {dp_got}")

    n = len(corpus)
    dp = theirs is not None
    print()
    imp = f"import      bot.parsing.dates {imports['bot.parsing.dates'][0]:.0f} ms"
    if dp:
        imp += f"   dateparser {imports['dateparser'][0]:.0f} ms"
    print(imp)
    if ours_corpus:
        c = ours_corpus
        row = (
            f"corpus      parse_when median {statistics.median(c):.0f} µs p95 {pct(c, 0.95):.0f} µs"
        )
        if theirs_corpus:
            t = theirs_corpus
            row += f"   dateparser median {statistics.median(t):.0f} µs p95 {pct(t, 0.95):.0f} µs"
        print(row + "   (per phrase, corpus rows only)")
    s = ours.samples_us
    row = f"all phrases parse_when median {statistics.median(s):.0f} µs p95 {pct(s, 0.95):.0f} µs"
    if theirs is not None:
        t = theirs.samples_us
        row += f"   dateparser median {statistics.median(t):.0f} µs p95 {pct(t, 0.95):.0f} µs"
    print(row)
    rate = f"phrases/s   parse_when {len(s) / sum(s) * 1e6:,.0f}"
    if theirs is not None:
        rate += f"   dateparser {len(theirs.samples_us) / sum(theirs.samples_us) * 1e6:,.0f}"
    print(rate)
    if n:
        row = f"score       parse_when {ok_both}/{n}"
        if ok_at != ok_both:
            row += f" (datetime alone {ok_at}/{n})"
        if dp:
            row += f"   dateparser {ok_dp}/{n}"
        print(row)
    for label, text in LEAD_INPUTS.items():
        lead = bench_lead(text, max(5, args.rounds // 10))
        print(
            f"lead text   {label:26s} {len(text)} chars: median {statistics.median(lead):.2f} ms"
            f" max {max(lead):.2f} ms"
        )
    print(f"({time.perf_counter() - began:.1f} s)")


if __name__ == "__main__":
    main()
