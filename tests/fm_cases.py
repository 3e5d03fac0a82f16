"""Shared test cases: the schedules every numerical test runs over, a wall-clock limit for a call, and
chapter 8's quick fits.

The four named schedules of the book, Polynomial(3), and a schedule typed as formulas
(alpha = t (2 - t), beta = (1 - t)^2), so that ``from_expressions`` goes through every check too.
"""

import threading

import pytest

from fm_helpers import schedules

EXPRESSION_SCHEDULE = schedules.from_expressions("t*(2 - t)", "(1 - t)^2", name="t(2-t), (1-t)^2")

SCHEDULES = [*schedules.named_schedules().values(), schedules.Polynomial(3), EXPRESSION_SCHEDULE]

#: ``@over_schedules`` runs a test once for each schedule, with the schedule's name as the test id.
over_schedules = pytest.mark.parametrize("schedule", SCHEDULES, ids=[s.name for s in SCHEDULES])


def answer_within(seconds: float, fn, *args):
    """fn(*args) run in a thread: its value, or the exception it raised re-raised here. A call that has not
    answered within ``seconds`` fails the test instead of hanging it (the thread is a daemon: it is left behind).
    """
    outcome = {}

    def run():
        try:
            outcome["value"] = fn(*args)
        except BaseException as err:  # noqa: BLE001 - handed back to the test below
            outcome["error"] = err

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(seconds)
    assert not worker.is_alive(), f"no answer within {seconds} s"
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


@pytest.fixture(scope="module", autouse=True)
def small_chapter_eight_fit():
    """Chapter 8 fits a model per schedule: 3,000 training draws instead of 30,000 keep a test module quick.

    Autouse in a module that imports it (``from fm_cases import small_chapter_eight_fit``), and only there.
    """
    from fm_helpers import learning

    saved = dict(learning.BOOK_FIT)
    learning.BOOK_FIT["n_train"] = 3000
    learning._FITS.clear()
    yield
    learning.BOOK_FIT.update(saved)
    learning._FITS.clear()
