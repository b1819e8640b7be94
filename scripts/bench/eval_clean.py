"""Driver of scripts/eval-clean: noisy O*NET alternate titles → occupation, Kindred against three baselines.

Phase 1, accuracy. Dictionary: every O*NET occupation title plus half of each occupation's alternate
titles (chosen by the seed). Test titles: alternate titles drawn from all of them — those in the
dictionary (a noisy copy of a known variant) and the held-out half (a variant never seen) — each made
noisy in one of four ways (typo: 1–2 character edits; case and punctuation; abbreviation of common words;
all three). A method is right when it lands on the title's own O*NET-SOC code. Every method sees the same
dictionary and the same noisy titles; accuracy is reported per noise kind, over all titles and for the
two sources apart, with titles per second. The methods:
  - kindred: `kindred clean` on one person per noisy title (timed as the whole process);
  - rapidfuzz token_sort: nearest dictionary title by token_sort_ratio (matching only, 1 thread), with
    rapidfuzz's default_process, and again with rapidfuzz's defaults (no processor);
  - 2-gram fingerprint: OpenRefine's n-gram fingerprint, exact key collision (index + matching);
  - tf-idf char 2-4gram: scikit-learn TfidfVectorizer(char_wb, 2–4-grams, sublinear tf) fitted on the
    dictionary titles, cosine nearest neighbour by sparse matrix products in batches (fit + matching,
    1 thread).
After the table, target lines say whether Kindred beats the best baseline by 0.10, over all titles and
over in-dictionary titles, against every baseline and against the issue's set (rapidfuzz as shipped,
2-gram fingerprint, character TF-IDF).

Phase 2, throughput (skip with --no-throughput). Dictionary: the FULL O*NET catalogue (every occupation
and every alternate title): the --data folder itself when Kindred's loader, which finds O*NET files by
their header columns, would read exactly one file per kind there, else a temporary folder holding only
the occupations, alternate titles and (if present) technology skills files. Input: --throughput-titles N
people with one position each, whose titles are N distinct noisy variants of the alternate titles (all
four noise kinds, rounds over every alternate title until N distinct strings; only if the rounds run out,
a random two-letter suffix word tops up, and the output says so). `kindred clean --json` runs 3 times per
thread count (1 and 2, alternating; only when `kindred clean --help` offers --threads), and the medians
are reported: whole-process seconds, people per second, distinct titles per second of matching alone (when
the JSON summary has `title_distinct` and `title_match_seconds`), and peak RSS (from /usr/bin/time, when
present). Then memory flatness: one run at 2 threads on 4×N people (the same N titles, each 4 times,
shuffled, unique ids), its peak RSS against the N-people runs' and the ratio, and its (cached) people per
second.

Everything random comes from --seed; --output writes all results as JSON.
"""
import argparse
import gzip
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
KINDS = ["typo", "case_punct", "abbreviation", "mixed"]
TIME_BIN = "/usr/bin/time"
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


def log(*a):
    print(*a, file=sys.stderr)


def read_tsv(path):
    with gzip.open(path, "rt", encoding="utf-8") as f:
        header = f.readline().rstrip("\n").split("\t")
        return header, [line.rstrip("\n").split("\t") for line in f]


# --------------------------------------------------------------------------------------------------
# Noise.

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


# --------------------------------------------------------------------------------------------------
# Running Kindred.

def kindred_has_threads(kindred):
    """True when `kindred clean --help` offers --threads."""
    return "--threads" in subprocess.run([kindred, "clean", "--help"], capture_output=True, text=True).stdout


