"""Driver of scripts/eval-clean: noisy O*NET alternate titles → occupation, Kindred against two baselines.

Dictionary: every O*NET occupation title plus half of each occupation's alternate titles (chosen by the
seed). Test titles: alternate titles drawn from all of them — those in the dictionary (a noisy copy of a
known variant) and the held-out half (a variant never seen) — each made noisy in one of four ways (typo:
1–2 character edits; case and punctuation; abbreviation of common words; all three). A method is right
when it lands on the title's own O*NET-SOC code. Every method sees the same dictionary and the same noisy
titles; accuracy is reported over all of them and for the two sources apart.
"""
import argparse
import gzip
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
KINDS = ["typo", "case_punct", "abbreviation", "mixed"]
# Word → abbreviation, as people write them (the reverse of what a cleaner must expand).
ABBREVIATIONS = {
    "senior": "sr", "junior": "jr", "manager": "mgr", "engineer": "eng", "engineering": "eng",
    "assistant": "asst", "associate": "assoc", "administrator": "admin", "administrative": "admin",
    "director": "dir", "technician": "tech", "technology": "tech", "specialist": "spec",
    "supervisor": "supv", "coordinator": "coord", "representative": "rep", "department": "dept",
    "registered nurse": "rn", "licensed practical nurse": "lpn", "vice president": "vp",
    "information technology": "it", "human resources": "hr", "executive": "exec", "operations": "ops",
    "development": "dev", "developer": "dev", "software": "sw", "analyst": "anlst", "accountant": "acct",
    "and": "&", "general": "gen", "international": "intl", "mechanical": "mech", "maintenance": "maint",
}


def read_tsv(path):
    with gzip.open(path, "rt", encoding="utf-8") as f:
        header = f.readline().rstrip("\n").split("\t")
        return header, [line.rstrip("\n").split("\t") for line in f]


def typo(rng, text):
    letters = [i for i, c in enumerate(text) if c.isalpha()]
    chars = list(text)
    for _ in range(rng.choice([1, 2])):
        if not letters:
            break
        i = rng.choice(letters)
        op = rng.choice(["delete", "insert", "substitute", "transpose"])
        if op == "delete" and len(chars) > 3:
            del chars[i]
        elif op == "insert":
            chars.insert(i, rng.choice("abcdefghijklmnopqrstuvwxyz"))
        elif op == "transpose" and i + 1 < len(chars) and chars[i + 1].isalpha():
            chars[i], chars[i + 1] = chars[i + 1], chars[i]
        else:
            chars[i] = rng.choice("abcdefghijklmnopqrstuvwxyz")
        letters = [j for j, c in enumerate(chars) if c.isalpha()]
    return "".join(chars)


def case_punct(rng, text):
    style = rng.choice(["upper", "lower", "title", "swap"])
    text = {"upper": text.upper(), "lower": text.lower(), "title": text.title(),
            "swap": text.swapcase()}[style]
    words = text.split(" ")
    out = []
    for w in words:
        r = rng.random()
        out.append(w + "," if r < 0.15 else w + "." if r < 0.3 else w)
    sep = rng.choice([" ", "  ", " - ", "/"]) if len(out) > 1 else " "
    joined = sep.join(out) if rng.random() < 0.3 else " ".join(out)
    return rng.choice(["", " ", "*"]) + joined + rng.choice(["", " ", ".", " !"])


def abbreviate(rng, text):
    lowered = text.lower()
    hits = [(w, a) for w, a in ABBREVIATIONS.items() if re.search(r"\b" + re.escape(w) + r"\b", lowered)]
    if not hits:
        # Nothing to abbreviate: drop vowels from the longest word, as people do ("mngr").
        words = text.split()
        i = max(range(len(words)), key=lambda k: len(words[k]))
        w = words[i]
        words[i] = w[0] + re.sub(r"[aeiouAEIOU]", "", w[1:]) if len(w) > 4 else w
        return " ".join(words)
    for w, a in hits:
        if rng.random() < 0.8:
            lowered = re.sub(r"\b" + re.escape(w) + r"\b", a + ("." if rng.random() < 0.3 else ""), lowered)
    return lowered


