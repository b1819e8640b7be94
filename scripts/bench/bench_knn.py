#!/usr/bin/env python3
"""k-NN benchmark driver: `kindred knn` against faiss (IndexFlatIP), sparse_dot_topn, hnswlib and pynndescent.

The vectors are Kindred's own: synthetic people (`kindred synth`) are cleaned (`kindred clean`) and turned
into the TF-IDF matrix and the LSA embedding by `kindred vectors`; every tool reads those same files.
Each run is a fresh process (Kindred under /usr/bin/time -v; each peer in a worker process of this
script), tools alternate within each repeat, and only the neighbour search is timed (loading the files
is not). Recall@k of every table is measured against the exact table of the same data.
"""
import argparse
import datetime as _dt
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import time

U32_NONE = 4294967295


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def run(cmd, env=None):
    p = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed (exit {p.returncode}): {p.stderr.strip()[-1500:]}")
    return p.stdout


# ------------------------------------------------------------------------------------------------
# Data: people → clean → vectors, cached per (n, seed)
# ------------------------------------------------------------------------------------------------
def prepare(kindred, cache, n, seed, dims):
    folder = os.path.join(cache, f"vec{n}_s{seed}_d{dims}")
    if os.path.exists(os.path.join(folder, "embedding.npy")):
        return folder
    os.makedirs(cache, exist_ok=True)
    people = os.path.join(cache, f"people{n}_s{seed}.jsonl")
    clean = os.path.join(cache, f"clean{n}_s{seed}.jsonl")
    t0 = time.perf_counter()
    log(f"[data] synth {n} people (seed {seed}) → clean → vectors (d = {dims})…")
    run([kindred, "synth", "--people", str(n), "--seed", str(seed), "--output", people, "--truth", people + ".truth.csv"])
    run([kindred, "clean", people, "--output", clean, "--demo-key", "--json"])
    run([kindred, "vectors", clean, "--output", folder, "--dimensions", str(dims), "--json"])
    for p in (people, clean):
        os.remove(p)
    log(f"[data] ready in {time.perf_counter() - t0:.0f} s: {folder}")
    return folder


def load_sparse(folder):
    import numpy as np
    import scipy.sparse as sp
    d = os.path.join(folder, "tfidf")
    return sp.csr_matrix((np.load(os.path.join(d, "data.npy")), np.load(os.path.join(d, "indices.npy")),
                          np.load(os.path.join(d, "indptr.npy"))))


# ------------------------------------------------------------------------------------------------
# Workers: one process per peer run; prints {"seconds", "maxrss_kb"} and writes the ids table
# ------------------------------------------------------------------------------------------------
def drop_self(ids, k):
    """Rows of k+1 candidates → k neighbours that are not the row itself."""
    import numpy as np
    n = ids.shape[0]
    out = np.full((n, k), U32_NONE, dtype=np.int64)
    for r in range(n):
        row = [int(x) for x in ids[r] if x != r and x >= 0][:k]
        out[r, :len(row)] = row
    return out


