"""numpy.einsum_path (greedy and optimal) for the path benchmark.

Reads JSON from stdin: a list of {"id", "inputs" (lists of int index ids < 52), "output",
"sizes"}; writes JSON to stdout: {id: {"greedy": path, "optimal": path or null, "greedy_s",
"optimal_s"}}. Operands are zero-stride views (np.broadcast_to), so no data is allocated.
The memory limit is lifted so that numpy searches unconstrained pairwise paths, as tnc does.
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
    out = {}
    for p in problems:
        entry = {}
        entry["greedy"], entry["greedy_s"] = run(p, "greedy")
        if len(p["inputs"]) <= 8:
            entry["optimal"], entry["optimal_s"] = run(p, "optimal")
        else:
            entry["optimal"], entry["optimal_s"] = None, None
        out[p["id"]] = entry
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
