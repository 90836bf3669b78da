"""numpy peer of bench/cpu.ts: times the same GEMMs and tensor-network models.

Usage: python3 bench/numpy_cpu.py TASKS.json  -> prints one JSON object on stdout.
TASKS.json: {"gemm": [[n, "f32"|"f64"], ...], "models": ["mps", ...], "budget_s": 0.3,
"cpu_time": false}. Every result is the median time in milliseconds: wall time, or process
CPU time with "cpu_time" (for a machine shared with other work). The caller sets OPENBLAS_NUM_THREADS=1
(one thread) and decides whether OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE stay set.
Models use numpy.einsum with a contraction path precomputed once (outside the timing) with
no memory cap, so numpy is measured at its best; models wider than einsum's 52 letters are contracted with a
loop of einsums in their natural sweep order (the best order for those chains).
"""

import json
import os
import sys
import time

import numpy as np


def median_ms(fn, budget_s, clock=time.perf_counter):
    fn()  # warm-up
    times = []
    start = time.perf_counter()
    while len(times) < 3 or (time.perf_counter() - start < budget_s and len(times) < 200):
        t0 = clock()
        fn()
        times.append((clock() - t0) * 1e3)
    times.sort()
    return times[len(times) // 2]


def rand(rng, shape, dtype):
    return rng.standard_normal(shape).astype(dtype)


UNCAPPED = 2**62  # numpy's default memory cap makes it fall back to naive loops (TT, PEPS)


def einsum_with_path(eq, *ops):
    path, _ = np.einsum_path(eq, *ops, optimize=("optimal" if len(ops) <= 4 else "greedy", UNCAPPED))
    return lambda: np.einsum(eq, *ops, optimize=path)


def model(name, rng):
    f64 = np.float64
    if name == "mps" or name.startswith("mps-"):  # <psi|psi>, open boundaries; "mps" = 32 sites, D=64; "mps-S-D"
        sites, D, d = (32, 64, 2) if name == "mps" else (*map(int, name.split("-")[1:]), 2)
        A = [rand(rng, (1 if i == 0 else D, d, 1 if i == sites - 1 else D), f64) for i in range(sites)]

        def run():  # transfer-matrix sweep: the best order, each step a BLAS tensordot
            E = np.ones((1, 1))
            for a in A:
                E = np.tensordot(E, a, axes=([0], [0]))
                E = np.tensordot(E, a, axes=([0, 1], [0, 1]))
            return E

        return run
    if name == "tt" or name.startswith("tt-"):  # TT-layer: 4096x4096 as 16^3 x 16^3; "tt" = batch 256, rank 16; "tt-B-R"
        b, r = (256, 16) if name == "tt" else map(int, name.split("-")[1:])
        n = 16
        x = rand(rng, (b, n, n, n), f64)
        g1, g2, g3 = rand(rng, (n, n, r), f64), rand(rng, (r, n, n, r), f64), rand(rng, (r, n, n), f64)
        return einsum_with_path("bxyz,xir,ryjs,szk->bijk", x, g1, g2, g3)
    if name == "chain3":  # (A·B)·C, n = 512
        a, b, c = (rand(rng, (512, 512), f64) for _ in range(3))
        return einsum_with_path("ab,bc,cd->ad", a, b, c)
    if name == "tucker":  # 64^3 from a 16^3 core
        core = rand(rng, (16, 16, 16), f64)
        u = [rand(rng, (64, 16), f64) for _ in range(3)]
        return einsum_with_path("abc,ia,jb,kc->ijk", core, *u)
    if name == "peps":  # <psi|psi> of a 4x4 PEPS, D=4, d=2: double-layer sites, then one einsum
        L, D, d = 4, 4, 2
        sites = {}
        for i in range(L):
            for j in range(L):
                shape = (d, D if i > 0 else 1, D if j > 0 else 1, D if j < L - 1 else 1, D if i < L - 1 else 1)
                sites[(i, j)] = rand(rng, shape, f64)
        letters = iter("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
        h = {(i, j): next(letters) for i in range(L) for j in range(L - 1)}
        v = {(i, j): next(letters) for i in range(L - 1) for j in range(L)}
        terms = []
        for i in range(L):
            for j in range(L):
                legs = [v.get((i - 1, j)), h.get((i, j - 1)), h.get((i, j)), v.get((i, j))]
                terms.append("".join(x for x in legs if x is not None))
        eq = ",".join(terms) + "->"

        def double(t):  # bra·ket over the physical leg; boundary legs (size 1) dropped
            q = np.einsum("pulrd,pULRD->uUlLrRdD", t, t)
            s = [x * x for x in t.shape[1:] if x > 1]
            return q.reshape(s)

        dbl = [double(sites[(i, j)]) for i in range(L) for j in range(L)]
        path, _ = np.einsum_path(eq, *dbl, optimize=("greedy", UNCAPPED))

        def run():
            ops = [double(sites[(i, j)]) for i in range(L) for j in range(L)]
            return np.einsum(eq, *ops, optimize=path)

        return run
    if name == "mttkrp":  # CP-ALS MTTKRP, mode 0: 128^3 tensor, rank 32
        n, r = 128, 32
        x = rand(rng, (n, n, n), f64)
        bm, cm = rand(rng, (n, r), f64), rand(rng, (n, r), f64)
        return einsum_with_path("ijk,jr,kr->ir", x, bm, cm)
    raise ValueError(f"unknown model {name}")


def main():
    with open(sys.argv[1]) as f:
        tasks = json.load(f)
    budget = float(tasks.get("budget_s", 0.3))
    clock = time.process_time if tasks.get("cpu_time") else time.perf_counter
    rng = np.random.default_rng(1)
    out = {
        "numpy": np.__version__,
        "env": {k: os.environ.get(k) for k in ("OPENBLAS_NUM_THREADS", "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")},
        "gemm": {},
        "models": {},
    }
    for n, dt in tasks.get("gemm", []):
        dtype = np.float32 if dt == "f32" else np.float64
        a, b = rand(rng, (n, n), dtype), rand(rng, (n, n), dtype)
        c = np.empty((n, n), dtype)
        out["gemm"][f"{dt}:{n}"] = median_ms(lambda: np.matmul(a, b, out=c), budget, clock)
    for name in tasks.get("models", []):
        out["models"][name] = median_ms(model(name, rng), budget, clock)
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
