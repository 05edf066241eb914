"""The median of a 1-D array, by selection, with an empty array giving NaN quietly.

The time bases take medians of up to 200,000 steps. How fast a full sort of them runs depends
on the CPU: numpy sorts with SIMD code on some processors only, and the same 200,000
jittered steps took 0.7 ms on one machine and 8.8 ms on another. Selection
(``numpy.median``, a partition around the two middle positions) took 1.6-1.8 ms on both, so
:func:`median` selects. It is ``numpy.median`` itself (the same value for every input, NaN
when any value is NaN), with two differences: an empty array gives NaN without a warning,
and the input may be reordered in place to save a copy.
"""

from __future__ import annotations

import numpy as np


def median(values: np.ndarray, *, overwrite_input: bool = False) -> float:
    """Return the median of an array's values, equal to ``float(numpy.median(values))``.

    Parameters
    ----------
    values : numpy.ndarray
        The values (any unit; taken as float64).
    overwrite_input : bool
        Whether ``values`` may be reordered in place (a writable float64 array), which saves
        a copy.

    Returns
    -------
    float
        The middle value, or the mean of the two middle values for an even count, in the
        unit of ``values``; NaN when any value is NaN or there is none.
    """
    work = values if isinstance(values, np.ndarray) else np.asarray(values)
    if work.size == 0:
        return float("nan")
    in_place = (
        overwrite_input and work.dtype == np.float64 and work.ndim == 1 and work.flags.writeable
    )
    if not in_place:
        work = np.array(work, dtype=np.float64).ravel()  # a copy, reordered below
    return float(np.median(work, overwrite_input=True))