def binary_stamp(path):
    """Size and modification time of the kindred binary (None when it is missing), to notice a rebuild."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_size, st.st_mtime_ns


def write_people(path, titles, id_prefix="p"):
    """One person per title, each with a single position."""
    with open(path, "w") as f:
        for i, title in enumerate(titles):
            f.write(json.dumps({"id": f"{id_prefix}{i}", "positions": [{"title": title}]}) + "\n")


def run_kindred_clean(kindred, people, catalog, work, threads=None, measure_rss=False):
    """Runs `kindred clean --json` once. Returns (wall seconds, JSON summary, peak RSS in KB or None,
    path of the clean output). Exits the script when kindred fails."""
    clean = os.path.join(work, "clean.jsonl")
    cmd = [kindred, "clean", people, "--output", clean, "--quarantine", os.path.join(work, "q.jsonl"),
           "--demo-key", "--catalog", catalog, "--json"]
    if threads is not None:
        cmd += ["--threads", str(threads)]
    rss_file = os.path.join(work, "rss.txt")
    if measure_rss:
        cmd = [TIME_BIN, "-f", "%M", "-o", rss_file] + cmd
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    seconds = time.perf_counter() - t0
    if proc.returncode != 0:
        sys.exit(f"eval-clean: kindred clean failed (exit {proc.returncode}): {proc.stderr[-2000:]}")
    lines = proc.stdout.strip().splitlines()
    try:
        summary = json.loads(lines[-1])
    except (IndexError, ValueError):
        sys.exit(f"eval-clean: kindred clean --json printed no JSON summary: {proc.stdout[-2000:]!r}")
    rss = None
    if measure_rss:
        with open(rss_file) as f:
            rss = int(f.read().strip().splitlines()[-1])
    return seconds, summary, rss, clean


# --------------------------------------------------------------------------------------------------
# Baselines.

def fingerprint_2gram(text):
    """OpenRefine's n-gram fingerprint: lowercase, letters and digits only, unique sorted 2-grams."""
    s = re.sub(r"[^0-9a-z]", "", text.lower())
    return "".join(sorted({s[i:i + 2] for i in range(len(s) - 1)}))


def tfidf_nearest(dictionary_titles, queries, batch=256):
    """Character 2–4-gram TF-IDF nearest neighbour. Returns (index into dictionary_titles or None per
    query, fit seconds, total seconds). Rows are l2-normalised, so a dot product is the cosine; queries
    go through in batches of `batch` against the whole dictionary, on one thread. A query sharing no
    n-gram with any title gets None; ties go to the first title in dictionary order."""
    import numpy as np
    from sklearn.feature_extraction.text import TfidfVectorizer
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        t0 = time.perf_counter()
        vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), lowercase=True, sublinear_tf=True)
        titles_t = vectorizer.fit_transform(dictionary_titles).T.tocsr()
        fit_seconds = time.perf_counter() - t0
        q = vectorizer.transform(queries)
        best = []
        for start in range(0, q.shape[0], batch):
            sim = (q[start:start + batch] @ titles_t).toarray()
            arg = sim.argmax(axis=1)
            top = sim[np.arange(len(arg)), arg]
            best += [int(a) if s > 0 else None for a, s in zip(arg, top)]
        total_seconds = time.perf_counter() - t0
    return best, fit_seconds, total_seconds


# --------------------------------------------------------------------------------------------------
# Phase 1: accuracy.

