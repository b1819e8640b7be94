"""Driver of scripts/eval-people: people built from O*NET vocabularies, Kindred's default pipeline against
a plain scikit-learn peer pipeline, side by side in one run.

Data. The O*NET occupations are split into two disjoint halves by a stable hash of the O*NET-SOC code
(first byte of sha256(code) even: dev, odd: test); `--split dev` uses only dev occupations, `test` only the
held-out ones, `all` runs both splits one after the other (a table each). Eligible occupations have at
least 8 alternate titles and 8 technology skills. Two datasets, N people each (occupation uniform):
  - onet-variants: 60 eligible occupations of the split; titles are O*NET alternate titles of the
    occupation held (its canonical title with probability 0.1); skills from its technology skills.
  - onet-reported: 40 eligible occupations with at least 3 usable reported titles; titles are titles that
    workers reported (onet_reported_titles), leaving out every one whose normalised form (lowercase,
    non-alphanumerics to space, collapsed) is an alternate title or the title of any occupation, so these
    are titles the O*NET dictionary does not list; skills half from technology skills, half from tools
    used. An earlier occupation without usable reported titles falls back to its alternate titles.
    O*NET 29.2 lists every reported title among the alternate titles too, so that rule leaves none; then
    (and whenever it leaves fewer than 40 eligible occupations in a split) the reported titles are held
    out of the dictionary instead: kindred-onet gets a catalogue folder (in the run's temporary folder)
    whose alternate titles leave out every one equal to a reported title once normalised, and the usable
    reported titles are those that no occupation title equals.
A person has 1-4 positions (chronological, the current one last, `end` null): the current one is the
person's occupation; each earlier one the same occupation (0.5), an O*NET related occupation of it (0.35,
any tier) or any O*NET occupation (0.15). Tenure 6-96 months, gaps 0-6 months, an earlier end missing
with probability 0.25, a start missing with 0.05. Skills: 4-10 of the current occupation's, one of each
earlier occupation's with probability 0.5, 0-2 generic ones; 4% of people list none. Dirt on every title
and skill: typo (1-2 letter edits in words of 4+ letters) 0.15, case noise 0.15, and for titles a level word
0.2 and common abbreviations 0.1; punctuation noise 0.1. Truth: the O*NET-SOC code of the current job.

Methods (same people):
  - peer: one document per person (titles and skills as given, joined by spaces), TfidfVectorizer
    (sublinear tf), brute-force cosine NearestNeighbors (16 = self + 15 others), an undirected graph
    weighted by cosine similarity, networkx Louvain (resolution 1, --seed). Timed in process (median of
    --peer-repeats).
  - kindred-defaults: the installed binary (a copy in a temporary prefix), run in a temporary folder
    outside the repository as a fresh user (empty HOME, no KINDRED_* variables): clean (--demo-key) →
    graph → cluster, with defaults plus the --kindred-*-args. Timed as the three processes' wall time.
  - kindred-onet: the same with `clean --catalog DATA` (the O*NET files of --data), when `kindred clean
    --help` offers --catalog.
  - supervised-ceiling: a reference, not a clustering: LinearSVC over word and character 2–4-gram TF-IDF of
    the peer's documents, trained on the TRUE occupations, predicting each person from the folds that did
    not contain them (5-fold stratified cross-validation); the predicted occupations are scored as clusters.
    It shows how much room the data leave above the peer (a reference, not a strict bound: a clustering
    can beat it), and the target lines say whether peer NMI + 0.03 lies within it.
Kindred's pseudonymous ids are mapped back to the raw ids by recomputing HMAC-SHA256 with the public demo key
(checked against clean.jsonl); people quarantined or missing from clusters.csv are "unclustered" and
scored as singleton clusters. `kindred evaluate --pseudonymize-truth` cross-checks NMI/ARI over the people it
matched.

Scores (scikit-learn): NMI (arithmetic), ARI, eyeball = share of people whose cluster's plurality
occupation (ties: smallest code) is their own or an O*NET related occupation of theirs (any tier, either
direction), clusters, unclustered, seconds. Targets per dataset, kindred-defaults against peer: ΔNMI ≥ +0.03,
ΔARI ≥ +0.10, eyeball ≥ 0.95, unclustered 0.
"""
import argparse
import collections
import csv
import gzip
import hashlib
import hmac
import json
import os
import random
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DATASETS = ["onet-variants", "onet-reported"]
OCCUPATIONS_PER_DATASET = {"onet-variants": 60, "onet-reported": 40}
METHODS = ["peer", "kindred-defaults", "kindred-onet", "supervised-ceiling"]
# Kindred's public demo key (Sources/KindredClean/Pseudonymizer.swift, `demoKeyText`): HMAC-SHA256(key, id),
# the first 12 bytes in hex, `k` prefix.
DEMO_KEY = b"kindred-demo-key-not-secret-0000"
REFERENCE_MONTH = (2025, 12)  # the current jobs run up to here (fixed: the people do not depend on today)
TARGETS = dict(delta_nmi=0.03, delta_ari=0.10, eyeball=0.95, unclustered=0)

FIRST_NAMES = ["James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda", "David", "Elizabeth",
               "William", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Sarah", "Carlos", "Karen",
               "Daniel", "Lisa", "Matthew", "Nancy", "Anthony", "Betty", "Mark", "Sandra", "Wei", "Ashley", "Kevin",
               "Priya", "Jose", "Emily", "Ahmed", "Fatima", "Brian", "Olga", "Hiroshi", "Amara"]
LAST_NAMES = ["Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez",
              "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Martin",
              "Lee", "Perez", "Thompson", "White", "Harris", "Sanchez", "Clark", "Ramirez", "Lewis", "Robinson",
              "Nguyen", "Patel", "Kim", "Chen", "Okafor", "Kowalski", "Schmidt", "Rossi", "Tanaka", "Novak"]
