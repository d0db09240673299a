"""The saturation curve of a factor model: where a factor's causes say it should settle.

A factor's causes add up to an input ``u`` (its bias plus the weighted levels of its
causes); the level it settles at is ``S_p(u)``::

    S_p(u) = 1/2 + u / (1 + |2u|^p)^(1/p)

``S_p(0) = 1/2`` and the slope there is exactly 1 for every ``p``: near mid levels a
link of weight ``w`` moves its effect's resting level by ``w`` times the change of its
cause, *whatever the steepness*. The steepness ``p >= 1`` only says how sharply effects
saturate toward 0 and 1: ``p = 1`` bends early, large ``p`` approaches a straight line
clipped to [0, 1]. ``p = 2.5`` is close to the logistic curve ``1 / (1 + e^(-4u))``,
which has the same slope at mid level.

The inverse is closed-form, so biases that put a given level at rest are exact::

    u = s / (1 - |2s|^p)^(1/p),   s = S - 1/2

Examples
--------
>>> import numpy as np
>>> float(saturate(np.array(0.0), 2.5))
0.5
>>> u = np.array([-2.0, -0.3, 0.0, 0.1, 1.5])
>>> bool(np.allclose(saturation_input(saturate(u, 2.5), 2.5), u))
True
"""

from __future__ import annotations

import numpy as np

__all__ = ["DEFAULT_STEEPNESS", "saturate", "saturation_input", "saturation_slope"]

DEFAULT_STEEPNESS = 2.5
"""The steepness ``p`` of a model that does not state one."""


def saturate(u: np.ndarray, p: float | np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """``S_p(u)``, elementwise; ``p`` may be one number or broadcast against ``u``.

    Examples
    --------
    >>> import numpy as np
    >>> saturate(np.array([-100.0, 0.25, 100.0]), 2.0).round(4).tolist()
    [0.0, 0.7236, 1.0]
    """
    u = np.asarray(u, dtype=float)
    with np.errstate(over="ignore"):
        scale = np.power(1.0 + np.power(np.abs(2.0 * u), p), -1.0 / np.asarray(p, dtype=float))
    # for huge |u| the power overflows to inf and the scale is 0 * inf; the limit is 1/|2u|
    scale = np.where(np.isfinite(scale) & (scale > 0), scale, 1.0 / np.maximum(np.abs(2.0 * u), 1e-300))
    result = np.multiply(u, scale, out=out)
    result += 0.5
    return result


def saturation_input(level: np.ndarray, p: float | np.ndarray) -> np.ndarray:
    """The input ``u`` at which ``S_p(u) = level``; ``level`` strictly inside (0, 1).

    Examples
    --------
    >>> import numpy as np
    >>> float(saturation_input(np.array(0.5), 3.0))
    0.0
    >>> round(float(saturation_input(np.array(0.7236), 2.0)), 3)
    0.25
    """
    s = np.asarray(level, dtype=float) - 0.5
    p = np.asarray(p, dtype=float)
    return s * np.power(1.0 - np.power(np.abs(2.0 * s), p), -1.0 / p)


def saturation_slope(u: np.ndarray, p: float | np.ndarray) -> np.ndarray:
    """``dS_p/du`` at ``u``: ``(1 + |2u|^p)^(-1/p - 1)``; 1 at ``u = 0``.

    Examples
    --------
    >>> import numpy as np
    >>> saturation_slope(np.array([0.0, 0.5]), 2.0).round(4).tolist()
    [1.0, 0.3536]
    """
    u = np.asarray(u, dtype=float)
    p = np.asarray(p, dtype=float)
    with np.errstate(over="ignore"):
        return np.power(1.0 + np.power(np.abs(2.0 * u), p), -1.0 / p - 1.0)
