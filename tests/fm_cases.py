"""Shared test cases: the schedules every numerical test runs over.

The four named schedules of the book, Polynomial(3), and a schedule typed as formulas
(alpha = t (2 - t), beta = (1 - t)^2), so that ``from_expressions`` goes through every check too.
"""

import pytest

from fm_helpers import schedules

EXPRESSION_SCHEDULE = schedules.from_expressions("t*(2 - t)", "(1 - t)^2", name="t(2-t), (1-t)^2")

SCHEDULES = [*schedules.named_schedules().values(), schedules.Polynomial(3), EXPRESSION_SCHEDULE]

#: ``@over_schedules`` runs a test once for each schedule, with the schedule's name as the test id.
over_schedules = pytest.mark.parametrize("schedule", SCHEDULES, ids=[s.name for s in SCHEDULES])
