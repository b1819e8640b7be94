"""The projection peer of scripts/bench-project: what a user would write instead of `kindred project`.

Reads the training people (JSON Lines) and their cluster labels (CSV id,cluster: kindred's own
clusters of the sample, joined to the raw ids), fits a scikit-learn TfidfVectorizer over each person's
titles and skills and a NearestCentroid; then reads the people to project with json.loads, assigns
each and writes id,cluster. Prints one JSON object: the projection's seconds (reading the input to
the last row written; training not counted) and people per second.

    project_peer.py --train T.jsonl --labels L.csv --input P.jsonl --output OUT.csv
    project_peer.py --score --truth P.truth.csv --assignments OUT.csv [--ids ids.csv]   # NMI vs the truth
"""
import argparse
import csv
import json
import sys
import time


def text(person):
    titles = " ".join(p.get("title") or "" for p in person.get("positions") or [])
    skills = " ".join(person.get("skills") or [])
    return titles + " " + skills


def project(args):
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.neighbors import NearestCentroid

    labels = {}
    with open(args.labels, newline="") as f:
        for row in csv.reader(f):
            if row and row[0] != "id":
                labels[row[0]] = row[1]
    docs, ys = [], []
    with open(args.train) as f:
        for line in f:
            person = json.loads(line)
            if person.get("id") in labels:
                docs.append(text(person))
                ys.append(labels[person["id"]])
    vectorizer = TfidfVectorizer(sublinear_tf=True)
    model = NearestCentroid().fit(vectorizer.fit_transform(docs), ys)

    start = time.perf_counter()
    count = 0
    with open(args.input) as f, open(args.output, "w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["id", "cluster"])
        block_ids, block_docs = [], []

        def flush():
            if block_docs:
                for i, c in zip(block_ids, model.predict(vectorizer.transform(block_docs))):
                    writer.writerow([i, c])
            block_ids.clear()
            block_docs.clear()

        for line in f:
            person = json.loads(line)
            block_ids.append(person.get("id"))
            block_docs.append(text(person))
            count += 1
            if len(block_docs) == 8192:
                flush()
        flush()
    seconds = time.perf_counter() - start
    print(json.dumps({"people": count, "seconds": round(seconds, 3), "people_per_second": round(count / seconds)}))


def score(args):
    from sklearn.metrics import normalized_mutual_info_score

    def read(path, key=0, value=1):
        with open(path, newline="") as f:
            rows = [r for r in csv.reader(f) if r]
        return {r[key]: r[value] for r in rows[1:]}

    truth = read(args.truth)
    assigned = read(args.assignments)
    if args.ids:  # pseudonym → raw id
        raw = {p: i for i, p in read(args.ids).items()}
        assigned = {raw.get(k, k): v for k, v in assigned.items()}
    common = sorted(set(truth) & set(assigned))
    nmi = normalized_mutual_info_score([truth[i] for i in common], [assigned[i] for i in common])
    print(json.dumps({"people": len(common), "nmi": round(nmi, 4)}))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--train")
    parser.add_argument("--labels")
    parser.add_argument("--input")
    parser.add_argument("--output")
    parser.add_argument("--score", action="store_true")
    parser.add_argument("--truth")
    parser.add_argument("--assignments")
    parser.add_argument("--ids")
    args = parser.parse_args()
    score(args) if args.score else project(args)


if __name__ == "__main__":
    sys.exit(main())
