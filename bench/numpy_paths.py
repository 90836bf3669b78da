"""numpy.einsum_path (greedy and optimal) for the path benchmark.

Reads JSON from stdin: a list of {"id", "inputs" (lists of int index ids < 52), "output",
"sizes"}; writes one JSON line per result to stdout as soon as it is known:
{"id", "kind": "greedy" | "optimal", "path", "seconds"}. Greedy runs for every problem first,
then optimal for those with at most 7 operands (numpy's exhaustive search takes seconds at 7
and minutes at 8), so a caller that stops waiting still has every line printed so far.
Operands are zero-stride views (np.broadcast_to), so no data is allocated. The memory limit
is lifted so that numpy searches unconstrained pairwise paths, as tnc does.
"""
import json
import sys
import time

import numpy as np

UNLIMITED = 2**62


def run(problem, kind):
    sizes = problem["sizes"]
    args = []
    for term in problem["inputs"]:
        args.append(np.broadcast_to(np.empty(()), tuple(sizes[i] for i in term)))
        args.append(list(term))
    args.append(list(problem["output"]))
    start = time.perf_counter()
    path, _ = np.einsum_path(*args, optimize=(kind, UNLIMITED))
    return [list(step) for step in path[1:]], time.perf_counter() - start


def main():
    problems = json.load(sys.stdin)
    for kind in ("greedy", "optimal"):
        for p in problems:
            if kind == "optimal" and len(p["inputs"]) > 7:
                continue
            path, seconds = run(p, kind)
            print(json.dumps({"id": p["id"], "kind": kind, "path": path, "seconds": seconds}), flush=True)


if __name__ == "__main__":
    main()
