"""Driver of scripts/eval-stability: how stable Kindred's clustering of people is (cluster seeds, small
perturbations of the people), with the scikit-learn peer of scripts/eval-people beside it in the same run.

People. The same generator as scripts/eval-people (`make_people` in eval_people.py, same seeding: --seed,
--split and the dataset give the very same people as `scripts/eval-people --seed S`), one table per split and
dataset; by default the onet-variants dataset of the dev split, 3000 people.

Methods.
  - kindred: the installed binary (a copy in a temporary prefix), run in a temporary folder outside the
    repository as a fresh user (empty HOME, no KINDRED_* variables), with the standalone stages
    `clean --demo-key` → `graph` → `cluster --seed S`, plus the --kindred-{clean,graph,cluster}-args.
    Pseudonyms are mapped back to raw ids with HMAC-SHA256 and the public demo key (eval_people.py).
  - peer: eval_people.py's `run_peer` (TF-IDF, cosine 15-NN, networkx Louvain with the given seed).
People quarantined by clean or missing from clusters.csv are "unclustered": a singleton cluster each,
in every score below (as in eval-people).

Measures, for each method:
  1. Seed stability. The same people clustered with each of --cluster-seeds (default 1,2,3); for Kindred
     only the cluster seed changes (clean and graph run once), for the peer only the Louvain seed. ARI and
     NMI (arithmetic) over all people for every pair of seeds; the worst pair (lowest ARI) and the medians.
  2. Perturbation stability. For each level p of --perturb (default 0.01,0.05,0.2), round(p·N) people (at
     least 1) chosen by a seeded shuffle (the sets are nested: the people perturbed at 1% are perturbed at
     5% too, and each person is perturbed the same way at every level) get:
       - all their dates shifted by --shift-months (6) months, the sign drawn per person;
       - one more job switch: with probability 0.5 (when the current position has a start at least two
         months before the reference month 2025-12) the current position is split in two at a random month,
         the earlier half (same company) titled as the same occupation (0.5) or an O*NET related occupation
         of it (0.5), the later half keeping the current title; otherwise an extra position is inserted
         before the earliest one (tenure 6-96 months, gap 0-6, same/related occupation, another company).
         New titles are drawn like the generator's (alternate titles, reported titles for onet-reported)
         with the generator's dirt; the truth (current occupation) does not change;
       - one skill dropped (at random), if they list at least two.
     The whole pipeline runs again on the perturbed file (Kindred: clean, graph, cluster with the first
     cluster seed; peer: Louvain with the first cluster seed) and is compared with the unperturbed run of
     that seed over the untouched people only: ARI, NMI, and the moved share = share of untouched people
     whose cluster moved (each new cluster is mapped to the old cluster with which it shares most untouched
     people; a person moved when the mapped cluster is not their old one). The moved share should not
     decrease as p grows: the monotonicity is printed per method.
  3. Quality: each run's clusters and unclustered people, NMI/ARI against the truth (scikit-learn) for
     every run (the first seed's run is the one to quote), so that a stability gain that costs quality shows.
With several splits/datasets a table of medians follows. Targets (Kindred): worst-pair seed ARI ≥ 0.97 and
untouched ARI at p = 0.01 ≥ 0.97 (judged per dataset, and on the medians when there are several).
"""
import argparse
import collections
import copy
import itertools
import json
import os
import random
import shlex
import shutil
import statistics
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # nothing written into the repository
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import eval_people as ep  # noqa: E402  (the generator, the peer, and the kindred helpers)

ROOT = ep.ROOT
METHODS = ["kindred", "peer"]
TARGETS = dict(worst_seed_ari=0.97, untouched_ari_1pct=0.97)
TARGET_LEVEL = 0.01
REF = ep.REFERENCE_MONTH[0] * 12 + ep.REFERENCE_MONTH[1] - 1


