#!/usr/bin/env python3
"""Peer benchmark driver: Kindred vs NetworKit PLM / ParallelLeiden, igraph multilevel, leidenalg.

Run through scripts/bench-peers, which makes the venv and builds Kindred; see scripts/bench/README.md.

Every partition, whichever tool produced it, is scored here by the same code from its membership
vector: modularity at gamma = 1, NMI (arithmetic normalisation) against the planted labels, the
community count, the number of internally disconnected communities, and whether two runs with
the same seed (at 1 and at T threads) give the same partition up to relabelling.

Peers run in long-lived worker processes (this file with --worker), one per tool and graph, so
that the graph is loaded once, only the algorithm is timed, a run can be stopped at the timeout,
and each tool's peak RSS is its own process's. Kindred runs as a subprocess under /usr/bin/time -v.
Heavy modules are imported lazily so that --help works with any python3.
"""
import argparse
import datetime as _dt
import json
import os
import re
import select
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
DEFAULT_CACHE = os.path.join(ROOT, ".bench-cache")

# LFR parameters of /work/shared/data/lfr10k_mu0.3.meta.json, scaled only in n.
LFR = dict(avgdeg=20, maxdeg=100, degexp=-2.0, cmin=20, cmax=1000, cexp=-1.0)
GEN_SEED = 20240601

PEERS = {  # key: (display name, multi-threaded, worker graph library)
    "plm": ("nk-PLM", True, "networkit"),
    "parallelleiden": ("nk-ParallelLeiden", True, "networkit"),
    "igraph": ("igraph-multilevel", False, "igraph"),
    "leidenalg": ("leidenalg", False, "igraph"),
}
PEER_ALIASES = {"plm": "plm", "nk-plm": "plm", "parallelleiden": "parallelleiden", "pl": "parallelleiden",
                "nk-parallelleiden": "parallelleiden", "igraph": "igraph", "multilevel": "igraph",
                "igraph-multilevel": "igraph", "leidenalg": "leidenalg", "leiden": "leidenalg"}


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def die(msg, code=2):
    log("bench-peers: error: " + msg)
    sys.exit(code)


# ----------------------------------------------------------------------------------------------
# Sizes, graphs, cache
# ----------------------------------------------------------------------------------------------

def parse_size(tok):
    t = tok.strip().lower().replace("_", "").replace(",", "")
    m = re.fullmatch(r"(\d+(?:\.\d+)?)([km]?)", t)
    if not m:
        die(f"bad size {tok!r} (use e.g. 10k, 100k, 1m or 250000)")
    mult = {"": 1, "k": 1000, "m": 1000000}[m.group(2)]
    return int(round(float(m.group(1)) * mult))


def size_label(n):
    if n % 1000000 == 0:
        return f"{n // 1000000}m"
    if n % 1000 == 0:
        return f"{n // 1000}k"
    return str(n)


def lfr_name(n, mu):
    return f"lfr{size_label(n)}_mu{mu:g}"


def graph_dir(cache):
    d = os.path.join(cache, "graphs")
    os.makedirs(d, exist_ok=True)
    return d


def write_int_pairs(path, a, b):
    """Writes `a[i] b[i]` lines fast (numpy → text) via a temp file and rename."""
    import numpy as np
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        chunk = 1 << 20
        for s in range(0, len(a), chunk):
            x = np.column_stack((a[s:s + chunk], b[s:s + chunk]))
            np.savetxt(f, x, fmt="%d", delimiter=" ")
    os.replace(tmp, path)


def generate_lfr(n, mu, seed, threads, out_prefix, params=LFR):
    """Generates one LFR graph with NetworKit; writes .edges, .labels, .npz, .meta.json."""
    import networkit as nk
    import numpy as np
    nk.setNumberOfThreads(threads)
    nk.setSeed(seed, True)
    t0 = time.perf_counter()
    gen = nk.generators.LFRGenerator(n)
    gen.generatePowerlawDegreeSequence(params["avgdeg"], params["maxdeg"], params["degexp"])
    gen.generatePowerlawCommunitySizeSequence(params["cmin"], params["cmax"], params["cexp"])
    gen.setMu(mu)
    gen.run()
    G = gen.getGraph()
    P = gen.getPartition()
    gen_seconds = time.perf_counter() - t0
    nk.graphio.EdgeListWriter(" ", 0).write(G, out_prefix + ".edges.tmp")
    os.replace(out_prefix + ".edges.tmp", out_prefix + ".edges")
    edges = np.fromfile(out_prefix + ".edges", dtype=np.int64, sep=" ").reshape(-1, 2).astype(np.int32)
    labels = np.asarray(P.getVector(), dtype=np.int64)
    write_int_pairs(out_prefix + ".labels", np.arange(n), labels)
    np.savez(out_prefix + ".npz", u=edges[:, 0], v=edges[:, 1], labels=labels.astype(np.int32), n=np.int64(n))
    meta = dict(n=n, mu=mu, out=os.path.relpath(out_prefix, ROOT), seed=seed, **params, threads=threads,
                nodes=G.numberOfNodes(), edges=G.numberOfEdges(), communities=P.numberOfSubsets(),
                gen_seconds=round(gen_seconds, 2), total_seconds=round(time.perf_counter() - t0, 2),
                networkit=nk.__version__, source="lfr")
    with open(out_prefix + ".meta.json", "w") as f:
        json.dump(meta, f, indent=1)
    return meta


def ensure_lfr(cache, n, mu, seed, threads):
    name = lfr_name(n, mu)
    prefix = os.path.join(graph_dir(cache), name)
    want = dict(n=n, mu=mu, seed=seed, threads=threads, **LFR)  # the edges depend on the thread count too
    meta_path = prefix + ".meta.json"
    if os.path.exists(meta_path) and all(os.path.exists(prefix + e) for e in (".edges", ".labels", ".npz")):
        with open(meta_path) as f:
            meta = json.load(f)
        if all(meta.get(k) == v for k, v in want.items()):
            return name, prefix, meta
        log(f"{name}: cached graph has other parameters; regenerating")
    log(f"{name}: generating LFR n={n:,} mu={mu} (seed {seed}, {threads} threads)…")
    meta = generate_lfr(n, mu, seed, threads, prefix)
    log(f"{name}: {meta['nodes']:,} nodes, {meta['edges']:,} edges, {meta['communities']} planted communities; "
        f"generated in {meta['gen_seconds']} s ({meta['total_seconds']} s with writing)")
    return name, prefix, meta