def accuracy_phase(args, occ_header, occ_rows, alt_header, alt_rows, work):
    rng = random.Random(args.seed)
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
    noisy = [t[3] for t in tests]
    log(f"accuracy: dictionary of {len(occ_rows)} occupations, {len(dictionary)} titles; "
        f"{len(tests)} noisy titles ({args.per_kind} per kind: {', '.join(KINDS)})")

    results = {}
    # --- Kindred: the same dictionary as an O*NET folder; one person per noisy title.
    folder = os.path.join(work, "onet-accuracy")
    os.makedirs(folder)
    with open(os.path.join(folder, "occupations.tsv"), "w") as f:
        f.write("\t".join(occ_header) + "\n")
        for r in occ_rows:
            f.write("\t".join(r) + "\n")
    with open(os.path.join(folder, "alternates.tsv"), "w") as f:
        f.write("\t".join(alt_header) + "\n")
        for r in dictionary_alt:
            f.write("\t".join(r) + "\n")
    people = os.path.join(work, "accuracy-people.jsonl")
    write_people(people, noisy, id_prefix="t")
    threads = args.threads if kindred_has_threads(args.kindred) else None
    log("accuracy: kindred clean…")
    kindred_seconds, _, _, clean = run_kindred_clean(args.kindred, people, folder, work, threads=threads)
    predicted = []
    confidences = []
    with open(clean) as f:
        for line in f:
            rec = json.loads(line)
            pos = rec.get("positions") or [{}]
            predicted.append(pos[0].get("occupation"))
            confidences.append(float(pos[0].get("confidence") or 0))
    if len(predicted) != len(tests):
        sys.exit(f"eval-clean: kindred wrote {len(predicted)} records for {len(tests)} titles")
    calibration = confidence_bands(tests, predicted, confidences)
    threads_note = f"--threads {threads}" if threads is not None else "no --threads option"
    results["kindred"] = (predicted, kindred_seconds, f"whole `kindred clean` process (load, clean, write; {threads_note})")

    # --- Baseline 1: rapidfuzz token_sort_ratio, nearest dictionary title (one thread).
    from rapidfuzz import fuzz, process, utils
    log("accuracy: rapidfuzz…")
    choices = [t for _, t in dictionary]
    t0 = time.perf_counter()
    best = [process.extractOne(q, choices, scorer=fuzz.token_sort_ratio, processor=utils.default_process)
            for q in noisy]
    rf_seconds = time.perf_counter() - t0
    results["rapidfuzz token_sort"] = ([dictionary[b[2]][0] if b else None for b in best], rf_seconds,
                                       "matching only, 1 thread, with rapidfuzz's default_process (lower case, no punctuation)")
    # The same scorer as rapidfuzz ships it (3.x applies no processor by default): the weaker setting.
    t0 = time.perf_counter()
    raw_best = [process.extractOne(q, choices, scorer=fuzz.token_sort_ratio) for q in noisy]
    results["rapidfuzz (no processor)"] = ([dictionary[b[2]][0] if b else None for b in raw_best], time.perf_counter() - t0,
                                           "matching only, 1 thread, rapidfuzz defaults (no processor)")

    # --- Baseline 2: OpenRefine-style 2-gram fingerprint, exact key collision with a dictionary title.
    t0 = time.perf_counter()
    index = {}
    for code, title in dictionary:
        index.setdefault(fingerprint_2gram(title), code)
    fp = [index.get(fingerprint_2gram(q)) for q in noisy]
    fp_seconds = time.perf_counter() - t0
    results["2-gram fingerprint"] = (fp, fp_seconds, "index + matching, 1 thread")

    # --- Baseline 3: character 2–4-gram TF-IDF, cosine nearest dictionary title.
    log("accuracy: tf-idf…")
    nearest, fit_seconds, tfidf_seconds = tfidf_nearest(choices, noisy)
    results["tf-idf char 2-4gram"] = ([dictionary[b][0] if b is not None else None for b in nearest], tfidf_seconds,
                                      f"fit on the dictionary ({fit_seconds:.2f} s) + matching "
                                      f"({tfidf_seconds - fit_seconds:.2f} s), 1 thread")

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
        row["seconds"] = seconds
        row["titles_per_second"] = len(tests) / seconds if seconds > 0 else float("inf")
        row["timing"] = timing
        summary[name] = row
        print(f"{name:<22}" + "".join(f"{row[k]:>14.3f}" for k in KINDS)
              + f"{row['in_dictionary']:>10.3f}{row['held_out']:>10.3f}{row['all']:>8.3f}{row['titles_per_second']:>12.0f}")
    for name, row in summary.items():
        print(f"  {name}: {row['timing']}")
    examples = [t for t in tests if t[0] == "mixed"][:5]
    print("examples (mixed noise): " + "; ".join(f"{t[2]!r} → {t[3]!r}" for t in examples))

    # --- Target: Kindred at least 0.10 above the best baseline, over all titles and over the titles
    # that are in the dictionary; against every baseline, and against the issue's own set (rapidfuzz
    # as it ships, the 2-gram fingerprint, and the character TF-IDF it names as the best baseline).
    issue_set = ["rapidfuzz (no processor)", "2-gram fingerprint", "tf-idf char 2-4gram"]
    target = {}
    for label, names in (("every baseline", [n for n in summary if n != "kindred"]), ("the issue's baselines", issue_set)):
        for column in ("all", "in_dictionary"):
            best_name = max(names, key=lambda n: summary[n][column])
            best, ours = summary[best_name][column], summary["kindred"][column]
            met = ours >= best + 0.10 - 1e-9
            print(f"target ({label}, {column}): kindred {ours:.3f} >= {best_name} {best:.3f} + 0.10: {'met' if met else 'NOT met'}")
            target[f"{label} / {column}"] = dict(best_baseline=best_name, best=best, kindred=ours, met=met)
    print("kindred mapping precision per confidence band (a title mapped to an occupation is right when it is"
          " the title's own; 'kept' = left as typed, confidence 0):")
    print(f"  {'band':<12}{'titles':>8}{'share':>8}{'precision':>11}{'in dict':>10}{'held out':>10}")
    for band in calibration:
        print(f"  {band['band']:<12}{band['titles']:>8}{band['share']:>8.3f}"
              + "".join(f"{band[k]:>11.3f}" if band[k] is not None else f"{'-':>11}" for k in ("precision",))
              + "".join(f"{band[k]:>10.3f}" if band[k] is not None else f"{'-':>10}" for k in ("in_dictionary", "held_out")))
    return dict(dictionary_titles=len(dictionary), tests=len(tests), results=summary, target=target, calibration=calibration)