def worker(args):
    import numpy as np
    k, threads = args.k, args.threads
    if args.worker == "faiss":
        import faiss
        faiss.omp_set_num_threads(threads)
        x = np.ascontiguousarray(np.load(os.path.join(args.data, "embedding.npy")))
        t = time.perf_counter()
        index = faiss.IndexFlatIP(x.shape[1])
        index.add(x)
        _, ids = index.search(x, k + 1)
        secs = time.perf_counter() - t
        ids = drop_self(ids, k)
    elif args.worker == "sdtn":
        from sparse_dot_topn import sp_matmul_topn
        x = load_sparse(args.data)
        xt = x.T.tocsr()
        t = time.perf_counter()
        c = sp_matmul_topn(x, xt, top_n=k + 1, n_threads=threads, sort=True)
        secs = time.perf_counter() - t
        n = x.shape[0]
        ids = np.full((n, k), U32_NONE, dtype=np.int64)
        for r in range(n):
            cols = c.indices[c.indptr[r]:c.indptr[r + 1]]
            row = [int(j) for j in cols if j != r][:k]
            ids[r, :len(row)] = row
    elif args.worker == "hnswlib":
        import hnswlib
        x = np.ascontiguousarray(np.load(os.path.join(args.data, "embedding.npy")))
        t = time.perf_counter()
        index = hnswlib.Index(space="ip", dim=x.shape[1])
        index.init_index(max_elements=x.shape[0], ef_construction=args.hnsw_ef_construction, M=args.hnsw_m, random_seed=1)
        index.set_num_threads(threads)
        index.add_items(x, np.arange(x.shape[0]))
        index.set_ef(args.hnsw_ef)
        ids, _ = index.knn_query(x, k=k + 1, num_threads=threads)
        secs = time.perf_counter() - t
        ids = drop_self(ids, k)
    elif args.worker == "pynndescent":
        import pynndescent
        from numba import set_num_threads
        set_num_threads(threads)
        x = np.ascontiguousarray(np.load(os.path.join(args.data, "embedding.npy")))
        # Compile numba's kernels on a small sample first, so the timed run does not pay the JIT.
        pynndescent.NNDescent(x[:2000], n_neighbors=k + 1, metric="dot", random_state=1, n_jobs=threads).neighbor_graph
        t = time.perf_counter()
        nnd = pynndescent.NNDescent(x, n_neighbors=k + 1, metric="dot", random_state=1, n_jobs=threads)
        ids, _ = nnd.neighbor_graph
        secs = time.perf_counter() - t
        ids = drop_self(ids, k)
    else:
        raise SystemExit(f"unknown worker {args.worker}")
    np.save(args.out, ids.astype(np.int64))
    print(json.dumps(dict(seconds=secs, maxrss_kb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)))


def run_peer(peer, data, out, args):
    env = dict(os.environ)
    # Peers drive their own threads through OpenMP / BLAS: give them the same thread count Kindred gets.
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
        env[var] = str(args.threads)
    cmd = [sys.executable, "-u", os.path.abspath(__file__), "--worker", peer, "--data", data, "--out", out,
           "--k", str(args.k), "--threads", str(args.threads), "--hnsw-m", str(args.hnsw_m),
           "--hnsw-ef", str(args.hnsw_ef), "--hnsw-ef-construction", str(args.hnsw_ef_construction)]
    t = time.perf_counter()
    try:
        r = json.loads(run(cmd, env=env).strip().splitlines()[-1])
    except RuntimeError as e:
        return dict(status="error", error=str(e)[-400:])
    r.update(status="ok", wall=time.perf_counter() - t)
    return r


def run_kindred(kindred, kind, data, out, args, time_bin, approximate=False, max_df=None):
    tfile = out + ".time.txt"
    cmd = [kindred, "knn", "--k", str(args.k), "--threads", str(args.threads), "--output", out, "--json"]
    cmd += ["--dense", os.path.join(data, "embedding.npy")] if kind in ("dense", "approx") else ["--sparse", os.path.join(data, "tfidf")]
    if approximate:
        cmd += ["--approximate", "--probes", str(args.probes), "--recall-sample", "2000"]
    if max_df:
        cmd += ["--max-df", str(max_df)]
    if time_bin:
        cmd = [time_bin, "-v", "-o", tfile] + cmd
    t = time.perf_counter()
    try:
        js = json.loads(run(cmd).strip().splitlines()[-1])
    except RuntimeError as e:
        return dict(status="error", error=str(e)[-400:])
    r = dict(status="ok", seconds=js["seconds"], wall=time.perf_counter() - t, gflops=js.get("gflops"),
             recall_sample=js.get("recall_sample"))
    if time_bin and os.path.exists(tfile):
        m = re.search(r"Maximum resident set size \(kbytes\):\s*(\d+)", open(tfile).read())
        r["maxrss_kb"] = int(m.group(1)) if m else None
    return r