CITIES = ["New York, NY", "Los Angeles, CA", "Chicago, IL", "Houston, TX", "Phoenix, AZ", "Philadelphia, PA",
          "San Antonio, TX", "San Diego, CA", "Dallas, TX", "Austin, TX", "Columbus, OH", "Charlotte, NC",
          "Seattle, WA", "Denver, CO", "Boston, MA", "Atlanta, GA"]
COMPANY_WORDS = ["Acme", "Summit", "Blue Ridge", "Northwind", "Pioneer", "Lakeside", "Granite", "Evergreen",
                 "Harbor", "Keystone", "Redwood", "Silverline", "Meridian", "Cardinal", "Frontier", "Beacon"]
COMPANY_KINDS = ["Inc.", "LLC", "Group", "Services", "Partners", "Corp.", "Co.", "Solutions", "Holdings"]
GENERIC_SKILLS = ["Microsoft Excel", "Communication", "Customer service", "Teamwork", "Microsoft Word",
                  "Email software"]
LEVEL_PREFIXES = ["Senior", "Sr.", "Lead", "Junior"]
LEVEL_SUFFIXES = ["II", "III", "Trainee"]
ABBREVIATIONS = {"senior": "sr", "manager": "mgr", "assistant": "asst", "technician": "tech", "associate": "assoc",
                 "administrator": "admin", "representative": "rep", "supervisor": "supv", "coordinator": "coord"}
LETTERS = "abcdefghijklmnopqrstuvwxyz"