CONFIDENCE_BANDS = [(0.0, 0.0, "kept"), (0.0, 0.6, "(0, 0.6)"), (0.6, 0.7, "[0.6, 0.7)"), (0.7, 0.8, "[0.7, 0.8)"),
                    (0.8, 0.9, "[0.8, 0.9)"), (0.9, 0.97, "[0.9, 0.97)"), (0.97, 1.01, "[0.97, 1]")]


def confidence_bands(tests, predicted, confidences):
    """Kindred's precision per confidence band: of the titles mapped with a confidence in the band, the
    share mapped to their own occupation (overall and for in-dictionary and held-out variants)."""
    out = []
    for low, high, name in CONFIDENCE_BANDS:
        if name == "kept":
            idx = [i for i, c in enumerate(confidences) if c == 0 or predicted[i] is None]
        else:
            idx = [i for i, c in enumerate(confidences) if predicted[i] is not None and c > 0 and low <= c < high]

        def precision(ids):
            return sum(predicted[i] == tests[i][1] for i in ids) / len(ids) if ids else None
        out.append(dict(band=name, low=low, high=high, titles=len(idx), share=len(idx) / max(1, len(tests)),
                        precision=precision(idx) if name != "kept" else None,
                        in_dictionary=precision([i for i in idx if tests[i][4] == "in_dictionary"]) if name != "kept" else None,
                        held_out=precision([i for i in idx if tests[i][4] == "held_out"]) if name != "kept" else None))
    return out


# --------------------------------------------------------------------------------------------------
# Phase 2: throughput.

def onet_role(header):
    """What Kindred's O*NET loader (ONetCatalog.load(folder:)) makes of a file with this header line:
    None when it skips the file, else 'alternates', 'related', 'technology', 'occupations' or 'ignored'
    (has an O*NET-SOC Code column but none of the shapes the loader reads)."""
    columns = {c for c in header.split("\t") if c}
    if "O*NET-SOC Code" not in columns:
        return None
    if "Alternate Title" in columns:
        return "alternates"
    if "Related O*NET-SOC Code" in columns:
        return "related"
    if "Example" in columns and "Hot Technology" in columns:
        return "technology"
    if "Description" in columns and "Title" in columns and len(columns) == 3:
        return "occupations"
    return "ignored"


def full_catalog(data, work):
    """The --catalog for the full O*NET dictionary: `data` itself when Kindred's loader would find
    exactly one file of each kind it reads there, else a temporary folder of links to just the
    occupations, alternate titles and (if present) technology skills files. Returns (path, note)."""
    roles = {}
    for name in sorted(os.listdir(data)):
        if not name.endswith((".txt", ".tsv", ".gz")):
            continue
        path = os.path.join(data, name)
        try:
            opener = gzip.open if name.endswith(".gz") else open
            with opener(path, "rt", encoding="utf-8", errors="replace") as f:
                header = f.readline().rstrip("\r\n")
        except (OSError, EOFError):
            return _catalog_folder(data, work, f"{name} is unreadable (kindred would fail on it)")
        role = onet_role(header)
        if role is not None:
            roles.setdefault(role, []).append(name)
    clashes = {r: n for r, n in roles.items() if r != "ignored" and len(n) > 1}
    if clashes or "occupations" not in roles or "alternates" not in roles:
        why = (f"more than one file of a kind: {clashes}" if clashes
               else "no occupations or alternate titles file found by header")
        return _catalog_folder(data, work, why)
    read = ", ".join(f"{r}={n[0]}" for r, n in sorted(roles.items()) if r != "ignored")
    ignored = ", ".join(roles.get("ignored", [])) or "none"
    return data, f"the data folder itself (kindred reads {read}; ignores O*NET files {ignored})"


def _catalog_folder(data, work, why):
    folder = os.path.join(work, "onet-full")
    os.makedirs(folder, exist_ok=True)
    for name in ("onet_occupations.tsv.gz", "onet_alternate_titles.tsv.gz", "onet_technology_skills.tsv.gz"):
        source = os.path.join(data, name)
        if os.path.exists(source):
            try:
                os.symlink(os.path.abspath(source), os.path.join(folder, name))
            except OSError:
                shutil.copy(source, folder)
    return folder, f"a temporary folder with onet_occupations, onet_alternate_titles (+ technology skills); {why}"