def _open_text(path):
    import gzip
    return gzip.open(path, "rt") if path.endswith(".gz") else open(path)


def _find_labels(path):
    base = path[:-3] if path.endswith(".gz") else path
    stem = os.path.splitext(base)[0]
    for cand in (stem + ".labels", stem + ".labels.gz", stem + ".truth", stem + ".truth.gz",
                 stem + ".communities", stem + ".communities.gz"):
        if os.path.exists(cand):
            return cand
    return None


def import_graph(cache, path, labels_path):
    """Normalises an existing edge list (any tokens, optional weights ignored, .gz ok) to 0-based ints:
    drops comments, self-loops and duplicate edges, so that every tool sees the same simple graph."""
    import numpy as np
    path = os.path.abspath(path)
    if not os.path.exists(path):
        die(f"--graphs: no such file {path}")
    if labels_path is None:
        labels_path = _find_labels(path)
    base = os.path.basename(path[:-3] if path.endswith(".gz") else path)
    name = os.path.splitext(base)[0]
    prefix = os.path.join(graph_dir(cache), "file_" + name)
    src = dict(source="file", path=path, size=os.path.getsize(path), mtime=int(os.path.getmtime(path)),
               labels_path=labels_path,
               labels_size=os.path.getsize(labels_path) if labels_path else None)
    if os.path.exists(prefix + ".meta.json") and os.path.exists(prefix + ".npz"):
        with open(prefix + ".meta.json") as f:
            meta = json.load(f)
        if all(meta.get(k) == v for k, v in src.items()):
            return "file_" + name, prefix, meta
    log(f"importing {path}" + (f" with labels {labels_path}" if labels_path else " (no labels found: NMI n/a)"))
    us, vs = [], []
    with _open_text(path) as f:
        for line in f:
            s = line.strip()
            if not s or s[0] in "#%":
                continue
            tok = s.replace(",", " ").split()
            if len(tok) < 2:
                die(f"{path}: line without two ids: {s!r}")
            us.append(tok[0])
            vs.append(tok[1])
    lab_nodes, lab_vals = [], []
    if labels_path:
        with _open_text(labels_path) as f:
            for i, line in enumerate(f):
                s = line.strip()
                if not s or s[0] in "#%":
                    continue
                tok = s.replace(",", " ").split()
                if len(tok) < 2:
                    continue
                if i == 0 and tok[0].lower() in ("node", "id", "vertex"):
                    continue
                lab_nodes.append(tok[0])
                lab_vals.append(tok[1])
    all_int = all(t.isdigit() for t in us) and all(t.isdigit() for t in vs)
    if all_int:
        u = np.array(us, dtype=np.int64)
        v = np.array(vs, dtype=np.int64)
        ln = [int(t) if t.isdigit() else -1 for t in lab_nodes]
        n = int(max(u.max(initial=-1), v.max(initial=-1))) + 1
        lab_node_ids = np.array(ln, dtype=np.int64)
        keep = (lab_node_ids >= 0) & (lab_node_ids < n)
    else:
        ids = {}
        u = np.array([ids.setdefault(t, len(ids)) for t in us], dtype=np.int64)
        v = np.array([ids.setdefault(t, len(ids)) for t in vs], dtype=np.int64)
        n = len(ids)
        lab_node_ids = np.array([ids.get(t, -1) for t in lab_nodes], dtype=np.int64)
        keep = lab_node_ids >= 0
    loops = int((u == v).sum())
    a, b = np.minimum(u, v), np.maximum(u, v)
    mask = a != b
    key = np.unique(a[mask] * n + b[mask])
    dups = int(mask.sum() - len(key))
    u, v = (key // n).astype(np.int32), (key % n).astype(np.int32)
    labels = np.full(n, -1, dtype=np.int64)
    if labels_path:
        vals = {}
        codes = np.array([vals.setdefault(t, len(vals)) for t in lab_vals], dtype=np.int64)
        labels[lab_node_ids[keep]] = codes[keep]
    write_int_pairs(prefix + ".edges", u, v)
    if labels_path:
        has = np.nonzero(labels >= 0)[0]
        write_int_pairs(prefix + ".labels", has, labels[has])
    np.savez(prefix + ".npz", u=u, v=v, labels=labels.astype(np.int32), n=np.int64(n))
    meta = dict(src, n=n, nodes=n, edges=int(len(u)), self_loops_dropped=loops, duplicates_dropped=dups,
                labelled_nodes=int((labels >= 0).sum()),
                communities=int(len(np.unique(labels[labels >= 0]))) if labels_path else None,
                ids="as in file" if all_int else "renumbered by first appearance")
    with open(prefix + ".meta.json", "w") as f:
        json.dump(meta, f, indent=1)
    log(f"file_{name}: {n:,} nodes, {len(u):,} edges ({loops} self-loops, {dups} duplicates dropped)")
    return "file_" + name, prefix, meta


class GraphData:
    def __init__(self, name, prefix, meta):
        import numpy as np
        z = np.load(prefix + ".npz")
        self.name, self.prefix, self.meta = name, prefix, meta
        self.edges_path = prefix + ".edges"
        self.n = int(z["n"])
        self.u = z["u"].astype(np.int64)
        self.v = z["v"].astype(np.int64)
        self.m = len(self.u)
        self.labels = z["labels"].astype(np.int64)
        self.has_labels = bool((self.labels >= 0).any())
        self.deg = np.bincount(self.u, minlength=self.n) + np.bincount(self.v, minlength=self.n)
        self.size = size_label(self.n)

    @property
    def csr_bytes(self):
        return (self.n + 1) * 8 + 2 * self.m * (4 + 4)


# ----------------------------------------------------------------------------------------------
# Scoring: one implementation for every tool
# ----------------------------------------------------------------------------------------------

def canonical(memb):
    """Relabels communities 0,1,2,… in order of first appearance (so equal partitions compare equal)."""
    import numpy as np
    _, first, inv = np.unique(memb, return_index=True, return_inverse=True)
    rank = np.empty(len(first), dtype=np.int64)
    rank[np.argsort(first, kind="stable")] = np.arange(len(first))
    return rank[inv.ravel()]


def modularity(g, memb, gamma=1.0):
    import numpy as np
    c = canonical(memb)
    k = int(c.max()) + 1 if len(c) else 0
    same = c[g.u] == c[g.v]
    intra = np.bincount(c[g.u][same], minlength=k).astype(np.float64)
    dtot = np.bincount(c, weights=g.deg.astype(np.float64), minlength=k)
    m = float(g.m)
    if m == 0:
        return 0.0
    return float(intra.sum() / m - gamma * float((dtot * dtot).sum()) / (4.0 * m * m))


def nmi(a, b):
    """NMI with arithmetic normalisation, 2·I(a;b)/(H(a)+H(b)), over nodes labelled in b (b >= 0)."""
    import numpy as np
    keep = b >= 0
    a, b = canonical(a[keep]), canonical(b[keep])
    n = float(len(a))
    if n == 0:
        return float("nan")
    kb = int(b.max()) + 1
    _, nij = np.unique(a * kb + b, return_counts=True)
    keys = _
    ai = np.bincount(a).astype(np.float64)
    bj = np.bincount(b).astype(np.float64)
    ha = -float(np.sum((ai / n) * np.log(ai / n)))
    hb = -float(np.sum((bj / n) * np.log(bj / n)))
    if ha + hb == 0:
        return 1.0
    nij = nij.astype(np.float64)
    mi = float(np.sum((nij / n) * np.log(nij * n / (ai[keys // kb] * bj[keys % kb]))))
    return max(0.0, min(1.0, 2.0 * mi / (ha + hb)))


def disconnected_communities(g, memb):
    """Communities whose induced subgraph is not connected: drop inter-community edges, take the
    connected components of what is left, count communities spanning more than one component."""
    import numpy as np
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import connected_components
    c = canonical(memb)
    same = c[g.u] == c[g.v]
    uu, vv = g.u[same], g.v[same]
    A = csr_matrix((np.ones(len(uu), dtype=np.int8), (uu, vv)), shape=(g.n, g.n))
    ncomp, comp = connected_components(A, directed=False)
    pairs = np.unique(c * ncomp + comp)
    per_comm = np.bincount(pairs // ncomp)
    return int((per_comm > 1).sum())


def score(g, memb):
    import numpy as np
    return dict(modularity=modularity(g, memb), nmi=nmi(memb, g.labels) if g.has_labels else None,
                communities=int(len(np.unique(memb))), disconnected=disconnected_communities(g, memb))


def full_membership(n, nodes, comms):
    """Membership of length n from (node, community) pairs; nodes missing get singleton communities."""
    import numpy as np
    memb = np.full(n, -1, dtype=np.int64)
    ok = (nodes >= 0) & (nodes < n)
    memb[nodes[ok]] = comms[ok]
    missing = np.nonzero(memb < 0)[0]
    if len(missing):
        base = int(memb.max()) + 1 if (memb >= 0).any() else 0
        memb[missing] = base + np.arange(len(missing))
    return memb


# ----------------------------------------------------------------------------------------------
# Kindred (subprocess)
# ----------------------------------------------------------------------------------------------

class Kindred:
    def __init__(self, binary, algorithms_override, time_bin):
        self.binary = binary
        self.time_bin = time_bin
        try:
            helptext = subprocess.run([binary, "cluster", "--help"], capture_output=True, text=True,
                                      timeout=60).stdout
        except (OSError, subprocess.SubprocessError) as e:
            die(f"cannot run {binary} cluster --help: {e}")
        self.has_algorithm = "--algorithm" in helptext
        if algorithms_override:
            algs = algorithms_override
            if not self.has_algorithm:
                die("--kindred-algorithms given, but `kindred cluster --help` does not mention --algorithm")
        elif self.has_algorithm:
            tail = helptext[helptext.index("--algorithm"):]
            section = tail[:600].lower()
            algs = [a for a in ("louvain", "leiden") if a in section] or ["louvain", "leiden"]
        else:
            algs = [None]
        self.algorithms = algs
        try:
            self.version = subprocess.run([binary, "--version"], capture_output=True, text=True,
                                          timeout=60).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            self.version = "?"

    def tool_name(self, alg):
        return "kindred" if alg is None else f"kindred-{alg}"

    def run(self, g, alg, seed, threads, gamma, timeout, workdir):
        import numpy as np
        out = os.path.join(workdir, "kindred-out.csv")
        tfile = os.path.join(workdir, "kindred-time.txt")
        for p in (out, tfile):
            if os.path.exists(p):
                os.remove(p)
        cmd = [self.binary, "cluster", g.edges_path, "--output", out, "--seed", str(seed),
               "--threads", str(threads), "--resolution", repr(float(gamma)), "--json"]
        if alg is not None:
            cmd += ["--algorithm", alg]
        if self.time_bin:
            cmd = [self.time_bin, "-v", "-o", tfile] + cmd
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                start_new_session=True)
        try:
            stdout, stderr = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            return dict(status="timeout", wall=time.perf_counter() - t0)
        wall = time.perf_counter() - t0
        if proc.returncode != 0:
            return dict(status="error", wall=wall, error=f"exit {proc.returncode}: {stderr.strip()[-2000:]}")
        js = None
        for line in stdout.splitlines()[::-1]:
            line = line.strip()
            if line.startswith("{"):
                try:
                    js = json.loads(line)
                    break
                except ValueError:
                    pass
        if js is None:
            return dict(status="error", wall=wall, error="no JSON object on stdout: " + stdout[-500:])
        rss = None
        if self.time_bin and os.path.exists(tfile):
            with open(tfile) as f:
                m = re.search(r"Maximum resident set size \(kbytes\):\s*(\d+)", f.read())
                rss = int(m.group(1)) if m else None
        data = np.loadtxt(out, delimiter=",", skiprows=1, dtype=np.int64, ndmin=2)
        memb = full_membership(g.n, data[:, 0], data[:, 1])
        return dict(status="ok", seconds=float(js.get("seconds", float("nan"))), wall=wall, maxrss_kb=rss,
                    reported=js, membership=memb)


# ----------------------------------------------------------------------------------------------
# Peers (worker processes)
# ----------------------------------------------------------------------------------------------

def peak_rss_kb():
    """This process's own peak RSS (VmHWM). ru_maxrss would also count the parent's RSS at fork time."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def worker_main(args):
    """Loads one graph for one tool, then answers run requests (JSON lines) until stdin closes."""
    import numpy as np
    reply = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)  # anything a library prints goes to stderr, not into the protocol
    tool = args.worker
    lib = PEERS[tool][2]
    t0 = time.perf_counter()
    if lib == "networkit":
        import networkit as nk
        nk.setNumberOfThreads(args.worker_threads)
        G = nk.readGraph(args.worker_edges, nk.Format.EdgeListSpaceZero)
        n, m = G.numberOfNodes(), G.numberOfEdges()
        version = "networkit " + nk.__version__
    else:
        import igraph as ig
        G = ig.Graph.Read_Edgelist(args.worker_edges, directed=False)
        n, m = G.vcount(), G.ecount()
        version = "igraph " + ig.__version__
        if tool == "leidenalg":
            import leidenalg
            version += ", leidenalg " + leidenalg.version
    load = time.perf_counter() - t0

    def send(obj):
        reply.write(json.dumps(obj) + "\n")
        reply.flush()

    send(dict(ready=True, load_seconds=load, n=n, m=m, version=version,
              maxrss_kb=peak_rss_kb()))
    for line in sys.stdin:
        if not line.strip():
            continue
        req = json.loads(line)
        try:
            seed, threads, gamma = int(req["seed"]), int(req["threads"]), float(req["gamma"])
            own_q = None
            if lib == "networkit":
                import networkit as nk
                nk.setNumberOfThreads(threads)
                nk.setSeed(seed, True)
                if tool == "plm":
                    algo = nk.community.PLM(G, refine=False, gamma=gamma, par="balanced", maxIter=32, turbo=True)
                else:
                    algo = nk.community.ParallelLeiden(G, randomize=True, iterations=3, gamma=gamma)
                t = time.perf_counter()
                algo.run()
                secs = time.perf_counter() - t
                P = algo.getPartition()
                memb = np.asarray(P.getVector(), dtype=np.int64)
                own_q = nk.community.Modularity().getQuality(P, G)
            elif tool == "igraph":
                import random
                random.seed(seed)  # igraph's default RNG is Python's random module
                t = time.perf_counter()
                cl = G.community_multilevel(resolution=gamma)
                secs = time.perf_counter() - t
                memb = np.asarray(cl.membership, dtype=np.int64)
                own_q = G.modularity(cl.membership)
            else:
                import leidenalg
                t = time.perf_counter()
                if gamma == 1.0:
                    part = leidenalg.find_partition(G, leidenalg.ModularityVertexPartition, seed=seed)
                else:
                    part = leidenalg.find_partition(G, leidenalg.RBConfigurationVertexPartition, seed=seed,
                                                    resolution_parameter=gamma)
                secs = time.perf_counter() - t
                memb = np.asarray(part.membership, dtype=np.int64)
                own_q = G.modularity(part.membership)
            np.save(req["out"], memb)
            send(dict(ok=True, seconds=secs, own_modularity=own_q,
                      maxrss_kb=peak_rss_kb()))
        except Exception as e:  # reported to the driver, which records the run as an error
            send(dict(ok=False, error=f"{type(e).__name__}: {e}"))
    return 0


class PeerWorker:
    def __init__(self, tool, g, threads, workdir, load_timeout):
        self.tool, self.g, self.workdir = tool, g, workdir
        self.logpath = os.path.join(workdir, f"worker-{tool}.log")
        self.log = open(self.logpath, "w")
        cmd = [sys.executable, "-u", os.path.abspath(__file__), "--worker", tool, "--worker-edges", g.edges_path,
               "--worker-threads", str(threads)]
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.log,
                                     bufsize=0, start_new_session=True)
        hello = self._read(load_timeout)
        if hello is None or not hello.get("ready"):
            self.close()
            raise RuntimeError(f"{tool} worker did not start: {self._log_tail()}")
        self.load_seconds = hello["load_seconds"]
        self.version = hello["version"]
        self.dead = False

    def _log_tail(self):
        try:
            with open(self.logpath) as f:
                return f.read()[-1500:]
        except OSError:
            return ""

    def _read(self, timeout):
        buf = b""
        deadline = time.monotonic() + timeout
        while not buf.endswith(b"\n"):
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            r, _, _ = select.select([self.proc.stdout], [], [], left)
            if not r:
                return None
            chunk = self.proc.stdout.read(65536)
            if not chunk:  # worker died
                return None
            buf += chunk
        return json.loads(buf.decode())

    def run(self, seed, threads, gamma, timeout):
        import numpy as np
        if self.dead:
            return dict(status="skipped")
        out = os.path.join(self.workdir, f"peer-{self.tool}.npy")
        if os.path.exists(out):
            os.remove(out)
        req = dict(seed=seed, threads=threads, gamma=gamma, out=out)
        t0 = time.perf_counter()
        try:
            self.proc.stdin.write((json.dumps(req) + "\n").encode())
            self.proc.stdin.flush()
        except BrokenPipeError:
            self.dead = True
            return dict(status="error", error="worker died: " + self._log_tail())
        resp = self._read(timeout)
        wall = time.perf_counter() - t0
        if resp is None:
            alive = self.proc.poll() is None
            self.close()
            self.dead = True
            if alive:
                return dict(status="timeout", wall=wall)
            return dict(status="error", wall=wall, error="worker died: " + self._log_tail())
        if not resp.get("ok"):
            return dict(status="error", wall=wall, error=resp.get("error"))
        got = np.load(out)
        memb = full_membership(self.g.n, np.arange(len(got)), got)
        return dict(status="ok", seconds=resp["seconds"], wall=wall, maxrss_kb=resp["maxrss_kb"],
                    reported=dict(modularity=resp.get("own_modularity")), membership=memb)

    def close(self):
        if self.proc.poll() is None:
            try:
                self.proc.stdin.close()
                self.proc.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                try:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.proc.wait()
        self.log.close()


# ----------------------------------------------------------------------------------------------
# Orchestration
# ----------------------------------------------------------------------------------------------

def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def med_low(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median_low(xs) if xs else None


def fmt(x, spec):
    return "-" if x is None else format(x, spec)


def parse_skip(items):
    out = []
    for it in items:
        for tok in it.split(","):
            tok = tok.strip().lower()
            if not tok:
                continue
            tool, _, where = tok.partition("@")
            out.append((tool, where or None))
    return out


def skipped(skips, tool_key, g):
    for tool, where in skips:
        if tool in (tool_key, PEERS.get(tool_key, (tool_key,))[0].lower()) or PEER_ALIASES.get(tool) == tool_key:
            if where is None or where in (g.size, g.name.lower(), g.name.lower().removeprefix("file_"), str(g.n)):
                return True
    return False


def bench_graph(g, args, kindred, results, workdir):
    T = args.threads
    peers = [p for p in args.peers if not skipped(args.skip, p, g)]
    kalgs = [a for a in kindred.algorithms if not skipped(args.skip, "kindred", g)]
    for p in args.peers:
        if p not in peers:
            log(f"[{g.name}] skipping {PEERS[p][0]} (--skip)")
    recs = {}  # tool name -> dict(runs=[], ...)

    def rec(tool, multi, version):
        return recs.setdefault(tool, dict(graph=g.name, tool=tool, threads=T if multi else 1, runs=[],
                                          det_runs=[], version=version, load=None, status=[]))

    def add_run(tool, r, seed, threads, kind):
        entry = dict(seed=seed, threads=threads, kind=kind, status=r["status"], seconds=r.get("seconds"),
                     wall=r.get("wall"), maxrss_kb=r.get("maxrss_kb"), error=r.get("error"))
        if r["status"] == "ok":
            s = score(g, r["membership"])
            entry.update(s)
            rep = r.get("reported") or {}
            entry["reported"] = {k: v for k, v in rep.items() if k != "membership"}
            own = rep.get("modularity")
            if own is not None and abs(own - s["modularity"]) > 1e-4:
                log(f"  warning: {tool} reports modularity {own:.6f}, the shared scorer gives {s['modularity']:.6f}")
            own_d = rep.get("disconnected_communities")
            if own_d is not None and own_d != s["disconnected"]:
                log(f"  warning: {tool} reports {own_d} disconnected communities, the shared scorer counts {s['disconnected']}")
            entry["canon"] = canonical(r["membership"])
        tag = f"{kind} seed={seed} t={threads}"
        if r["status"] == "ok":
            nm = entry["nmi"]
            log(f"  {tool:<20} {tag:<22} {entry['seconds']:8.3f} s  Q={entry['modularity']:.6f}  "
                f"NMI={'-' if nm is None else format(nm, '.4f')}  k={entry['communities']}  disc={entry['disconnected']}")
        else:
            log(f"  {tool:<20} {tag:<22} {r['status']}" + (f": {r.get('error')}" if r.get("error") else ""))
        return entry

    def run_kindred(alg, seed, threads, kind, gamma=1.0):
        tool = kindred.tool_name(alg)
        R = rec(tool, True, kindred.version)
        if any(e["status"] == "timeout" for e in R["runs"] + R["det_runs"]):
            r = dict(status="timeout")
        else:
            r = kindred.run(g, alg, seed, threads, gamma, args.timeout, workdir)
        e = add_run(tool, r, seed, threads, kind)
        if e["status"] == "ok" and e["wall"] is not None and e["seconds"] is not None:
            e["load"] = e["wall"] - e["seconds"]
        (R["runs"] if kind == "timed" else R["det_runs"]).append(e)
        return e

    for a in kalgs:
        rec(kindred.tool_name(a), True, kindred.version)
    workers = {}
    try:
        for p in peers:
            name, multi, _ = PEERS[p]
            log(f"[{g.name}] loading graph for {name}…")
            try:
                w = PeerWorker(p, g, T, workdir, load_timeout=max(args.timeout, 1800))
            except RuntimeError as e:
                log(f"  {e}")
                R = rec(name, multi, "?")
                R["status"].append("error")
                continue
            workers[p] = w
            R = rec(name, multi, w.version)
            R["load"] = w.load_seconds

        def run_peer(p, seed, threads, kind):
            name = PEERS[p][0]
            R = recs[name]
            w = workers.get(p)
            r = w.run(seed, threads, 1.0, args.timeout) if w else dict(status="error", error="no worker")
            if r["status"] == "skipped":
                r = dict(status="timeout")  # a run after a timeout on the same graph: not tried again
            e = add_run(name, r, seed, threads, kind)
            (R["runs"] if kind == "timed" else R["det_runs"]).append(e)

        log(f"[{g.name}] timed runs: {args.repeats} repeat(s), threads={T}; order per repeat: "
            + ", ".join(f"{'+'.join(kindred.tool_name(a) for a in kalgs) or '-'}, {PEERS[p][0]}" for p in peers)
            if peers else f"[{g.name}] timed runs: kindred only")
        for r in range(args.repeats):
            seed = args.seed + r
            for p in (peers or [None]):
                for a in kalgs:
                    run_kindred(a, seed, T, "timed")
                if p is not None and p in workers:
                    run_peer(p, seed, T if PEERS[p][1] else 1, "timed")

        if not args.no_determinism:
            log(f"[{g.name}] determinism: same seed again, at threads=1 and threads={T}")
            seed = args.seed
            for a in kalgs:
                run_kindred(a, seed, T, "det")
                if T != 1:
                    run_kindred(a, seed, 1, "det")
            for p in peers:
                if p not in workers:
                    continue
                if PEERS[p][1]:
                    run_peer(p, seed, T, "det")
                    if T != 1:
                        run_peer(p, seed, 1, "det")
                else:
                    run_peer(p, seed, 1, "det")

        if args.resolutions:
            log(f"[{g.name}] resolutions {args.resolutions} (kindred, seed {args.seed}, threads {T})")
            for gamma in args.resolutions:
                for a in kalgs:
                    tool = kindred.tool_name(a)
                    r = kindred.run(g, a, args.seed, T, gamma, args.timeout, workdir)
                    row = dict(graph=g.name, tool=tool, gamma=gamma, status=r["status"], seconds=r.get("seconds"))
                    if r["status"] == "ok":
                        s = score(g, r["membership"])
                        row.update(s, modularity_gamma=modularity(g, r["membership"], gamma))
                        log(f"  {tool:<20} gamma={gamma:<5g} Q(1)={s['modularity']:.4f} NMI="
                            f"{fmt(s['nmi'], '.4f')} k={s['communities']} disc={s['disconnected']}")
                    else:
                        log(f"  {tool:<20} gamma={gamma:<5g} {r['status']} {r.get('error') or ''}")
                    results["resolutions"].append(row)
    finally:
        for w in workers.values():
            w.close()

    # summarise
    for tool, R in recs.items():
        ok = [e for e in R["runs"] if e["status"] == "ok"]
        statuses = sorted({e["status"] for e in R["runs"]} | set(R["status"]))
        row = dict(graph=g.name, n=g.n, m=g.m, tool=tool, threads=R["threads"], version=R["version"],
                   runs=len(R["runs"]), ok_runs=len(ok), status="ok" if statuses == ["ok"] else "/".join(statuses),
                   time_median=med([e["seconds"] for e in ok]), time_min=min([e["seconds"] for e in ok], default=None),
                   wall_median=med([e["wall"] for e in ok]),
                   load=R["load"] if R["load"] is not None else med([e.get("load") for e in ok]),
                   modularity=med([e["modularity"] for e in ok]), nmi=med([e["nmi"] for e in ok]),
                   communities=med_low([e["communities"] for e in ok]),
                   disconnected=med_low([e["disconnected"] for e in ok]),
                   maxrss_mb=(max([e["maxrss_kb"] for e in R["runs"] + R["det_runs"] if e.get("maxrss_kb")],
                                  default=0) / 1024) or None,
                   csr_mb=g.csr_bytes / 2**20)
        # determinism: every ok run with the base seed at T threads, and at 1 thread, must agree
        base = [e for e in R["runs"] + R["det_runs"] if e["status"] == "ok" and e["seed"] == args.seed]
        at_t = [e["canon"] for e in base if e["threads"] == R["threads"]]
        at_1 = [e["canon"] for e in base if e["threads"] == 1]
        det = None
        if args.no_determinism:
            det = None
        elif len(at_t) >= 2 or (R["threads"] != 1 and at_t and at_1):
            import numpy as np
            same_t = all(np.array_equal(at_t[0], x) for x in at_t[1:])
            same_1 = all(np.array_equal(at_t[0], x) for x in at_1) if R["threads"] != 1 else True
            row["same_seed_same_threads"] = same_t
            row["same_across_threads"] = same_1 if R["threads"] != 1 and at_1 else None
            det = "yes" if (same_t and same_1) else ("no" if not same_t else "no (threads)")
        row["deterministic"] = det
        row["run_records"] = [{k: v for k, v in e.items() if k != "canon"} for e in R["runs"] + R["det_runs"]]
        results["rows"].append(row)

    # ratios
    by_tool = {r["tool"]: r for r in results["rows"] if r["graph"] == g.name}
    for a in kalgs:
        k = by_tool.get(kindred.tool_name(a))
        for peer in ("nk-PLM", "nk-ParallelLeiden", "igraph-multilevel", "leidenalg"):
            p = by_tool.get(peer)
            if k and p and k["time_median"] and p["time_median"]:
                results["ratios"].append(dict(graph=g.name, kindred=k["tool"], peer=peer,
                                              time_ratio=k["time_median"] / p["time_median"]))


COLS = [("graph", "graph", "<"), ("tool", "tool", "<"), ("thr", "threads", ">"), ("time s", "time_median", ">"),
        ("load s", "load", ">"), ("modularity", "modularity", ">"), ("NMI", "nmi", ">"), ("comms", "communities", ">"),
        ("disconn", "disconnected", ">"), ("determ", "deterministic", "<"), ("RSS MB", "maxrss_mb", ">"),
        ("status", "status", "<")]


def cell(row, key):
    v = row.get(key)
    if key == "status" and v == "ok" and row.get("ok_runs") == row.get("runs"):
        return "ok"
    if v is None:
        return "-" if key != "deterministic" else "n/a"
    if key in ("time_median", "load"):
        return f"{v:.3f}"
    if key == "modularity":
        return f"{v:.6f}"
    if key == "nmi":
        return f"{v:.4f}"
    if key in ("communities", "disconnected"):
        return f"{v:g}"
    if key == "maxrss_mb":
        return f"{v:.0f}"
    return str(v)


def render(results):
    rows = results["rows"]
    table = [[h for h, _, _ in COLS]] + [[cell(r, k) for _, k, _ in COLS] for r in rows]
    widths = [max(len(t[i]) for t in table) for i in range(len(COLS))]
    txt = []
    for j, t in enumerate(table):
        txt.append("  ".join(c.ljust(w) if COLS[i][2] == "<" else c.rjust(w) for i, (c, w) in enumerate(zip(t, widths))).rstrip())
        if j == 0:
            txt.append("  ".join("-" * w for w in widths))
    md = ["| " + " | ".join(h for h, _, _ in COLS) + " |",
          "|" + "|".join("---" if a == "<" else "---:" for _, _, a in COLS) + "|"]
    md += ["| " + " | ".join(cell(r, k) for _, k, _ in COLS) + " |" for r in rows]
    extra_txt, extra_md = [], []
    gtxt = ["graphs:"]
    gmd = ["| graph | n | m | planted | CSR MB | generated s |", "|---|---:|---:|---:|---:|---:|"]
    for gr in results["graphs"]:
        meta = gr["meta"]
        gtxt.append(f"  {gr['name']:<18} n={gr['n']:>10,}  m={gr['m']:>11,}  planted={fmt(meta.get('communities'), '')}"
                    f"  CSR {gr['csr_mb']:.1f} MB" + (f"  generated in {meta['gen_seconds']} s" if "gen_seconds" in meta else ""))
        gmd.append(f"| {gr['name']} | {gr['n']:,} | {gr['m']:,} | {fmt(meta.get('communities'), '')} | "
                   f"{gr['csr_mb']:.1f} | {fmt(meta.get('gen_seconds'), '')} |")
    txt = gtxt + [""] + txt
    md = gmd + [""] + md
    gw = max([16] + [len(r["graph"]) for r in rows + results["resolutions"]])
    if results["ratios"]:
        extra_txt.append("")
        extra_txt.append("time ratios (median algorithm seconds, Kindred / peer; < 1 means Kindred is faster):")
        extra_md += ["", "Time ratios (median algorithm seconds, Kindred / peer):", "",
                     "| graph | kindred | peer | ratio |", "|---|---|---|---:|"]
        for r in results["ratios"]:
            extra_txt.append(f"  {r['graph']:<{gw}} {r['kindred']:<17} / {r['peer']:<18} {r['time_ratio']:7.2f}x")
            extra_md.append(f"| {r['graph']} | {r['kindred']} | {r['peer']} | {r['time_ratio']:.2f}x |")
    if results["resolutions"]:
        extra_txt += ["", "resolution sweep (Kindred; modularity Q at gamma=1 and at gamma):",
                      f"  {'graph':<{gw}} {'tool':<17} {'gamma':>6} {'Q(1)':>7} {'Q(g)':>7} {'NMI':>7} {'comms':>6} {'disc':>5} {'time s':>7}"]
        extra_md += ["", "Resolution sweep (Kindred):", "",
                     "| graph | tool | gamma | Q(1) | Q(gamma) | NMI | comms | disconn | time s |",
                     "|---|---|---:|---:|---:|---:|---:|---:|---:|"]
        for r in results["resolutions"]:
            if r["status"] != "ok":
                extra_txt.append(f"  {r['graph']:<{gw}} {r['tool']:<17} {r['gamma']:>6g} {r['status']}")
                extra_md.append(f"| {r['graph']} | {r['tool']} | {r['gamma']:g} | {r['status']} | | | | | |")
                continue
            extra_txt.append(f"  {r['graph']:<{gw}} {r['tool']:<17} {r['gamma']:>6g} {r['modularity']:7.4f} "
                             f"{r['modularity_gamma']:7.4f} {fmt(r['nmi'], '7.4f')} {r['communities']:>6} "
                             f"{r['disconnected']:>5} {r['seconds']:7.3f}")
            extra_md.append(f"| {r['graph']} | {r['tool']} | {r['gamma']:g} | {r['modularity']:.4f} | "
                            f"{r['modularity_gamma']:.4f} | {fmt(r['nmi'], '.4f')} | {r['communities']} | "
                            f"{r['disconnected']} | {r['seconds']:.3f} |")
    return "\n".join(txt + extra_txt), "\n".join(md + extra_md)


def main(argv=None):
    ap = argparse.ArgumentParser(
        prog="scripts/bench-peers",
        description="Benchmark `kindred cluster` against NetworKit PLM and ParallelLeiden, igraph multilevel "
                    "and leidenalg on LFR graphs (or given edge lists); every partition is scored by the same code.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="examples:\n  scripts/bench-peers --quick\n  scripts/bench-peers --sizes 100k --mus 0.3,0.5 --repeats 1\n"
               "  scripts/bench-peers --sizes 1m --skip leidenalg@1m\n"
               "  scripts/bench-peers --graphs /work/shared/data/lfr10k_mu0.5.edges.gz --resolutions 1,1.5,2\n"
               "  scripts/bench-peers --generate-only --sizes 1m")
    ap.add_argument("--sizes", default="100k,1m", help="LFR sizes, comma-separated (10k, 100k, 1m, or a number); default 100k,1m")
    ap.add_argument("--mus", default="0.3,0.5", help="LFR mixing parameters; default 0.3,0.5")
    ap.add_argument("--repeats", type=int, default=3, help="timed repeats per tool and graph (default 3)")
    ap.add_argument("--threads", type=int, default=2, help="threads for Kindred, PLM, ParallelLeiden (default 2)")
    ap.add_argument("--quick", action="store_true", help="smoke test: n=10,000 (the given --mus) and 1 repeat")
    ap.add_argument("--graphs", nargs="+", metavar="PATH",
                    help="benchmark these edge lists (`u v [w]`, .gz ok) instead of LFR graphs; planted labels are "
                         "read from a sibling X.labels[.gz] (`node label`) or --labels")
    ap.add_argument("--labels", nargs="+", metavar="PATH", help="label files for --graphs, in the same order")
    ap.add_argument("--peers", default="plm,parallelleiden,igraph,leidenalg",
                    help="peers to run (plm, parallelleiden, igraph, leidenalg); default all; '' for none")
    ap.add_argument("--skip", action="append", default=[], metavar="TOOL[@SIZE]",
                    help="skip a tool, optionally on one size or graph, e.g. leidenalg@1m (repeatable, comma-separated)")
    ap.add_argument("--timeout", type=float, default=900, help="per-run timeout in seconds (default 900)")
    ap.add_argument("--resolutions", default="", help="also run Kindred at these gammas and report NMI, e.g. 1.0,1.5,2.0")
    ap.add_argument("--seed", type=int, default=1, help="first clustering seed (repeat r uses seed+r); default 1")
    ap.add_argument("--gen-seed", type=int, default=GEN_SEED, help=f"LFR generator seed (default {GEN_SEED})")
    ap.add_argument("--gen-threads", type=int, default=2, help="threads for LFR generation (default 2)")
    ap.add_argument("--generate-only", action="store_true", help="generate (or check) the cached graphs and stop")
    ap.add_argument("--no-determinism", action="store_true", help="skip the extra same-seed runs")
    ap.add_argument("--kindred", metavar="BIN", help="kindred binary (scripts/bench-peers builds and passes it)")
    ap.add_argument("--kindred-algorithms", default="", help="override the algorithms read from `kindred cluster --help`")
    ap.add_argument("--cache", default=DEFAULT_CACHE, help="cache directory for graphs and results (default .bench-cache)")
    ap.add_argument("--worker", choices=sorted(PEERS), help=argparse.SUPPRESS)
    ap.add_argument("--worker-edges", help=argparse.SUPPRESS)
    ap.add_argument("--worker-threads", type=int, default=1, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    if args.worker:
        return worker_main(args)

    if args.repeats < 1 or args.threads < 1:
        die("--repeats and --threads must be ≥ 1")
    sizes = [parse_size(s) for s in args.sizes.split(",") if s.strip()]
    try:
        mus = [float(x) for x in args.mus.split(",") if x.strip()]
        args.resolutions = [float(x) for x in args.resolutions.split(",") if x.strip()]
    except ValueError:
        die("--mus and --resolutions take comma-separated numbers")
    if args.quick:
        sizes, args.repeats = [10000], 1
    peers = []
    for p in (x.strip().lower() for x in args.peers.split(",")):
        if not p:
            continue
        if p not in PEER_ALIASES:
            die(f"unknown peer {p!r}; known: plm, parallelleiden, igraph, leidenalg")
        peers.append(PEER_ALIASES[p])
    args.peers = peers
    args.skip = parse_skip(args.skip)
    for tool, _ in args.skip:
        if tool != "kindred" and tool not in PEER_ALIASES:
            die(f"--skip: unknown tool {tool!r}")
    args.skip = [("kindred" if t == "kindred" else PEER_ALIASES[t], w) for t, w in args.skip]
    os.makedirs(args.cache, exist_ok=True)

    specs = []
    if args.graphs:
        labels = args.labels or []
        if labels and len(labels) != len(args.graphs):
            die("--labels needs one file per --graphs path")
        for i, p in enumerate(args.graphs):
            specs.append(import_graph(args.cache, p, labels[i] if labels else None))
    else:
        for n in sizes:
            for mu in mus:
                specs.append(ensure_lfr(args.cache, n, mu, args.gen_seed, args.gen_threads))
    if args.generate_only:
        for name, prefix, meta in specs:
            print(f"{name}: {meta.get('nodes'):,} nodes, {meta.get('edges'):,} edges, "
                  f"{meta.get('communities')} communities; {os.path.relpath(prefix, ROOT)}.edges")
        return 0

    if not args.kindred:
        die("--kindred BIN is required (scripts/bench-peers builds Kindred and passes it)")
    time_bin = "/usr/bin/time" if os.access("/usr/bin/time", os.X_OK) else None
    if not time_bin:
        log("note: /usr/bin/time not found: no peak RSS for Kindred")
    kalgs = [a.strip() for a in args.kindred_algorithms.split(",") if a.strip()]
    kindred = Kindred(os.path.abspath(args.kindred), kalgs, time_bin)
    log(f"kindred: {kindred.binary} ({kindred.version}); algorithms: "
        + (", ".join(kindred.algorithms) if kindred.has_algorithm else "default (no --algorithm flag)"))

    import numpy, scipy
    stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    results = dict(started=stamp, host=dict(cpus=os.cpu_count(), python=sys.version.split()[0]),
                   args={k: v for k, v in vars(args).items() if not k.startswith("worker")},
                   versions=dict(kindred=kindred.version, numpy=numpy.__version__, scipy=scipy.__version__),
                   graphs=[], rows=[], ratios=[], resolutions=[])
    try:
        import networkit, igraph, leidenalg
        results["versions"].update(networkit=networkit.__version__, igraph=igraph.__version__,
                                   leidenalg=leidenalg.version)
    except ImportError as e:
        if args.peers:
            die(f"peers need networkit, igraph and leidenalg: {e}")

    workdir = tempfile.mkdtemp(prefix="run-", dir=args.cache)
    try:
        for name, prefix, meta in specs:
            g = GraphData(name, prefix, meta)
            results["graphs"].append(dict(name=name, n=g.n, m=g.m, csr_mb=g.csr_bytes / 2**20, meta=meta))
            log(f"\n=== {name}: n={g.n:,} m={g.m:,} (CSR {g.csr_bytes / 2**20:.1f} MB)"
                + (f", {meta.get('communities')} planted communities" if g.has_labels else ", no labels") + " ===")
            bench_graph(g, args, kindred, results, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    txt, md = render(results)
    base = os.path.join(args.cache, f"results-{stamp}")
    with open(base + ".json", "w") as f:
        json.dump(results, f, indent=1, default=float)
    header = [f"# Peer benchmark {stamp}", "",
              f"threads {args.threads}, repeats {args.repeats}, seed {args.seed}, timeout {args.timeout:g} s; "
              + ", ".join(f"{k} {v}" for k, v in results["versions"].items()), "",
              "time s = median of the algorithm's own time (graph already loaded); load s = peers' graph read "
              "(once), Kindred's wall minus algorithm time (process start, read, write); modularity at gamma=1, "
              "NMI (arithmetic) against planted labels, disconnected communities and determinism scored by "
              "one implementation for all tools.", "", ""]
    with open(base + ".md", "w") as f:
        f.write("\n".join(header) + md + "\n")
    print()
    print(txt)
    print()
    print(f"results: {os.path.relpath(base, os.getcwd())}.json, .md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
