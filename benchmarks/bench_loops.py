"""Loop analysis speed, as medians.

    python benchmarks/bench_loops.py [--repeat N]

1. Listing the default model's feedback loops (find_loops, no bound).
2. Loop dominance of the default model under the hacker attack, 36 months, rk4, dt 0.125
   (the run, its states, the exact link scores and the relative scores of every loop),
   beside the plain run for reference; and the dominance shift against the baseline.
3. Listing on a denser random graph, where the count bound cuts the list.
4. The causal loop diagram of the default model as PNG, and its DOT text.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import networkx as nx
import numpy as np
from bench_engine import median_time  # this folder is on the path when a script runs

import gmsim
from gmsim.analysis.diagram import save_diagram, to_dot


def random_graph(n: int = 40, p: float = 0.12, seed: int = 0) -> nx.DiGraph:
    rng = np.random.default_rng(seed)
    g = nx.gnp_random_graph(n, p, seed=int(rng.integers(1 << 31)), directed=True)
    nx.set_edge_attributes(g, {e: int(rng.choice([-1, 1])) for e in g.edges}, "sign")
    return g


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    repeat = parser.parse_args().repeat
    model = gmsim.load_model()
    loops = gmsim.find_loops(model)
    dense = random_graph()
    cut = gmsim.find_loops(dense, max_loops=20_000)
    folder = Path(tempfile.mkdtemp())
    rows = [
        (f"find_loops, default model ({len(loops)} loops)", median_time(lambda: gmsim.find_loops(model), repeat)),
        ("simulate hacker-attack, for reference", median_time(lambda: gmsim.simulate(model, scenario="hacker-attack"), repeat)),
        ("loop_dominance hacker-attack (289 times)", median_time(lambda: gmsim.loop_dominance(model, scenario="hacker-attack"), repeat)),
        ("  the same with adjustment loops included", median_time(lambda: gmsim.loop_dominance(model, scenario="hacker-attack", adjustment="include"), repeat)),
        ("dominance_shift hacker-attack vs baseline", median_time(lambda: gmsim.dominance_shift(model, "hacker-attack"), repeat)),
        (f"find_loops, random graph 40 nodes ({len(cut)} kept{', cut' if cut.truncated else ''})", median_time(lambda: gmsim.find_loops(dense, max_loops=20_000), max(1, repeat // 3))),
        ("diagram PNG, default model", median_time(lambda: save_diagram(model, folder / "d.png"), max(1, repeat // 3))),
        ("diagram DOT, default model", median_time(lambda: to_dot(model), repeat)),
    ]  # fmt: skip
    print(f"median of {repeat} (shared 2-core machine: expect noise)")
    for label, seconds in rows:
        print(f"  {label:<55} {seconds * 1000:9.1f} ms")


if __name__ == "__main__":
    main()