def distinct_noisy_titles(rng, titles, n, max_rounds=10):
    """n distinct noisy variants of `titles`: rounds over all titles in a shuffled order, the noise kind
    rotating per title and per round, skipping a variant equal to its source or already taken. If the
    rounds run out first, random variants get a random two-letter suffix word until n are distinct.
    Returns (variants, number that got a suffix)."""
    seen, out = set(), []
    for rnd in range(max_rounds):
        order = titles[:]
        rng.shuffle(order)
        for i, title in enumerate(order):
            variant = make_noisy(rng, KINDS[(i + rnd) % len(KINDS)], title)
            if variant != title and variant not in seen:
                seen.add(variant)
                out.append(variant)
                if len(out) == n:
                    return out, 0
    suffixed, base = 0, out[:]
    letters = "abcdefghijklmnopqrstuvwxyz"
    while len(out) < n:
        variant = rng.choice(base) + " " + rng.choice(letters) + rng.choice(letters)
        if variant not in seen:
            seen.add(variant)
            out.append(variant)
            suffixed += 1
    return out, suffixed


def throughput_phase(args, occ_rows, occ_header, alt_rows, alt_header, work):
    rng = random.Random(f"throughput-{args.seed}")
    n = args.throughput_titles
    catalog, catalog_note = full_catalog(args.data, work)
    codes = {r[occ_header.index("O*NET-SOC Code")] for r in occ_rows}
    aci, ati = alt_header.index("O*NET-SOC Code"), alt_header.index("Alternate Title")
    alternates = [r[ati] for r in alt_rows if r[aci] in codes]
    titles, suffixed = distinct_noisy_titles(rng, alternates, n)
    people = os.path.join(work, "throughput-people.jsonl")
    write_people(people, titles)
    has_threads = kindred_has_threads(args.kindred)
    thread_counts = [1, 2] if has_threads else [None]
    measure_rss = os.path.exists(TIME_BIN)
    log(f"throughput: {n} people, {n} distinct noisy titles ({suffixed} with a suffix word); catalogue: {catalog_note}")

    runs = {t: [] for t in thread_counts}
    for rep in range(3):
        for t in thread_counts:
            log(f"throughput: run {rep + 1}/3, threads {t if t is not None else 'default'}…")
            seconds, summary, rss, _ = run_kindred_clean(args.kindred, people, catalog, work, t, measure_rss)
            if summary.get("read") != n:
                sys.exit(f"eval-clean: kindred read {summary.get('read')} people of {n}")
            runs[t].append(dict(seconds=seconds, rss_kb=rss, summary=summary))

    def median_or_none(values):
        values = [v for v in values if v is not None]
        return statistics.median(values) if values else None

    def distinct_rate(summary):
        d, s = summary.get("title_distinct"), summary.get("title_match_seconds")
        return d / s if d is not None and s else None

    rows = []
    for t in thread_counts:
        rs = runs[t]
        seconds = statistics.median(r["seconds"] for r in rs)
        rows.append(dict(threads=t, runs=rs, seconds=seconds, people_per_second=n / seconds,
                         distinct_titles_per_second=median_or_none([distinct_rate(r["summary"]) for r in rs]),
                         rss_kb=median_or_none([r["rss_kb"] for r in rs])))

    # Memory flatness: the same titles four times over, shuffled, one run at 2 threads.
    big = titles * 4
    rng.shuffle(big)
    big_people = os.path.join(work, "throughput-people-4x.jsonl")
    write_people(big_people, big, id_prefix="q")
    t_big = 2 if has_threads else None
    log(f"throughput: memory run, {len(big)} people…")
    big_seconds, big_summary, big_rss, _ = run_kindred_clean(args.kindred, big_people, catalog, work, t_big, measure_rss)
    if big_summary.get("read") != len(big):
        sys.exit(f"eval-clean: kindred read {big_summary.get('read')} people of {len(big)}")
    n_rss = rows[-1]["rss_kb"]
    memory = dict(threads=t_big, people=len(big), seconds=big_seconds, people_per_second=len(big) / big_seconds,
                  clean_seconds=big_summary.get("seconds"), rss_kb=big_rss, rss_kb_n=n_rss,
                  rss_ratio=big_rss / n_rss if big_rss and n_rss else None, summary=big_summary)

    # --- Table.
    fmt = lambda v, spec: format(v, spec) if v is not None else "n/a"
    print()
    print(f"throughput: {n} people, one position each, {n} distinct noisy titles"
          + (f" ({suffixed} of them with a random 2-letter suffix word to make them distinct)" if suffixed else "")
          + f"; dictionary: full O*NET ({len(occ_rows)} occupations + {len(alternates)} alternate titles)")
    print(f"  catalogue: {catalog_note}")
    print("  median of 3 runs (alternating thread counts)" + ("" if has_threads else "; kindred clean has no --threads"))
    head = f"  {'threads':<9}{'process s':>11}{'people/s':>11}{'distinct titles/s':>19}{'peak RSS MB':>13}"
    print(head)
    print("  " + "-" * (len(head) - 2))
    for r in rows:
        print(f"  {str(r['threads'] if r['threads'] is not None else 'default'):<9}{r['seconds']:>11.2f}"
              f"{r['people_per_second']:>11.0f}{fmt(r['distinct_titles_per_second'], '.0f'):>19}"
              f"{fmt(r['rss_kb'] / 1024 if r['rss_kb'] else None, '.1f'):>13}")
    if all(r["distinct_titles_per_second"] is None for r in rows):
        print("  distinct titles/s: n/a (the JSON summary has no title_distinct / title_match_seconds)")
    print(f"  memory: peak RSS {n} people {fmt(n_rss / 1024 if n_rss else None, '.1f')} MB, "
          f"{len(big)} people (same titles ×4) {fmt(big_rss / 1024 if big_rss else None, '.1f')} MB, "
          f"ratio {fmt(memory['rss_ratio'], '.2f')}; cached throughput {len(big)} people in {big_seconds:.2f} s "
          f"= {memory['people_per_second']:.0f} people/s (whole process)")
    if not measure_rss:
        print(f"  peak RSS: n/a ({TIME_BIN} not found)")
    return dict(people=n, distinct_titles=n, suffixed_titles=suffixed, catalog=catalog, catalog_note=catalog_note,
                dictionary_occupations=len(occ_rows), dictionary_alternate_titles=len(alternates),
                has_threads_option=has_threads, timings=rows, memory=memory)