def log(*a):
    print(*a, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------------------------------
# Perturbation.

def month_ordinal(text):
    if not text:
        return None
    year, month = text.split("-")[:2]
    return int(year) * 12 + int(month) - 1


def perturb_person(record, occupation, onet, dataset, rng, shift, counts):
    """A perturbed copy of one generated person (see the module docstring). `rng` is the person's own."""
    r = copy.deepcopy(record)
    positions = r["positions"]

    def title_of(code):  # as make_people's title_for, then the generator's dirt
        if dataset == "onet-reported" and onet.reported.get(code):
            title = rng.choice(onet.reported[code])
        elif rng.random() < 0.1 or not onet.alternates.get(code):
            title = onet.title[code]
        else:
            title = rng.choice(onet.alternates[code])
        return ep.dirty(rng, title, True, counts)

    def same_or_related():
        if rng.random() < 0.5 and onet.related.get(occupation):
            counts["switch_related"] += 1
            return rng.choice(onet.related[occupation])
        counts["switch_same"] += 1
        return occupation

    # 1. Every date shifted by ±shift months.
    delta = shift * rng.choice([-1, 1])
    counts["shift_plus" if delta > 0 else "shift_minus"] += 1
    for p in positions:
        for field in ("start", "end"):
            m = month_ordinal(p.get(field))
            if m is not None:
                p[field] = ep.month_text(m + delta)
    # 2. One more job switch.
    current = positions[-1]
    cur_start = month_ordinal(current.get("start"))
    if rng.random() < 0.5 and cur_start is not None and REF - cur_start >= 2:
        at = rng.randint(cur_start + 1, REF - 1)
        earlier = {"title": title_of(same_or_related()), "company": current.get("company"),
                   "start": current.get("start"), "end": ep.month_text(at)}
        current["start"] = ep.month_text(at)
        positions.insert(len(positions) - 1, earlier)
        counts["switch_split_current"] += 1
    else:
        known = [m for p in positions for m in (month_ordinal(p.get("start")), month_ordinal(p.get("end")))
                 if m is not None]
        first = min(known) if known else REF - 12
        end = first - rng.randint(0, 6)
        start = end - rng.randint(6, 96)
        positions.insert(0, {"title": title_of(same_or_related()),
                             "company": rng.choice(ep.COMPANY_WORDS) + " " + rng.choice(ep.COMPANY_KINDS),
                             "start": ep.month_text(start), "end": ep.month_text(end)})
        counts["switch_insert_earlier"] += 1
    # 3. One skill dropped.
    if len(r["skills"]) >= 2:
        del r["skills"][rng.randrange(len(r["skills"]))]
        counts["skill_dropped"] += 1
    else:
        counts["skill_kept_fewer_than_2"] += 1
    return r


def perturb_people(records, truth, onet, dataset, chosen_ids, seed_text, shift):
    """The records with the people of `chosen_ids` perturbed; each person's perturbation depends only on
    the seed and their id (so it is the same at every level)."""
    counts = collections.Counter()
    out = []
    for r, occupation in zip(records, truth):
        if r["id"] in chosen_ids:
            rng = random.Random(f"{seed_text}:person:{r['id']}")
            out.append(perturb_person(r, occupation, onet, dataset, rng, shift, counts))
        else:
            out.append(r)
    return out, dict(sorted(counts.items()))


# --------------------------------------------------------------------------------------------------
# Partition comparison (unclustered people: a singleton each).

def labels(partition, ids):
    return [("c:" + str(partition[i])) if i in partition else ("u:" + i) for i in ids]


def agreement(a, b, ids):
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score
    la, lb = labels(a, ids), labels(b, ids)
    return dict(ari=float(adjusted_rand_score(la, lb)),
                nmi=float(normalized_mutual_info_score(la, lb, average_method="arithmetic")))


def moved_count(old, new, ids):
    """Untouched people whose cluster moved: each new cluster is mapped to the old cluster with which it
    shares most of `ids`; everyone else in it moved (ties do not change the count)."""
    lo, ln = labels(old, ids), labels(new, ids)
    overlap = collections.Counter(zip(ln, lo))
    best = collections.defaultdict(int)
    for (n, _), k in overlap.items():
        best[n] = max(best[n], k)
    return len(ids) - sum(best.values())


# --------------------------------------------------------------------------------------------------
# Runs.

class Kindred:
    def __init__(self, binary, args):
        self.binary, self.args = binary, args

    def clean_graph(self, people, folder, lines):
        os.makedirs(folder, exist_ok=True)
        clean, graph = os.path.join(folder, "clean.jsonl"), os.path.join(folder, "g.kgraph")
        k, a = self.binary, self.args
        summaries, seconds = {}, {}
        for name, cmd in [
            ("clean", [k, "clean", people, "--output", clean, "--quarantine", os.path.join(folder, "quarantine.jsonl"),
                       "--demo-key", "--json"] + shlex.split(a.kindred_clean_args)),
            ("graph", [k, "graph", clean, "--output", graph, "--json"] + shlex.split(a.kindred_graph_args)),
        ]:
            seconds[name], summaries[name] = ep.run_cmd(cmd, folder, lines)
        return clean, graph, summaries, seconds

    def cluster(self, graph, folder, seed, lines, back):
        clusters = os.path.join(folder, f"clusters-seed{seed}.csv")
        cmd = ([self.binary, "cluster", graph, "--output", clusters, "--json"]
               + shlex.split(self.args.kindred_cluster_args) + ["--seed", str(seed)])
        seconds, summary = ep.run_cmd(cmd, folder, lines)
        pseudo = ep.read_partition(clusters)
        partition = {back[n]: c for n, c in pseudo.items() if n in back}
        if len(partition) != len(pseudo):
            log(f"  warning: {len(pseudo) - len(partition)} of {len(pseudo)} nodes in {clusters} are not "
                f"HMAC-SHA256(demo key, raw id) of a generated person")
        return partition, seconds, summary


def check_clean_ids(clean, back):
    n = unknown = 0
    with open(clean, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                n += 1
                unknown += json.loads(line).get("id") not in back
    if unknown:
        log(f"  warning: {unknown} of {n} ids in {clean} are not HMAC-SHA256(demo key, raw id)")
    return dict(clean_written=n, clean_ids_not_recomputed=unknown)


def quality(partition, ids, truth, onet, seconds):
    s = ep.score(partition, ids, truth, onet, seconds)
    return {k: s[k] for k in ("nmi", "ari", "eyeball", "clusters", "unclustered", "seconds")}


def seed_pairs(partitions, seeds, ids):
    pairs = []
    for s, t in itertools.combinations(seeds, 2):
        pairs.append(dict(seeds=[s, t], **agreement(partitions[s], partitions[t], ids)))
    out = dict(pairs=pairs)
    if pairs:
        worst = min(pairs, key=lambda p: (p["ari"], p["nmi"]))
        out.update(worst=worst, median_ari=statistics.median(p["ari"] for p in pairs),
                   median_nmi=statistics.median(p["nmi"] for p in pairs))
    return out


def perturbation_scores(base, new, untouched):
    a = agreement(base, new, untouched)
    moved = moved_count(base, new, untouched)
    return dict(untouched=len(untouched), untouched_ari=a["ari"], untouched_nmi=a["nmi"], moved=moved,
                moved_share=moved / len(untouched) if untouched else 0.0)


def monotone(levels):
    """levels: [(p, moved_share)] sorted by p; returns (ok, the first decrease or None)."""
    for (p0, m0), (p1, m1) in zip(levels, levels[1:]):
        if m1 < m0:
            return False, (p0, m0, p1, m1)
    return True, None


def run_dataset(kindred, onet, split, dataset, args, work, cluster_seeds, levels, use_peer):
    eligible = onet.eligible(split, dataset)
    want = ep.OCCUPATIONS_PER_DATASET[dataset]
    rng = random.Random(f"eval-people:{args.seed}:{split}:{dataset}")  # as eval-people: the same people
    chosen = sorted(rng.sample(eligible, min(want, len(eligible))))
    if len(chosen) < want:
        log(f"note: {split}/{dataset}: only {len(chosen)} eligible occupations (wanted {want})")
    records, truth, gen_stats = ep.make_people(onet, dataset, chosen, args.people, rng)
    ids = [r["id"] for r in records]
    back = {ep.pseudonym(i): i for i in ids}
    folder = os.path.join(work, split, dataset)
    os.makedirs(folder)
    people, truth_path = ep.write_people(folder, records, truth)
    log(f"{split}/{dataset}: {len(records)} people over {len(chosen)} occupations ({len(eligible)} eligible)")
    main_seed = cluster_seeds[0]
    seed_text = f"eval-stability:{args.seed}:{split}:{dataset}"
    order = list(ids)
    random.Random(seed_text + ":order").shuffle(order)

    res = dict(occupations=chosen, eligible=len(eligible), people=len(records), generation=gen_stats,
               cluster_seeds=cluster_seeds, perturbation_cluster_seed=main_seed, methods={})
    # Unperturbed: every cluster seed.
    base = {}
    if use_peer:
        peer = dict(status="ok", runs={}, perturbations=[])
        for s in cluster_seeds:
            partition, seconds, extra = ep.run_peer(records, s)
            base[("peer", s)] = partition
            peer["runs"][str(s)] = dict(quality(partition, ids, truth, onet, seconds), **extra)
            log(f"  peer seed {s}: {peer['runs'][str(s)]['clusters']} clusters, NMI {peer['runs'][str(s)]['nmi']:.3f}, "
                f"{seconds:.1f} s")
        peer["seed_stability"] = seed_pairs({s: base[("peer", s)] for s in cluster_seeds}, cluster_seeds, ids)
        res["methods"]["peer"] = peer
    kin = dict(status="ok", runs={}, perturbations=[], log=[])
    res["methods"]["kindred"] = kin
    try:
        kf = os.path.join(folder, "kindred")
        clean, graph, summaries, secs = kindred.clean_graph(people, kf, kin["log"])
        kin["ids"] = check_clean_ids(clean, back)
        kin["clean_graph"] = dict(summaries=summaries, wall_seconds={k: round(v, 3) for k, v in secs.items()})
        log(f"  kindred clean {secs['clean']:.1f} s, graph {secs['graph']:.1f} s")
        for s in cluster_seeds:
            partition, seconds, summary = kindred.cluster(graph, kf, s, kin["log"], back)
            base[("kindred", s)] = partition
            kin["runs"][str(s)] = dict(quality(partition, ids, truth, onet, secs["clean"] + secs["graph"] + seconds),
                                       cluster_seconds=round(seconds, 3), cluster_summary=summary)
            log(f"  kindred seed {s}: {kin['runs'][str(s)]['clusters']} clusters, NMI {kin['runs'][str(s)]['nmi']:.3f}, "
                f"cluster {seconds:.1f} s")
        kin["seed_stability"] = seed_pairs({s: base[("kindred", s)] for s in cluster_seeds}, cluster_seeds, ids)
    except ep.KindredFailure as e:
        kin.update(status="failed", error=str(e))
        log(f"  kindred: FAILED: {e}")

    # Perturbed: one full run per level and method.
    for p in levels:
        k = max(1, round(p * len(ids)))
        touched = set(order[:k])
        untouched = [i for i in ids if i not in touched]
        precords, pstats = perturb_people(records, truth, onet, dataset, touched, seed_text, args.shift_months)
        pfolder = os.path.join(folder, f"perturbed-{p:g}")
        os.makedirs(pfolder)
        ppeople, _ = ep.write_people(pfolder, precords, truth)
        common = dict(p=p, perturbed=k, perturbation=pstats)
        if use_peer:
            partition, seconds, extra = ep.run_peer(precords, main_seed)
            row = dict(common, **perturbation_scores(base[("peer", main_seed)], partition, untouched),
                       quality=dict(quality(partition, ids, truth, onet, seconds), **extra))
            res["methods"]["peer"]["perturbations"].append(row)
            log(f"  peer p={p:g}: untouched ARI {row['untouched_ari']:.3f}, moved {row['moved_share']:.3f}")
        if kin["status"] == "ok":
            try:
                kf = os.path.join(pfolder, "kindred")
                _, graph, summaries, secs = kindred.clean_graph(ppeople, kf, kin["log"])
                partition, seconds, summary = kindred.cluster(graph, kf, main_seed, kin["log"], back)
                total = secs["clean"] + secs["graph"] + seconds
                row = dict(common, **perturbation_scores(base[("kindred", main_seed)], partition, untouched),
                           quality=quality(partition, ids, truth, onet, total),
                           clean_quarantined=summaries.get("clean", {}).get("quarantined"))
                kin["perturbations"].append(row)
                log(f"  kindred p={p:g}: untouched ARI {row['untouched_ari']:.3f}, moved {row['moved_share']:.3f}, "
                    f"{total:.1f} s")
            except ep.KindredFailure as e:
                kin.update(status="failed", error=str(e))
                log(f"  kindred: FAILED: {e}")
    for m, r in res["methods"].items():
        if r["status"] == "ok" and r["perturbations"]:
            ok, drop = monotone([(x["p"], x["moved_share"]) for x in r["perturbations"]])
            r["moved_monotone"] = dict(ok=ok, first_decrease=drop)
    return res


# --------------------------------------------------------------------------------------------------
# Report.

fmt = ep.fmt
WORD = {True: "PASS", False: "MISS"}


def pct(v):
    return f"{100 * v:.1f}%"


def tables(split, dataset, res, seeds, levels):
    methods = [m for m in METHODS if m in res["methods"]]
    lines = [f"### {dataset} ({split} split: {len(res['occupations'])} occupations, {res['people']} people)", ""]
    for m in methods:
        r = res["methods"][m]
        if r["status"] != "ok":
            lines += [f"{m}: FAILED: {' '.join(r.get('error', '').split())[:300]}", ""]
    # Quality.
    lines += ["Quality against the truth (unperturbed people):", "",
              "| method | cluster seed | NMI | ARI | eyeball | clusters | unclustered | seconds |",
              "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for m in methods:
        for s in seeds:
            q = res["methods"][m]["runs"].get(str(s))
            if q:
                lines.append(f"| {m} | {s}{' (quoted)' if s == seeds[0] else ''} | {fmt(q['nmi'])} | {fmt(q['ari'])} | "
                             f"{fmt(q['eyeball'])} | {q['clusters']} | {q['unclustered']} | {fmt(q['seconds'], 2)} |")
    # Seed stability.
    if len(seeds) > 1:
        lines += ["", f"Seed stability (all {res['people']} people; only the cluster seed changes):", "",
                  "| seed pair | " + " | ".join(f"{m} ARI | {m} NMI" for m in methods) + " |",
                  "|---|" + "---:|---:|" * len(methods)]
        stab = {m: res["methods"][m].get("seed_stability") for m in methods}
        for i, (s, t) in enumerate(itertools.combinations(seeds, 2)):
            cells = []
            for m in methods:
                p = stab[m]["pairs"][i] if stab[m] else None
                cells += [fmt(p["ari"]) if p else "–", fmt(p["nmi"]) if p else "–"]
            lines.append(f"| {s}–{t} | " + " | ".join(cells) + " |")
        cells = []
        for m in methods:
            w = stab[m]["worst"] if stab[m] else None
            cells += [f"**{fmt(w['ari'])}** ({w['seeds'][0]}–{w['seeds'][1]})" if w else "–", fmt(w["nmi"]) if w else "–"]
        lines.append("| worst (by ARI) | " + " | ".join(cells) + " |")
        cells = []
        for m in methods:
            cells += [fmt(stab[m]["median_ari"]) if stab[m] else "–", fmt(stab[m]["median_nmi"]) if stab[m] else "–"]
        lines.append("| median | " + " | ".join(cells) + " |")
    # Perturbation stability.
    lines += ["", f"Perturbation stability (cluster seed {seeds[0]}; compared with the unperturbed run over the "
              "untouched people):", "",
              "| method | p | perturbed | untouched ARI | untouched NMI | moved | clusters | NMI vs truth | "
              "ARI vs truth | unclustered | seconds |",
              "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for m in methods:
        r = res["methods"][m]
        q0 = r["runs"].get(str(seeds[0]))
        if q0:
            lines.append(f"| {m} | 0 | 0 | 1.000 | 1.000 | 0 (0.0%) | {q0['clusters']} | {fmt(q0['nmi'])} | "
                         f"{fmt(q0['ari'])} | {q0['unclustered']} | {fmt(q0['seconds'], 2)} |")
        for x in r["perturbations"]:
            q = x["quality"]
            lines.append(f"| {m} | {x['p']:g} | {x['perturbed']} | {fmt(x['untouched_ari'])} | {fmt(x['untouched_nmi'])} | "
                         f"{x['moved']} ({pct(x['moved_share'])}) | {q['clusters']} | {fmt(q['nmi'])} | {fmt(q['ari'])} | "
                         f"{q['unclustered']} | {fmt(q['seconds'], 2)} |")
    lines.append("")
    for m in methods:
        r = res["methods"][m]
        if r.get("moved_monotone"):
            seq = " → ".join(f"{pct(x['moved_share'])} (p={x['p']:g})" for x in r["perturbations"])
            mono = r["moved_monotone"]
            verdict = "monotone (never decreases as p grows)" if mono["ok"] else (
                f"NOT monotone: {pct(mono['first_decrease'][3])} at p={mono['first_decrease'][2]:g} < "
                f"{pct(mono['first_decrease'][1])} at p={mono['first_decrease'][0]:g}")
            lines.append(f"moved share, {m}: {seq}: {verdict}")
    return "\n".join(lines)


def target_lines(worst, at_1pct, label):
    out, lines = {}, []
    if worst is None:
        lines.append(f"target{label}: kindred worst-pair seed ARI: MISS (not measured: needs 2+ cluster seeds and a "
                     "successful kindred run)")
        out["worst_seed_ari"] = dict(value=None, target=TARGETS["worst_seed_ari"], passed=False)
    else:
        ok = worst >= TARGETS["worst_seed_ari"]
        lines.append(f"target{label}: kindred worst-pair seed ARI {worst:.3f} (≥ {TARGETS['worst_seed_ari']:.2f}) {WORD[ok]}")
        out["worst_seed_ari"] = dict(value=worst, target=TARGETS["worst_seed_ari"], passed=ok)
    if at_1pct is None:
        lines.append(f"target{label}: kindred untouched ARI at p=0.01: MISS (not measured: 0.01 not in --perturb or "
                     "kindred failed)")
        out["untouched_ari_1pct"] = dict(value=None, target=TARGETS["untouched_ari_1pct"], passed=False)
    else:
        ok = at_1pct >= TARGETS["untouched_ari_1pct"]
        lines.append(f"target{label}: kindred untouched ARI at p=0.01 {at_1pct:.3f} "
                     f"(≥ {TARGETS['untouched_ari_1pct']:.2f}) {WORD[ok]}")
        out["untouched_ari_1pct"] = dict(value=at_1pct, target=TARGETS["untouched_ari_1pct"], passed=ok)
    out["passed"] = all(v["passed"] for v in out.values())
    return out, lines


def figures(res):
    """The key figures of one dataset, per method (for the targets and the medians)."""
    out = {}
    for m, r in res["methods"].items():
        if r["status"] != "ok":
            continue
        f = {}
        q = r["runs"].get(str(res["cluster_seeds"][0]))
        if q:
            f.update(nmi=q["nmi"], ari=q["ari"], clusters=q["clusters"])
        st = r.get("seed_stability", {})
        if st.get("worst"):
            f.update(worst_seed_ari=st["worst"]["ari"], median_seed_ari=st["median_ari"],
                     median_seed_nmi=st["median_nmi"])
        for x in r["perturbations"]:
            f[f"untouched_ari@{x['p']:g}"] = x["untouched_ari"]
            f[f"untouched_nmi@{x['p']:g}"] = x["untouched_nmi"]
            f[f"moved@{x['p']:g}"] = x["moved_share"]
        out[m] = f
    return out


def at_level(f, name, p):
    return f.get(f"{name}@{p:g}")


def median_table(keys, figs, levels):
    methods = [m for m in METHODS if any(m in f for f in figs)]
    cols = (["NMI", "ARI", "clusters", "worst seed ARI", "median seed ARI"]
            + [f"untouched ARI @{p:g}" for p in levels] + [f"moved @{p:g}" for p in levels])
    names = (["nmi", "ari", "clusters", "worst_seed_ari", "median_seed_ari"]
             + [f"untouched_ari@{p:g}" for p in levels] + [f"moved@{p:g}" for p in levels])
    lines = [f"### Medians over {len(keys)} split/datasets ({', '.join(keys)})", "",
             "| method | " + " | ".join(cols) + " |", "|---|" + "---:|" * len(cols)]
    medians = {}
    for m in methods:
        med = {}
        for n in names:
            vals = [f[m][n] for f in figs if m in f and n in f[m]]
            if len(vals) == len(figs):
                med[n] = statistics.median(vals)
        medians[m] = med
        cells = []
        for n in names:
            v = med.get(n)
            cells.append("–" if v is None else pct(v) if n.startswith("moved") else f"{v:g}" if n == "clusters" else fmt(v))
        lines.append(f"| {m} | " + " | ".join(cells) + " |")
    return "\n".join(lines), medians


# --------------------------------------------------------------------------------------------------

def parse_list(text, kind, what, ap):
    try:
        return [kind(x) for x in text.split(",") if x.strip()]
    except ValueError:
        ap.error(f"{what} takes numbers separated by commas")


def main():
    ap = argparse.ArgumentParser(prog="scripts/eval-stability", description=" ".join(__doc__.split("\n")[:2]),
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog="\n".join(__doc__.split("\n")[2:]))
    ap.add_argument("--data", default=os.path.join(os.path.dirname(ROOT), "shared", "data"),
                    help="folder with the onet_*.tsv.gz files (default ../shared/data)")
    ap.add_argument("--seed", type=int, default=1, help="seed of the people (as eval-people's --seed) and of the choice "
                    "and perturbation of the perturbed people (default 1)")
    ap.add_argument("--people", type=int, default=3000, help="people per dataset (default 3000)")
    ap.add_argument("--split", choices=["dev", "test", "all"], default="dev", help="dev, test or all (default dev)")
    ap.add_argument("--datasets", default="onet-variants",
                    help=f"comma-separated, of {', '.join(ep.DATASETS)} (default onet-variants)")
    ap.add_argument("--cluster-seeds", default="1,2,3", help="cluster seeds for the seed stability; the first one is also "
                    "the seed of the perturbation runs and the quoted quality (default 1,2,3)")
    ap.add_argument("--perturb", default="0.01,0.05,0.2", help="shares of people perturbed (default 0.01,0.05,0.2)")
    ap.add_argument("--shift-months", type=int, default=6, help="date shift of a perturbed person, months (default 6)")
    ap.add_argument("--kindred", required=True, help="kindred binary (scripts/eval-stability builds and passes it); "
                    "a copy is installed in a temporary prefix and run from a temporary folder")
    ap.add_argument("--kindred-clean-args", default="", help="extra flags for `kindred clean`; a single flag as "
                    "--kindred-clean-args=--no-learn")
    ap.add_argument("--kindred-graph-args", default="", help="extra flags for `kindred graph`")
    ap.add_argument("--kindred-cluster-args", default="", help="extra flags for `kindred cluster` (not --seed: see "
                    "--cluster-seeds)")
    ap.add_argument("--no-peer", action="store_true", help="leave the scikit-learn peer out")
    ap.add_argument("--output", default=None, help="write all results as JSON here")
    ap.add_argument("--keep", default=None, help="keep the generated people and kindred's outputs in this folder")
    args = ap.parse_args()
    datasets = [d.strip() for d in args.datasets.split(",") if d.strip()]
    for d in datasets:
        if d not in ep.DATASETS:
            ap.error(f"unknown dataset {d!r} (choose from {', '.join(ep.DATASETS)})")
    if args.people < 20:
        ap.error("--people must be at least 20")
    if not os.path.isfile(args.kindred) or not os.access(args.kindred, os.X_OK):
        ap.error(f"--kindred {args.kindred}: not an executable file")
    seeds = parse_list(args.cluster_seeds, int, "--cluster-seeds", ap)
    if not seeds or len(set(seeds)) != len(seeds):
        ap.error("--cluster-seeds needs at least one seed, no repeats")
    levels = sorted(set(parse_list(args.perturb, float, "--perturb", ap)))
    if any(not 0 < p < 1 for p in levels):
        ap.error("--perturb levels must be between 0 and 1 (exclusive)")
    if any(a == "--seed" or a.startswith("--seed=") for a in shlex.split(args.kindred_cluster_args)):
        ap.error("--kindred-cluster-args must not set --seed (use --cluster-seeds)")
    data = os.path.abspath(args.data)
    splits = ["dev", "test"] if args.split == "all" else [args.split]

    started = time.perf_counter()
    onet = ep.ONet(data)
    log(f"O*NET: {len(onet.codes)} occupations")
    work = tempfile.mkdtemp(prefix="eval-stability-")
    if os.path.realpath(work).startswith(os.path.realpath(ROOT) + os.sep):
        sys.exit(f"eval-stability: the temporary folder {work} is inside the repository; set TMPDIR elsewhere")
    out = dict(args=vars(args), data=data, kindred_source=os.path.abspath(args.kindred), cluster_seeds=seeds,
               perturb_levels=levels, targets=TARGETS, splits={})
    markdown, keys, figs = [], [], []
    try:
        binary = ep.install_kindred(os.path.abspath(args.kindred), os.path.join(work, "kindred-install"))
        ep.KINDRED_ENV = fresh_env = ep.fresh_user_env(os.path.join(work, "home"))
        out["kindred_installed"] = binary
        out["kindred_environment"] = "HOME=" + fresh_env["HOME"] + " (empty), no KINDRED_* variables, no XDG_DATA_HOME"
        import subprocess
        version = subprocess.run([binary, "--version"], capture_output=True, text=True, cwd=work, env=fresh_env)
        out["kindred_version"] = (version.stdout or version.stderr).strip()[:200]
        kindred = Kindred(binary, args)
        for split in splits:
            out["splits"][split] = {}
            for dataset in datasets:
                res = run_dataset(kindred, onet, split, dataset, args, work, seeds, levels, not args.no_peer)
                f = figures(res)
                kf = f.get("kindred", {})
                target, tlines = target_lines(kf.get("worst_seed_ari"), at_level(kf, "untouched_ari", TARGET_LEVEL), "")
                res["targets"] = target
                md = tables(split, dataset, res, seeds, levels) + "\n\n" + "\n".join(tlines)
                markdown.append(md)
                print("\n" + md + "\n", flush=True)
                out["splits"][split][dataset] = res
                keys.append(f"{split}/{dataset}")
                figs.append(f)
        if len(figs) > 1:
            md, medians = median_table(keys, figs, levels)
            km = medians.get("kindred", {})
            target, tlines = target_lines(km.get("worst_seed_ari"), at_level(km, "untouched_ari", TARGET_LEVEL),
                                          " (medians)")
            out["medians"] = dict(figures=medians, targets=target)
            md += "\n\n" + "\n".join(tlines)
            markdown.append(md)
            print("\n" + md + "\n", flush=True)
        out["seconds_total"] = round(time.perf_counter() - started, 2)
        out["markdown"] = "\n\n".join(markdown)
        print(f"total {out['seconds_total']:.1f} s")
        if args.keep:
            keep = os.path.abspath(args.keep)
            os.makedirs(keep, exist_ok=True)
            for split in splits:
                shutil.copytree(os.path.join(work, split), os.path.join(keep, split), dirs_exist_ok=True)
            print(f"kept the people and kindred's outputs in {keep}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if args.output:
        with open(args.output, "w") as f:
            json.dump(out, f, indent=2)
        print(f"results → {args.output}")
    failed = [f"{s}/{d}" for s, ds in out["splits"].items() for d, r in ds.items()
              if r["methods"].get("kindred", {}).get("status") == "failed"]
    if failed:
        sys.exit(f"eval-stability: kindred failed in {', '.join(failed)} (see the tables)")


if __name__ == "__main__":
    main()