def recall(ids, exact, k):
    import numpy as np
    hits = total = 0
    for r in range(exact.shape[0]):
        truth = set(int(x) for x in exact[r][:k] if x != U32_NONE)
        if not truth:
            continue
        got = set(int(x) for x in ids[r][:k] if x != U32_NONE)
        hits += len(truth & got)
        total += len(truth)
    return hits / total if total else float("nan")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dense-n", type=int, default=300000, help="people for the dense (LSA) task; 0 skips it")
    ap.add_argument("--sparse-n", type=int, default=100000, help="people for the sparse (TF-IDF) task; 0 skips it")
    ap.add_argument("--approx-n", type=int, default=0,
                    help="people for the approximate task (Kindred's inverted-file search against its exact search, "
                         "run once, e.g. 1000000); 0 (default) skips it")
    ap.add_argument("--probes", type=int, default=8, help="cells searched per row by Kindred's approximate search")
    ap.add_argument("--max-df", type=float, default=0.05,
                    help="also run Kindred's sparse search with features in more than this share of people pruned "
                         "(its recall is reported); 0 skips it")
    ap.add_argument("--dims", type=int, default=128, help="LSA dimensions (default 128)")
    ap.add_argument("--k", type=int, default=20)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--peers", default="faiss,sdtn,hnswlib,pynndescent",
                    help="peers: faiss (dense exact), sdtn (sparse exact), hnswlib, pynndescent (dense approximate)")
    ap.add_argument("--seed", type=int, default=11, help="synth seed of the people")
    ap.add_argument("--quick", action="store_true", help="smoke test: 20,000 people per task, 1 repeat")
    ap.add_argument("--hnsw-m", type=int, default=16)
    ap.add_argument("--hnsw-ef", type=int, default=64)
    ap.add_argument("--hnsw-ef-construction", type=int, default=100)
    ap.add_argument("--kindred", help="kindred binary")
    ap.add_argument("--cache", default=".bench-cache/knn")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--data", help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        return worker(args)
    import numpy as np
    if args.quick:
        args.dense_n = min(args.dense_n, 20000) if args.dense_n else 0
        args.sparse_n = min(args.sparse_n, 20000) if args.sparse_n else 0
        args.repeats = 1
    peers = [p for p in args.peers.split(",") if p]
    time_bin = "/usr/bin/time" if os.path.exists("/usr/bin/time") else None
    work = os.path.join(args.cache, "runs")
    os.makedirs(work, exist_ok=True)
    tasks = []
    if args.dense_n:
        tasks.append(("dense", args.dense_n, ["faiss", "hnswlib", "pynndescent"]))
    if args.sparse_n:
        tasks.append(("sparse", args.sparse_n, ["sdtn"]))
    if args.approx_n:
        tasks.append(("approx", args.approx_n, []))
    results = []
    sgemm = None
    for kind, n, kind_peers in tasks:
        data = prepare(args.kindred, args.cache, n, args.seed, args.dims)
        order = ["kindred"] + [p for p in kind_peers if p in peers]
        if kind == "approx":
            order = ["kindred", "kindred-approx"]
        if kind == "sparse" and args.max_df:
            order.append("kindred-pruned")
        runs = {tool: [] for tool in order}
        log(f"[{kind} n={n}] {args.repeats} repeat(s), threads={args.threads}; order per repeat: {', '.join(order)}"
            + (" (the exact search runs in the first repeat only)" if kind == "approx" else ""))
        for rep in range(args.repeats):
            for tool in order:
                if kind == "approx" and tool == "kindred" and rep > 0:
                    continue
                out = os.path.join(work, f"{kind}-{tool}")
                if tool == "kindred":
                    r = run_kindred(args.kindred, kind, data, out, args, time_bin)
                elif tool == "kindred-approx":
                    r = run_kindred(args.kindred, kind, data, out, args, time_bin, approximate=True)
                elif tool == "kindred-pruned":
                    r = run_kindred(args.kindred, kind, data, out, args, time_bin, max_df=args.max_df)
                else:
                    r = run_peer(tool, data, out + ".ids.npy", args)
                runs[tool].append(r)
                if r["status"] == "ok":
                    extra = f"  {r['gflops']:.1f} GFLOP/s" if r.get("gflops") else ""
                    if r.get("recall_sample") is not None:
                        extra += f"  sampled recall {r['recall_sample']:.4f}"
                    log(f"  {tool:12s} repeat {rep + 1}: {r['seconds']:8.3f} s  RSS {r.get('maxrss_kb', 0) / 1024:7.0f} MB{extra}")
                else:
                    log(f"  {tool:12s} repeat {rep + 1}: {r['status']}: {r.get('error', '')}")
        exact = np.load(os.path.join(work, f"{kind}-kindred.ids.npy")).astype(np.int64)
        for tool in order:
            ok = [r for r in runs[tool] if r["status"] == "ok"]
            row = dict(task=kind, n=n, tool=tool, threads=args.threads, runs=runs[tool])
            if ok:
                if tool == "kindred":
                    ids = exact
                elif tool in ("kindred-approx", "kindred-pruned"):
                    ids = np.load(os.path.join(work, f"{kind}-{tool}.ids.npy")).astype(np.int64)
                else:
                    ids = np.load(os.path.join(work, f"{kind}-{tool}.ids.npy"))
                row.update(seconds=statistics.median(r["seconds"] for r in ok),
                           maxrss_mb=statistics.median((r.get("maxrss_kb") or 0) / 1024 for r in ok),
                           recall=recall(ids, exact, args.k))
                if tool == "kindred" and kind == "dense":
                    row["gflops"] = statistics.median(r["gflops"] for r in ok)
            results.append(row)
        if kind == "dense":
            js = json.loads(run([args.kindred, "knn", "--dense", os.path.join(data, "embedding.npy"), "--k", str(args.k),
                                 "--threads", str(args.threads), "--output", os.path.join(work, "sgemm-check"),
                                 "--sgemm-baseline", "--json"]).strip().splitlines()[-1])
            sgemm = dict(kernel=js["subset_gflops"], sgemm=js["sgemm_gflops"], peak=js["sgemm_peak_gflops"], n=min(n, 60000))
    # Table
    lines = ["task    n          tool          thr   time s   RSS MB   recall@%d  GFLOP/s" % args.k,
             "------  ---------  ------------  ---  -------  -------  ---------  -------"]
    for r in results:
        if "seconds" not in r:
            lines.append(f"{r['task']:6s}  {r['n']:9,d}  {r['tool']:12s}  {r['threads']:3d}  failed")
            continue
        g = f"{r['gflops']:7.1f}" if r.get("gflops") else ""
        lines.append(f"{r['task']:6s}  {r['n']:9,d}  {r['tool']:12s}  {r['threads']:3d}  {r['seconds']:7.2f}  {r['maxrss_mb']:7.0f}  {r['recall']:9.4f}  {g}")
    lines.append("")
    lines.append("recall is against Kindred's exact table of the same data (for Kindred itself: 1 by definition).")
    for kind in ("dense", "sparse", "approx"):
        mine = [r for r in results if r["task"] == kind and r["tool"] == "kindred" and "seconds" in r]
        for r in results:
            if r["task"] == kind and r["tool"] != "kindred" and "seconds" in r and mine:
                if kind == "approx":
                    lines.append(f"time ratio approx: kindred-approx / kindred exact = {r['seconds'] / mine[0]['seconds']:.3f}x "
                                 f"(recall@{args.k} {r['recall']:.4f} over all rows)")
                else:
                    lines.append(f"time ratio {kind}: kindred / {r['tool']} = {mine[0]['seconds'] / r['seconds']:.2f}x")
    if sgemm:
        lines.append(f"dense kernel {sgemm['kernel']:.1f} GFLOP/s vs the same tiles with OpenBLAS sgemm alone {sgemm['sgemm']:.1f} "
                     f"GFLOP/s = {sgemm['kernel'] / sgemm['sgemm']:.0%} (first {sgemm['n']:,} rows, {args.threads} threads); "
                     f"sgemm cache-resident peak on one tile shape {sgemm['peak']:.1f} GFLOP/s = {sgemm['kernel'] / sgemm['peak']:.0%}")
    table = "\n".join(lines)
    print(table)
    stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    path = os.path.join(args.cache, f"results-{stamp}")
    with open(path + ".json", "w") as f:
        json.dump(dict(args=vars(args), results=results, sgemm=sgemm), f, indent=1)
    with open(path + ".md", "w") as f:
        f.write("```\n" + table + "\n```\n")
    log(f"results: {path}.json, .md")


if __name__ == "__main__":
    main()