def log(*a):
    print(*a, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------------------------------
# O*NET.

def read_tsv(path):
    """A gzipped (or plain) TSV with a header row: a list of dicts by column name."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as f:
        header = f.readline().rstrip("\n").split("\t")
        rows = []
        for line in f:
            line = line.rstrip("\n")
            if line:
                rows.append(dict(zip(header, line.split("\t"))))
        return rows


def find_file(data, stem):
    for name in (stem + ".tsv.gz", stem + ".tsv", stem + ".txt"):
        path = os.path.join(data, name)
        if os.path.exists(path):
            return path
    sys.exit(f"eval-people: {stem}.tsv.gz not found in {data} (--data: the folder of /work/shared/data/SOURCES.md)")


def normalise(text):
    return " ".join(re.sub(r"[^0-9a-z]+", " ", text.lower()).split())


def unique(items):
    seen, out = set(), []
    for x in items:
        if x and x not in seen:
            seen.add(x)
            out.append(x)
    return out


class ONet:
    def __init__(self, data):
        occupations = read_tsv(find_file(data, "onet_occupations"))
        self.title = {r["O*NET-SOC Code"]: r["Title"] for r in occupations}
        self.codes = sorted(self.title)
        alternates = collections.defaultdict(list)
        for r in read_tsv(find_file(data, "onet_alternate_titles")):
            alternates[r["O*NET-SOC Code"]].append(r["Alternate Title"])
        self.alternates = {c: unique(v) for c, v in alternates.items()}
        tech = collections.defaultdict(list)
        for r in read_tsv(find_file(data, "onet_technology_skills")):
            tech[r["O*NET-SOC Code"]].append(r["Example"])
        self.tech = {c: unique(v) for c, v in tech.items()}
        tools = collections.defaultdict(list)
        for r in read_tsv(find_file(data, "onet_tools_used")):
            tools[r["O*NET-SOC Code"]].append(r["Example"])
        self.tools = {c: unique(v) for c, v in tools.items()}
        self.related = collections.defaultdict(set)      # as listed (code → related codes, any tier)
        self.related_either = collections.defaultdict(set)  # either direction, for the eyeball score
        for r in read_tsv(find_file(data, "onet_related_occupations")):
            a, b = r["O*NET-SOC Code"], r["Related O*NET-SOC Code"]
            if a in self.title and b in self.title and a != b:
                self.related[a].add(b)
                self.related_either[a].add(b)
                self.related_either[b].add(a)
        self.related = {c: sorted(v) for c, v in self.related.items()}
        # Reported titles that no occupation title or alternate title equals once normalised.
        self.data = data
        known_titles = {normalise(t) for t in self.title.values()}
        known = set(known_titles)
        for titles in self.alternates.values():
            known.update(normalise(t) for t in titles)
        reported_all = collections.defaultdict(list)
        self.reported_total = 0
        for r in read_tsv(find_file(data, "onet_reported_titles")):
            self.reported_total += 1
            t = r["Reported Job Title"].strip()
            if t and normalise(t) and r["O*NET-SOC Code"] in self.title:
                reported_all[r["O*NET-SOC Code"]].append(t)
        reported_all = {c: unique(v) for c, v in reported_all.items()}
        self.reported = {c: [t for t in v if normalise(t) not in known] for c, v in reported_all.items()}
        self.reported = {c: v for c, v in self.reported.items() if v}
        self.reported_usable_literal = sum(len(v) for v in self.reported.values())
        # In O*NET 29.2 every reported title is also an alternate title, so the rule above leaves none.
        # Then the reported titles are held out of the dictionary instead: an alternate title whose
        # normalised form is a reported title is left out of the catalogue kindred-onet gets for this dataset
        # (`held_out_catalog`), and the usable reported titles are those no occupation title equals.
        self.reported_mode = "literal"
        self.held_out_alternates = set()
        if any(len(self.eligible(split, "onet-reported")) < OCCUPATIONS_PER_DATASET["onet-reported"]
               for split in ("dev", "test")):
            self.reported_mode = "held-out"
            reported_norm = {normalise(t) for v in reported_all.values() for t in v}
            self.held_out_alternates = reported_norm - known_titles
            self.reported = {c: [t for t in v if normalise(t) not in known_titles] for c, v in reported_all.items()}
            self.reported = {c: v for c, v in self.reported.items() if v}
        self.reported_usable = sum(len(v) for v in self.reported.values())

    def held_out_catalog(self, folder):
        """A catalogue folder for `kindred clean --catalog`: the O*NET files Kindred reads (occupations,
        alternate titles, technology skills, related occupations), the alternate titles without the
        held-out reported titles. Written under the run's temporary folder, never into the repository."""
        os.makedirs(folder, exist_ok=True)
        removed = 0
        for stem in ("onet_occupations", "onet_technology_skills", "onet_related_occupations"):
            src = find_file(self.data, stem)
            os.symlink(src, os.path.join(folder, os.path.basename(src)))
        src = find_file(self.data, "onet_alternate_titles")
        opener = gzip.open if src.endswith(".gz") else open
        with opener(src, "rt", encoding="utf-8") as f, open(os.path.join(folder, "onet_alternate_titles.tsv"),
                                                            "w", encoding="utf-8") as g:
            header = f.readline()
            g.write(header)
            column = header.rstrip("\n").split("\t").index("Alternate Title")
            for line in f:
                fields = line.rstrip("\n").split("\t")
                if len(fields) > column and normalise(fields[column]) in self.held_out_alternates:
                    removed += 1
                    continue
                g.write(line)
        return removed

    @staticmethod
    def split_of(code):
        return "dev" if hashlib.sha256(code.encode()).digest()[0] % 2 == 0 else "test"

    def eligible(self, split, dataset):
        out = []
        for c in self.codes:
            if self.split_of(c) != split:
                continue
            if len(self.alternates.get(c, [])) < 8 or len(self.tech.get(c, [])) < 8:
                continue
            if dataset == "onet-reported" and len(self.reported.get(c, [])) < 3:
                continue
            out.append(c)
        return out


# --------------------------------------------------------------------------------------------------
# Dirt.

def typo(rng, text):
    """1-2 letter edits (substitute, delete, insert, transpose), only inside words of 4+ letters."""
    chars = list(text)
    for _ in range(rng.choice([1, 2])):
        words = [(m.start(), m.end()) for m in re.finditer(r"[A-Za-z]{4,}", "".join(chars))]
        if not words:
            break
        start, end = rng.choice(words)
        i = rng.randrange(start, end)
        op = rng.choice(["substitute", "delete", "insert", "transpose"])
        if op == "delete":
            del chars[i]
        elif op == "insert":
            chars.insert(i, rng.choice(LETTERS))
        elif op == "transpose" and i + 1 < end:
            chars[i], chars[i + 1] = chars[i + 1], chars[i]
        else:
            c = chars[i]
            chars[i] = rng.choice([x for x in LETTERS if x != c.lower()])
            if c.isupper():
                chars[i] = chars[i].upper()
    return "".join(chars)


def case_noise(rng, text):
    style = rng.choice(["lower", "upper", "random"])
    if style == "lower":
        return text.lower()
    if style == "upper":
        return text.upper()
    return "".join(c.upper() if rng.random() < 0.5 else c.lower() for c in text)


def add_level(rng, title):
    if rng.random() < 4 / 7:
        return rng.choice(LEVEL_PREFIXES) + " " + title
    return title + " " + rng.choice(LEVEL_SUFFIXES)


def abbreviate(title):
    def repl(m):
        word = m.group(0)
        short = ABBREVIATIONS[word.lower()]
        return short.capitalize() if word[0].isupper() else short
    return re.sub(r"\b(" + "|".join(ABBREVIATIONS) + r")\b", repl, title, flags=re.IGNORECASE)


def punctuation_noise(rng, text):
    kind = rng.choice(["hyphens", "dot", "spaces"])
    if kind == "hyphens" and " " in text:
        return text.replace(" ", "-")
    if kind == "spaces" and " " in text:
        words = text.split(" ")
        i = rng.randrange(1, len(words))
        return " ".join(words[:i]) + "  " + " ".join(words[i:])
    return text + "."


def dirty(rng, text, is_title, counts):
    if is_title and rng.random() < 0.2:
        text = add_level(rng, text)
        counts["level"] += 1
    if is_title and rng.random() < 0.1:
        short = abbreviate(text)
        counts["abbreviation"] += short != text
        text = short
    if rng.random() < 0.15:
        text = typo(rng, text)
        counts["typo"] += 1
    if rng.random() < 0.15:
        text = case_noise(rng, text)
        counts["case"] += 1
    if rng.random() < 0.1:
        text = punctuation_noise(rng, text)
        counts["punctuation"] += 1
    return text


# --------------------------------------------------------------------------------------------------
# People.

def month_text(ordinal):
    return f"{ordinal // 12:04d}-{ordinal % 12 + 1:02d}"


def make_people(onet, dataset, occupations, n, rng):
    """Returns (records, truth labels, statistics)."""
    counts = collections.Counter()

    def title_for(code):
        if dataset == "onet-reported" and onet.reported.get(code):
            return rng.choice(onet.reported[code])
        if dataset == "onet-reported":
            counts["title_fallback_alternate"] += 1
        if rng.random() < 0.1 or not onet.alternates.get(code):
            return onet.title[code]
        return rng.choice(onet.alternates[code])

    def skills_of(code, k):
        tech, tools = onet.tech.get(code, []), onet.tools.get(code, [])
        if dataset == "onet-reported" and tools:
            half = (k + 1) // 2
            return rng.sample(tech, min(half, len(tech))) + rng.sample(tools, min(k - half, len(tools)))
        return rng.sample(tech, min(k, len(tech)))

    def one_skill(code):
        pool = list(onet.tech.get(code, []))
        if dataset == "onet-reported":
            pool = pool if (not onet.tools.get(code) or rng.random() < 0.5) else onet.tools[code]
        return rng.choice(pool) if pool else None

    records, truth = [], []
    ref = REFERENCE_MONTH[0] * 12 + REFERENCE_MONTH[1] - 1
    for i in range(n):
        occ = rng.choice(occupations)
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        npos = rng.randint(1, 4)
        held = [occ]
        for _ in range(npos - 1):
            r = rng.random()
            if r < 0.5:
                held.append(occ)
            elif r < 0.85 and onet.related.get(occ):
                held.append(rng.choice(onet.related[occ]))
                counts["earlier_related"] += 1
            else:
                held.append(rng.choice(onet.codes))
                counts["earlier_random"] += 1
        positions = []  # built backwards from the current job
        end = ref
        for step, code in enumerate(held):
            start = end - rng.randint(6, 96)
            p = {"title": dirty(rng, title_for(code), True, counts),
                 "company": rng.choice(COMPANY_WORDS) + " " + rng.choice(COMPANY_KINDS),
                 "start": month_text(start), "end": None if step == 0 else month_text(end)}
            if step > 0 and rng.random() < 0.25:
                p["end"] = None
                counts["end_missing"] += 1
            if rng.random() < 0.05:
                p["start"] = None
                counts["start_missing"] += 1
            positions.append(p)
            end = start - rng.randint(0, 6)
        positions.reverse()
        skills = []
        if rng.random() < 0.04:
            counts["no_skills"] += 1
        else:
            skills = skills_of(occ, rng.randint(4, 10))
            for code in held[1:]:
                if rng.random() < 0.5:
                    s = one_skill(code)
                    if s and s not in skills:
                        skills.append(s)
            for s in rng.sample(GENERIC_SKILLS, rng.randint(0, 2)):
                if s not in skills:
                    skills.append(s)
            skills = [dirty(rng, s, False, counts) for s in skills]
        pid = f"u{i + 1:06d}"
        records.append({"id": pid, "name": f"{first} {last}",
                        "email": f"{first.lower()}.{last.lower()}{rng.randrange(100)}@example.com",
                        "location": rng.choice(CITIES), "skills": skills, "positions": positions})
        truth.append(occ)
    counts["positions"] = sum(len(r["positions"]) for r in records)
    return records, truth, dict(sorted(counts.items()))


def write_people(folder, records, truth):
    people = os.path.join(folder, "people.jsonl")
    with open(people, "w", encoding="utf-8") as f:
        for r in records:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    truth_path = os.path.join(folder, "truth.csv")
    with open(truth_path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["node", "label"])
        for r, label in zip(records, truth):
            w.writerow([r["id"], label])
    return people, truth_path


# --------------------------------------------------------------------------------------------------
# Scores.

def score(partition, ids, truth, onet, seconds, extra=None):
    """partition: raw id → cluster (missing: unclustered, scored as a singleton)."""
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score
    predicted, unclustered = [], 0
    for pid in ids:
        c = partition.get(pid)
        if c is None:
            unclustered += 1
            predicted.append("unclustered:" + pid)
        else:
            predicted.append("cluster:" + str(c))
    members = collections.defaultdict(list)
    for p, label in zip(predicted, truth):
        members[p].append(label)
    plurality = {}
    for p, labels in members.items():
        counts = collections.Counter(labels)
        top = max(counts.values())
        plurality[p] = min(label for label, k in counts.items() if k == top)
    good = sum(1 for p, label in zip(predicted, truth)
               if plurality[p] == label or plurality[p] in onet.related_either.get(label, ()))
    out = dict(nmi=float(normalized_mutual_info_score(truth, predicted, average_method="arithmetic")),
               ari=float(adjusted_rand_score(truth, predicted)), eyeball=good / len(ids),
               clusters=len({p for p in predicted if p.startswith("cluster:")}), unclustered=unclustered,
               seconds=seconds, status="ok")
    # The same scores over the clustered people only (what `kindred evaluate` sees).
    matched = [(t, p) for t, p in zip(truth, predicted) if p.startswith("cluster:")]
    if matched and unclustered:
        t, p = zip(*matched)
        out["nmi_clustered_only"] = float(normalized_mutual_info_score(t, p, average_method="arithmetic"))
        out["ari_clustered_only"] = float(adjusted_rand_score(t, p))
    if extra:
        out.update(extra)
    return out


# --------------------------------------------------------------------------------------------------
# Peer: what a plain scikit-learn + networkx user writes.

def documents(records):
    """One text per person, as a plain user would write it: the titles and skills as given, joined by spaces."""
    return [" ".join([p["title"] for p in r["positions"] if p.get("title")] + list(r["skills"])) for r in records]


def run_peer(records, seed):
    import networkx as nx
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.neighbors import NearestNeighbors
    t0 = time.perf_counter()
    docs = documents(records)
    X = TfidfVectorizer(sublinear_tf=True).fit_transform(docs)
    k = min(16, len(records))
    distances, neighbours = NearestNeighbors(n_neighbors=k, metric="cosine", algorithm="brute").fit(X).kneighbors(X)
    G = nx.Graph()
    G.add_nodes_from(range(len(records)))
    for i in range(len(records)):
        row = [(j, d) for j, d in zip(neighbours[i], distances[i]) if j != i][:k - 1]
        for j, d in row:
            w = max(0.0, 1.0 - float(d))
            if not G.has_edge(i, j) or G[i][j]["weight"] < w:
                G.add_edge(i, j, weight=w)
    communities = nx.community.louvain_communities(G, weight="weight", resolution=1, seed=seed)
    seconds = time.perf_counter() - t0
    partition = {}
    for c, members in enumerate(communities):
        for i in members:
            partition[records[i]["id"]] = c
    return partition, seconds, dict(edges=G.number_of_edges())


def run_supervised(records, truth, seed):
    """A reference, not a clustering: a linear classifier (LinearSVC over word and character 2–4-gram
    TF-IDF of the same documents as the peer) trained on the TRUE occupations and scored on the people it
    did not see (5-fold stratified cross-validation); its predicted occupations are the "clusters". It shows
    how much room the data leave above the peer; it is not a strict bound (a clustering can beat it)."""
    from scipy.sparse import hstack
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.model_selection import StratifiedKFold, cross_val_predict
    from sklearn.svm import LinearSVC
    t0 = time.perf_counter()
    docs = documents(records)
    X = hstack([TfidfVectorizer(sublinear_tf=True).fit_transform(docs),
                TfidfVectorizer(sublinear_tf=True, analyzer="char_wb", ngram_range=(2, 4)).fit_transform(docs)]).tocsr()
    folds = min(5, min(collections.Counter(truth).values()))
    if folds < 2:
        return None, time.perf_counter() - t0
    predicted = cross_val_predict(LinearSVC(C=1.0), X, truth, cv=StratifiedKFold(folds, shuffle=True, random_state=seed))
    seconds = time.perf_counter() - t0
    return {r["id"]: str(p) for r, p in zip(records, predicted)}, seconds


# --------------------------------------------------------------------------------------------------
# Kindred, installed as a user would.

def install_kindred(binary, prefix):
    target = os.path.join(prefix, "bin", "kindred")
    os.makedirs(os.path.dirname(target), exist_ok=True)
    shutil.copy2(binary, target)
    os.chmod(target, 0o755)
    return target


def pseudonym(raw_id):
    return "k" + hmac.new(DEMO_KEY, raw_id.encode("utf-8"), hashlib.sha256).hexdigest()[:24]


class KindredFailure(Exception):
    pass


KINDRED_ENV = None  # set by main(): a fresh user's environment


def fresh_user_env(home):
    """The environment of a user who just installed kindred: an empty HOME, no KINDRED_* settings (so no
    catalogue set up in ~/.local/share/kindred and no KINDRED_CATALOG), nothing from XDG_DATA_HOME."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KINDRED_") and k != "XDG_DATA_HOME"}
    os.makedirs(home, exist_ok=True)
    env["HOME"] = home
    return env


def run_cmd(cmd, cwd, log_lines):
    """Runs one kindred command; returns (wall seconds, the JSON summary on stdout's last line)."""
    log_lines.append("$ " + shlex.join(cmd))
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, env=KINDRED_ENV)
    seconds = time.perf_counter() - t0
    if proc.stderr.strip():
        log_lines.append(proc.stderr.strip()[-4000:])
    if proc.returncode != 0:
        raise KindredFailure(f"`kindred {cmd[1]}` exited {proc.returncode}: "
                             f"{(proc.stderr.strip() or proc.stdout.strip())[-600:]}")
    try:
        summary = json.loads(proc.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        summary = {"stdout": proc.stdout[-2000:]}
    return seconds, summary


def read_partition(path):
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    if rows and rows[0][:2] == ["node", "community"]:
        rows = rows[1:]
    return {r[0]: r[1] for r in rows if len(r) >= 2}


def run_kindred(kindred, people, truth_path, records, extra_clean, args, out_folder):
    """clean → graph → cluster (→ evaluate) in `out_folder` (the working folder, outside the repo)."""
    os.makedirs(out_folder, exist_ok=True)
    lines, summaries, seconds = [], {}, 0.0
    clean = os.path.join(out_folder, "clean.jsonl")
    graph = os.path.join(out_folder, "g.kgraph")
    clusters = os.path.join(out_folder, "clusters.csv")
    steps = [
        ("clean", [kindred, "clean", people, "--output", clean, "--quarantine",
                   os.path.join(out_folder, "quarantine.jsonl"), "--demo-key", "--json"]
         + extra_clean + shlex.split(args.kindred_clean_args)),
        ("graph", [kindred, "graph", clean, "--output", graph, "--json"] + shlex.split(args.kindred_graph_args)),
        ("cluster", [kindred, "cluster", graph, "--output", clusters, "--json"]
         + shlex.split(args.kindred_cluster_args)),
    ]
    result = dict(commands=[shlex.join(c) for _, c in steps], cwd=out_folder)
    try:
        for name, cmd in steps:
            s, summary = run_cmd(cmd, out_folder, lines)
            seconds += s
            summaries[name] = summary
            summaries[name + "_wall_seconds"] = round(s, 3)
    except KindredFailure as e:
        result.update(status="failed", error=str(e), summaries=summaries, log=lines)
        return None, seconds, result
    # Map pseudonyms back to raw ids, and check the mapping against clean.jsonl.
    back = {pseudonym(r["id"]): r["id"] for r in records}
    clean_ids = []
    with open(clean, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                clean_ids.append(json.loads(line).get("id"))
    unknown_clean = [c for c in clean_ids if c not in back]
    pseudo_partition = read_partition(clusters)
    partition = {back[n]: c for n, c in pseudo_partition.items() if n in back}
    result["ids"] = dict(clean_written=len(clean_ids), clean_ids_not_recomputed=len(unknown_clean),
                         cluster_nodes=len(pseudo_partition),
                         cluster_nodes_not_recomputed=len(pseudo_partition) - len(partition),
                         quarantined=summaries.get("clean", {}).get("quarantined"))
    if unknown_clean:
        log(f"  warning: {len(unknown_clean)} of {len(clean_ids)} ids in clean.jsonl are not HMAC-SHA256(demo key, raw id)")
    try:
        _, summaries["evaluate"] = run_cmd(
            [kindred, "evaluate", "--clusters", clusters, "--truth", truth_path, "--pseudonymize-truth",
             "--demo-key", "--json"], out_folder, lines)
    except KindredFailure as e:
        summaries["evaluate"] = {"error": str(e)}
    result.update(status="ok", summaries=summaries, log=lines)
    return partition, seconds, result


# --------------------------------------------------------------------------------------------------
# Report.

def fmt(v, digits=3):
    if v is None:
        return "–"
    if isinstance(v, float):
        return f"{v:.{digits}f}"
    return str(v)


def table(split, dataset, results, n, occupations):
    lines = [f"### {dataset} ({split} split: {occupations} occupations, {n} people)", "",
             "| method | NMI | ARI | eyeball | clusters | unclustered | seconds |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for m in METHODS:
        r = results.get(m)
        if r is None:
            continue
        if r["status"] != "ok":
            error = " ".join(r.get("error", "").split()).replace("|", "/")
            lines.append(f"| {m} | {r['status']}: {error[:160]} | | | | | |")
            continue
        lines.append(f"| {m} | {fmt(r['nmi'])} | {fmt(r['ari'])} | {fmt(r['eyeball'])} | {r['clusters']} | "
                     f"{r['unclustered']} | {fmt(r['seconds'], 2)} |")
    return "\n".join(lines)


def targets(results):
    k, p = results.get("kindred-defaults"), results.get("peer")
    if not k or k["status"] != "ok":
        return dict(passed=False, note="kindred-defaults did not run"), "target: MISS (kindred-defaults did not run)"
    d_nmi, d_ari = k["nmi"] - p["nmi"], k["ari"] - p["ari"]
    checks = dict(delta_nmi=(d_nmi, d_nmi >= TARGETS["delta_nmi"]), delta_ari=(d_ari, d_ari >= TARGETS["delta_ari"]),
                  eyeball=(k["eyeball"], k["eyeball"] >= TARGETS["eyeball"]),
                  unclustered=(k["unclustered"], k["unclustered"] <= TARGETS["unclustered"]))
    word = {True: "PASS", False: "MISS"}
    line = (f"target (kindred-defaults vs peer): ΔNMI {d_nmi:+.3f} (≥ +{TARGETS['delta_nmi']:.2f}) "
            f"{word[checks['delta_nmi'][1]]} · ΔARI {d_ari:+.3f} (≥ +{TARGETS['delta_ari']:.2f}) "
            f"{word[checks['delta_ari'][1]]} · eyeball {k['eyeball']:.3f} (≥ {TARGETS['eyeball']:.2f}) "
            f"{word[checks['eyeball'][1]]} · unclustered {k['unclustered']} (= 0) {word[checks['unclustered'][1]]}")
    out = {name: dict(value=v, target=TARGETS[name], passed=ok) for name, (v, ok) in checks.items()}
    out["passed"] = all(ok for _, ok in checks.values())
    ceiling = results.get("supervised-ceiling")
    if ceiling and ceiling["status"] == "ok":
        out["nmi_target_vs_ceiling"] = dict(target_nmi=p["nmi"] + TARGETS["delta_nmi"], ceiling_nmi=ceiling["nmi"])
        line += "\n" + ceiling_line(p["nmi"] + TARGETS["delta_nmi"], ceiling["nmi"])
    return out, line


def ceiling_line(target_nmi, ceiling_nmi):
    """Whether the NMI target (peer + 0.03) lies within what the supervised classifier reaches."""
    where = "within" if target_nmi <= ceiling_nmi else "ABOVE"
    return (f"NMI target peer + {TARGETS['delta_nmi']:.2f} = {target_nmi:.3f}; supervised ceiling {ceiling_nmi:.3f}: "
            f"the target is {where} what a classifier trained on the true occupations reaches")


def median_table(split, dataset, runs, seeds):
    """The medians over seeds of each method's NMI, ARI and eyeball, and of kindred-defaults' deltas to the
    peer (per seed, then the median), with the targets judged on those medians."""
    lines = [f"### {dataset} ({split} split): medians over seeds {', '.join(map(str, seeds))}", "",
             "| method | NMI | ARI | eyeball | unclustered (max) |", "|---|---:|---:|---:|---:|"]
    medians = {}
    for m in METHODS:
        ok = [r[m] for r in runs if m in r and r[m]["status"] == "ok"]
        if len(ok) != len(runs):
            continue
        medians[m] = {k: statistics.median(r[k] for r in ok) for k in ("nmi", "ari", "eyeball")}
        medians[m]["unclustered"] = max(r["unclustered"] for r in ok)
        lines.append(f"| {m} | {fmt(medians[m]['nmi'])} | {fmt(medians[m]['ari'])} | {fmt(medians[m]['eyeball'])} | "
                     f"{medians[m]['unclustered']} |")
    if "kindred-defaults" not in medians or "peer" not in medians:
        return "\n".join(lines + ["", "target: MISS (a method failed for some seed)"]), medians
    d_nmi = statistics.median(r["kindred-defaults"]["nmi"] - r["peer"]["nmi"] for r in runs)
    d_ari = statistics.median(r["kindred-defaults"]["ari"] - r["peer"]["ari"] for r in runs)
    k = medians["kindred-defaults"]
    word = {True: "PASS", False: "MISS"}
    medians["delta_nmi"], medians["delta_ari"] = d_nmi, d_ari
    line = (f"target (medians, kindred-defaults vs peer): ΔNMI {d_nmi:+.3f} (≥ +{TARGETS['delta_nmi']:.2f}) "
            f"{word[d_nmi >= TARGETS['delta_nmi']]} · ΔARI {d_ari:+.3f} (≥ +{TARGETS['delta_ari']:.2f}) "
            f"{word[d_ari >= TARGETS['delta_ari']]} · eyeball {k['eyeball']:.3f} (≥ {TARGETS['eyeball']:.2f}) "
            f"{word[k['eyeball'] >= TARGETS['eyeball']]} · unclustered {k['unclustered']} (= 0) "
            f"{word[k['unclustered'] <= TARGETS['unclustered']]}")
    if "supervised-ceiling" in medians:
        target_nmi = medians["peer"]["nmi"] + TARGETS["delta_nmi"]
        line += "\n" + ceiling_line(target_nmi, medians["supervised-ceiling"]["nmi"])
    return "\n".join(lines + ["", line]), medians


# --------------------------------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(prog="scripts/eval-people", description=" ".join(__doc__.split("\n")[:2]),
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog="\n".join(__doc__.split("\n")[2:]))
    ap.add_argument("--data", default=os.path.join(os.path.dirname(ROOT), "shared", "data"),
                    help="folder with the onet_*.tsv.gz files (default ../shared/data)")
    ap.add_argument("--seed", type=int, default=1, help="seed of the people and of the peer's Louvain (default 1)")
    ap.add_argument("--seeds", default=None, help="comma-separated seeds (e.g. 1,2,3): a table per seed, then the medians "
                    "over the seeds and the targets judged on them (overrides --seed)")
    ap.add_argument("--people", type=int, default=3000, help="people per dataset (default 3000)")
    ap.add_argument("--split", choices=["dev", "test", "all"], default="dev",
                    help="dev (tune here), test (held-out occupations) or all (both, a table each); default dev")
    ap.add_argument("--datasets", default=",".join(DATASETS), help=f"comma-separated, of {', '.join(DATASETS)}")
    ap.add_argument("--kindred", required=True, help="kindred binary (scripts/eval-people builds and passes it); "
                    "a copy is installed in a temporary prefix and run from a temporary folder")
    ap.add_argument("--kindred-clean-args", default="", help="extra flags for `kindred clean` (both kindred methods); a single flag as "
                    "--kindred-clean-args=--no-learn")
    ap.add_argument("--kindred-graph-args", default="", help="extra flags for `kindred graph`")
    ap.add_argument("--kindred-cluster-args", default="", help="extra flags for `kindred cluster`")
    ap.add_argument("--peer-repeats", type=int, default=1, help="peer runs per dataset; the median time is reported")
    ap.add_argument("--output", default=None, help="write all results (and kindred's JSON summaries) here as JSON")
    ap.add_argument("--keep", default=None, help="keep the generated people and kindred's outputs in this folder")
    args = ap.parse_args()
    datasets = [d.strip() for d in args.datasets.split(",") if d.strip()]
    for d in datasets:
        if d not in DATASETS:
            ap.error(f"unknown dataset {d!r} (choose from {', '.join(DATASETS)})")
    if args.people < 20:
        ap.error("--people must be at least 20")
    if not os.path.isfile(args.kindred) or not os.access(args.kindred, os.X_OK):
        ap.error(f"--kindred {args.kindred}: not an executable file")
    data = os.path.abspath(args.data)
    splits = ["dev", "test"] if args.split == "all" else [args.split]
    try:
        seeds = [int(x) for x in args.seeds.split(",") if x.strip()] if args.seeds else [args.seed]
    except ValueError:
        ap.error("--seeds takes whole numbers separated by commas")

    started = time.perf_counter()
    onet = ONet(data)
    log(f"O*NET: {len(onet.codes)} occupations; reported titles not in the dictionary: "
        f"{onet.reported_usable_literal} of {onet.reported_total}")
    if onet.reported_mode == "held-out":
        log(f"note: onet-reported: too few reported titles are missing from O*NET's own titles, so they are held out "
            f"of the dictionary instead: kindred-onet gets the O*NET files without the {len(onet.held_out_alternates)} "
            f"alternate titles equal to a reported title; {onet.reported_usable} reported titles usable")

    work = tempfile.mkdtemp(prefix="eval-people-")
    if os.path.realpath(work).startswith(os.path.realpath(ROOT) + os.sep):
        sys.exit(f"eval-people: the temporary folder {work} is inside the repository; set TMPDIR elsewhere")
    out = dict(args=vars(args), data=data, kindred_source=os.path.abspath(args.kindred), splits={},
               reported_titles=dict(mode=onet.reported_mode, total=onet.reported_total,
                                    not_in_dictionary=onet.reported_usable_literal, usable=onet.reported_usable,
                                    held_out_alternate_titles=len(onet.held_out_alternates)))
    markdown = []
    try:
        global KINDRED_ENV
        kindred = install_kindred(os.path.abspath(args.kindred), os.path.join(work, "kindred-install"))
        KINDRED_ENV = fresh_user_env(os.path.join(work, "home"))
        out["kindred_installed"] = kindred
        out["kindred_environment"] = "HOME=" + KINDRED_ENV["HOME"] + " (empty), no KINDRED_* variables, no XDG_DATA_HOME"
        clean_help = subprocess.run([kindred, "clean", "--help"], capture_output=True, text=True, cwd=work,
                                    env=KINDRED_ENV)
        has_catalog = "--catalog" in clean_help.stdout
        version = subprocess.run([kindred, "--version"], capture_output=True, text=True, cwd=work, env=KINDRED_ENV)
        out["kindred_version"] = (version.stdout or version.stderr).strip()[:200]
        if not has_catalog:
            log("note: `kindred clean --help` has no --catalog option: kindred-onet is skipped")
        for seed, split in [(seed, split) for seed in seeds for split in splits]:
            args.seed = seed
            key = split if len(seeds) == 1 else f"{split}/seed{seed}"
            out["splits"][key] = {}
            for dataset in datasets:
                eligible = onet.eligible(split, dataset)
                want = OCCUPATIONS_PER_DATASET[dataset]
                rng = random.Random(f"eval-people:{args.seed}:{split}:{dataset}")
                chosen = sorted(rng.sample(eligible, min(want, len(eligible))))
                if len(chosen) < want:
                    log(f"note: {split}/{dataset}: only {len(chosen)} eligible occupations (wanted {want})")
                records, truth, gen_stats = make_people(onet, dataset, chosen, args.people, rng)
                folder = os.path.join(work, f"seed{seed}", split, dataset)
                os.makedirs(folder)
                people, truth_path = write_people(folder, records, truth)
                ids = [r["id"] for r in records]
                log(f"{split}/{dataset}: {len(records)} people over {len(chosen)} occupations "
                    f"({len(eligible)} eligible) → {folder}")
                results = {}
                peer_runs = [run_peer(records, args.seed) for _ in range(max(1, args.peer_repeats))]
                partition, _, peer_extra = peer_runs[0]
                peer_seconds = statistics.median(s for _, s, _ in peer_runs)
                results["peer"] = score(partition, ids, truth, onet, peer_seconds, peer_extra)
                log(f"  peer: NMI {results['peer']['nmi']:.3f}, {peer_seconds:.2f} s")
                variants = [("kindred-defaults", [])]
                if has_catalog:
                    catalog = data
                    if dataset == "onet-reported" and onet.reported_mode == "held-out":
                        catalog = os.path.join(work, "catalog-held-out")
                        if not os.path.isdir(catalog):
                            removed = onet.held_out_catalog(catalog)
                            out["reported_titles"]["alternate_title_rows_removed"] = removed
                    variants.append(("kindred-onet", ["--catalog", catalog]))
                else:
                    results["kindred-onet"] = dict(status="skipped", error="kindred clean has no --catalog option")
                for name, extra in variants:
                    partition, seconds, info = run_kindred(kindred, people, truth_path, records, extra, args,
                                                           os.path.join(folder, name))
                    if partition is None:
                        results[name] = dict(status="failed", error=info["error"], seconds=seconds, kindred=info)
                        log(f"  {name}: FAILED: {info['error']}")
                        continue
                    results[name] = score(partition, ids, truth, onet, seconds, dict(kindred=info))
                    ev = info["summaries"].get("evaluate", {})
                    r = results[name]
                    log(f"  {name}: NMI {r['nmi']:.3f}, {r['unclustered']} unclustered, {seconds:.2f} s"
                        + (f"; kindred evaluate NMI {ev['nmi']:.3f} ARI {ev['ari']:.3f}" if "nmi" in ev else ""))
                    if "nmi" in ev:
                        mine_nmi = r.get("nmi_clustered_only", r["nmi"])
                        mine_ari = r.get("ari_clustered_only", r["ari"])
                        r["evaluate_agrees"] = abs(ev["nmi"] - mine_nmi) < 1e-3 and abs(ev["ari"] - mine_ari) < 1e-3
                        if not r["evaluate_agrees"]:
                            log(f"  warning: kindred evaluate (NMI {ev['nmi']:.4f}, ARI {ev['ari']:.4f}) differs from "
                                f"this driver's over the clustered people (NMI {mine_nmi:.4f}, ARI {mine_ari:.4f})")
                ceiling, ceiling_seconds = run_supervised(records, truth, args.seed)
                if ceiling is not None:
                    results["supervised-ceiling"] = score(ceiling, ids, truth, onet, ceiling_seconds)
                    log(f"  supervised-ceiling: NMI {results['supervised-ceiling']['nmi']:.3f}")
                target, target_line = targets(results)
                md = table(f"{split} split, seed {seed}", dataset, results, len(records), len(chosen)) + "\n\n" + target_line
                markdown.append(md)
                print("\n" + md + "\n", flush=True)
                out["splits"][key][dataset] = dict(occupations=chosen, eligible=len(eligible), people=len(records),
                                                     generation=gen_stats, methods=results, targets=target)
        if len(seeds) > 1:
            out["medians"] = {}
            for split in splits:
                for dataset in datasets:
                    runs = [out["splits"][f"{split}/seed{seed}"][dataset]["methods"] for seed in seeds]
                    md, medians = median_table(split, dataset, runs, seeds)
                    out["medians"][f"{split}/{dataset}"] = medians
                    markdown.append(md)
                    print("\n" + md + "\n", flush=True)
        out["seconds_total"] = round(time.perf_counter() - started, 2)
        out["markdown"] = "\n\n".join(markdown)
        print(f"total {out['seconds_total']:.1f} s")
        if args.keep:
            keep = os.path.abspath(args.keep)
            os.makedirs(keep, exist_ok=True)
            for seed in seeds:
                shutil.copytree(os.path.join(work, f"seed{seed}"), os.path.join(keep, f"seed{seed}"), dirs_exist_ok=True)
            print(f"kept the people and kindred's outputs in {keep}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if args.output:
        with open(args.output, "w") as f:
            json.dump(out, f, indent=2)
        print(f"results → {args.output}")
    failed = [f"{s}/{d}/{m}" for s, ds in out["splits"].items() for d, r in ds.items()
              for m, v in r["methods"].items() if v["status"] == "failed"]
    if failed:
        sys.exit(f"eval-people: kindred failed in {', '.join(failed)} (see the tables)")


if __name__ == "__main__":
    main()