# --------------------------------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(prog="scripts/eval-clean", description=__doc__.split("\n")[0])
    ap.add_argument("--data", default=os.path.join(os.path.dirname(ROOT), "shared", "data"),
                    help="folder with onet_occupations.tsv.gz and onet_alternate_titles.tsv.gz (default ../shared/data)")
    ap.add_argument("--per-kind", type=int, default=500, help="noisy titles per noise kind (default 500)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--threads", type=int, default=2, help="threads for Kindred in the accuracy phase (default 2)")
    ap.add_argument("--kindred", required=True, help="kindred binary (scripts/eval-clean builds and passes it)")
    ap.add_argument("--no-throughput", dest="throughput", action="store_false",
                    help="skip the throughput phase (full O*NET dictionary, distinct noisy titles)")
    ap.add_argument("--throughput-titles", type=int, default=100000,
                    help="people (each with one distinct noisy title) in the throughput phase (default 100000)")
    ap.add_argument("--output", default=None, help="also write the results as JSON here")
    args = ap.parse_args()
    if args.throughput_titles < 1:
        ap.error("--throughput-titles must be at least 1")

    binary_at_start = binary_stamp(args.kindred)
    occ_header, occ_rows = read_tsv(os.path.join(args.data, "onet_occupations.tsv.gz"))
    alt_header, alt_rows = read_tsv(os.path.join(args.data, "onet_alternate_titles.tsv.gz"))
    with tempfile.TemporaryDirectory(prefix="eval-clean-") as work:
        out = dict(args=vars(args))
        out.update(accuracy_phase(args, occ_header, occ_rows, alt_header, alt_rows, work))
        if args.throughput:
            out["throughput"] = throughput_phase(args, occ_rows, occ_header, alt_rows, alt_header, work)
    out["kindred_binary_changed_during_run"] = binary_stamp(args.kindred) != binary_at_start
    if out["kindred_binary_changed_during_run"]:
        print(f"warning: {args.kindred} changed during the run; its results may mix two builds")
    if args.output:
        with open(args.output, "w") as f:
            json.dump(out, f, indent=2)


if __name__ == "__main__":
    main()