def make_noisy(rng, kind, text):
    if kind == "typo":
        return typo(rng, text)
    if kind == "case_punct":
        return case_punct(rng, text)
    if kind == "abbreviation":
        return abbreviate(rng, text)
    return case_punct(rng, typo(rng, abbreviate(rng, text)))


def fingerprint_2gram(text):
    """OpenRefine's n-gram fingerprint: lowercase, letters and digits only, unique sorted 2-grams."""
    s = re.sub(r"[^0-9a-z]", "", text.lower())
    return "".join(sorted({s[i:i + 2] for i in range(len(s) - 1)}))


def main():
    ap = argparse.ArgumentParser(prog="scripts/eval-clean", description=__doc__.split("\n")[0])
    ap.add_argument("--data", default=os.path.join(os.path.dirname(ROOT), "shared", "data"),
                    help="folder with onet_occupations.tsv.gz and onet_alternate_titles.tsv.gz (default ../shared/data)")
    ap.add_argument("--per-kind", type=int, default=500, help="noisy titles per noise kind (default 500)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--threads", type=int, default=2, help="threads for Kindred (default 2)")
    ap.add_argument("--kindred", required=True, help="kindred binary (scripts/eval-clean builds and passes it)")
    ap.add_argument("--output", default=None, help="also write the results as JSON here")
    args = ap.parse_args()

    rng = random.Random(args.seed)
    occ_header, occ_rows = read_tsv(os.path.join(args.data, "onet_occupations.tsv.gz"))
    alt_header, alt_rows = read_tsv(os.path.join(args.data, "onet_alternate_titles.tsv.gz"))
    ci, ti = occ_header.index("O*NET-SOC Code"), occ_header.index("Title")
    aci, ati = alt_header.index("O*NET-SOC Code"), alt_header.index("Alternate Title")
    codes = {r[ci] for r in occ_rows}
    by_code = {}
    for r in alt_rows:
        if r[aci] in codes:
            by_code.setdefault(r[aci], []).append(r)
    dictionary_alt, pool = [], []
    for code in sorted(by_code):
        rows = by_code[code][:]
        rng.shuffle(rows)
        half = (len(rows) + 1) // 2
        dictionary_alt += rows[:half]
        pool += [(code, r[ati], "in_dictionary") for r in rows[:half]]
        pool += [(code, r[ati], "held_out") for r in rows[half:]]
    # The dictionary every method uses: canonical titles and the kept half of the alternates.
    dictionary = [(r[ci], r[ti]) for r in occ_rows] + [(r[aci], r[ati]) for r in dictionary_alt]
    tests = []
    for kind in KINDS:
        for code, title, source in rng.sample(pool, min(args.per_kind, len(pool))):
            tests.append((kind, code, title, make_noisy(rng, kind, title), source))
    log = lambda *a: print(*a, file=sys.stderr)
    log(f"dictionary: {len(occ_rows)} occupations, {len(dictionary)} titles; "
        f"{len(tests)} noisy titles ({args.per_kind} per kind: {', '.join(KINDS)})")

    results = {}
    work = tempfile.mkdtemp(prefix="eval-clean-")
    # --- Kindred: the same dictionary as an O*NET folder; one person per noisy title.
    folder = os.path.join(work, "onet")
    os.makedirs(folder)
    with open(os.path.join(folder, "occupations.tsv"), "w") as f:
        f.write("\t".join(occ_header) + "\n")
        for r in occ_rows:
            f.write("\t".join(r) + "\n")
    with open(os.path.join(folder, "alternates.tsv"), "w") as f:
        f.write("\t".join(alt_header) + "\n")
        for r in dictionary_alt:
            f.write("\t".join(r) + "\n")
    people = os.path.join(work, "people.jsonl")
    with open(people, "w") as f:
        for i, (_, _, _, noisy, _) in enumerate(tests):
            f.write(json.dumps({"id": f"t{i}", "positions": [{"title": noisy}]}) + "\n")
    clean = os.path.join(work, "clean.jsonl")
    cmd = [args.kindred, "clean", people, "--output", clean, "--quarantine", os.path.join(work, "q.jsonl"),
           "--demo-key", "--catalog", folder, "--json"]
    if "--threads" in subprocess.run([args.kindred, "clean", "--help"], capture_output=True, text=True).stdout:
        cmd += ["--threads", str(args.threads)]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    kindred_seconds = time.perf_counter() - t0
    if proc.returncode != 0:
        sys.exit(f"eval-clean: kindred clean failed (exit {proc.returncode}): {proc.stderr[-2000:]}")
    predicted = []
    with open(clean) as f:
        for line in f:
            rec = json.loads(line)
            pos = rec.get("positions") or [{}]
            predicted.append(pos[0].get("occupation"))
    if len(predicted) != len(tests):
        sys.exit(f"eval-clean: kindred wrote {len(predicted)} records for {len(tests)} titles")
    results["kindred"] = (predicted, kindred_seconds, "whole `kindred clean` process (load, clean, write)")

    # --- Baseline 1: rapidfuzz token_sort_ratio, nearest dictionary title (one thread).
    from rapidfuzz import fuzz, process, utils
    choices = [t for _, t in dictionary]
    t0 = time.perf_counter()
    best = [process.extractOne(noisy, choices, scorer=fuzz.token_sort_ratio, processor=utils.default_process)
            for _, _, _, noisy, _ in tests]
    rf_seconds = time.perf_counter() - t0
    results["rapidfuzz token_sort"] = ([dictionary[b[2]][0] if b else None for b in best], rf_seconds, "matching only, 1 thread")

    # --- Baseline 2: OpenRefine-style 2-gram fingerprint, exact key collision with a dictionary title.
    t0 = time.perf_counter()
    index = {}
    for code, title in dictionary:
        index.setdefault(fingerprint_2gram(title), code)
    fp = [index.get(fingerprint_2gram(noisy)) for _, _, _, noisy, _ in tests]
    fp_seconds = time.perf_counter() - t0
    results["2-gram fingerprint"] = (fp, fp_seconds, "index + matching, 1 thread")

    # --- Table.
    head = (f"{'method':<22}" + "".join(f"{k:>14}" for k in KINDS)
            + f"{'in dict':>10}{'held out':>10}{'all':>8}{'titles/s':>12}")
    print(head)
    print("-" * len(head))
    summary = {}
    for name, (pred, seconds, timing) in results.items():
        row = {}
        for kind in KINDS:
            idx = [i for i, t in enumerate(tests) if t[0] == kind]
            row[kind] = sum(pred[i] == tests[i][1] for i in idx) / max(1, len(idx))
        for source in ("in_dictionary", "held_out"):
            idx = [i for i, t in enumerate(tests) if t[4] == source]
            row[source] = sum(pred[i] == tests[i][1] for i in idx) / max(1, len(idx))
        row["all"] = sum(p == t[1] for p, t in zip(pred, tests)) / len(tests)
        row["titles_per_second"] = len(tests) / seconds if seconds > 0 else float("inf")
        row["timing"] = timing
        summary[name] = row
        print(f"{name:<22}" + "".join(f"{row[k]:>14.3f}" for k in KINDS)
              + f"{row['in_dictionary']:>10.3f}{row['held_out']:>10.3f}{row['all']:>8.3f}{row['titles_per_second']:>12.0f}")
    for name, row in summary.items():
        print(f"  {name}: {row['timing']}")
    examples = [t for t in tests if t[0] == "mixed"][:5]
    print("examples (mixed noise): " + "; ".join(f"{t[2]!r} → {t[3]!r}" for t in examples))
    if args.output:
        with open(args.output, "w") as f:
            json.dump(dict(args=vars(args), dictionary_titles=len(dictionary), tests=len(tests), results=summary), f, indent=2)


if __name__ == "__main__":
    main()
