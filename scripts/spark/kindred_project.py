#!/usr/bin/env python3
"""Assign people to a Kindred model's clusters with Apache Spark: each partition's JSON Lines go through
`kindred project` on the executor, and its CSV rows become that partition's output.

    spark-submit --archives kindred-bundle.tar.gz#kindred kindred_project.py INPUT OUTPUT \\
        [--method vote|centroid] [--partitions N] [--demo-key | --key-file NAME] [--threads N] [--chunk-size N]
        [--bundle NAME|/abs/dir]

The bundle is a tar.gz holding the `kindred` binary and the `model/` folder made by `kindred run` (and,
optionally, `lib/` with shared libraries the binary needs). OUTPUT is a folder of part files, one per input
partition, with rows `id,cluster,confidence,second_cluster,reason` and no header: concatenated in name order they
equal `kindred project --no-header` run on the whole input. A record Kindred rejects, or any other failure of
`kindred project`, fails its task with Kindred's own message and exit status, and so the job: no row is dropped.

Keys: `--demo-key` uses Kindred's public demo key; otherwise each executor needs KINDRED_KEY in its environment
(`--conf spark.executorEnv.KINDRED_KEY=...`), or ship a key file with `--files key.txt` and pass `--key-file
key.txt`. See README.md beside this file.
"""

import argparse
import os
import re
import subprocess
import sys
import threading

from pyspark import SparkFiles, TaskContext
from pyspark.sql import SparkSession

OUTPUT_COLUMNS = "id,cluster,confidence,second_cluster,reason"
FAILURE_MARKER = "kindred project failed"


class KindredProjectError(RuntimeError):
    """`kindred project` failed on one partition; the message carries its exit status and stderr."""


def parse_args(argv):
    p = argparse.ArgumentParser(
        prog="kindred_project.py",
        description="Run `kindred project` on every partition of a JSON Lines input (see README.md).",
    )
    p.add_argument("input", help="people JSON Lines: a file, folder or glob Spark can read (local, HDFS, S3, ...)")
    p.add_argument("output", help="output folder (must not exist): part-NNNNN files of CSV rows, no header")
    p.add_argument("--method", choices=["vote", "centroid"], help="kindred project --method (Kindred's default if omitted)")
    p.add_argument("--partitions", type=int, default=None,
                   help="minimum number of input partitions (textFile minPartitions); splits keep input order")
    key = p.add_mutually_exclusive_group()
    key.add_argument("--demo-key", action="store_true",
                     help="use Kindred's public demo key (tests and demos only)")
    key.add_argument("--key-file", metavar="NAME",
                     help="key file on the executors: a name shipped with --files, or an absolute path there")
    p.add_argument("--threads", type=int, default=None,
                   help="kindred project --threads per task (default: spark.task.cpus)")
    p.add_argument("--chunk-size", type=int, default=None, help="kindred project --chunk-size")
    p.add_argument("--bundle", default="kindred",
                   help="the archive's name after '#' in --archives (default kindred), or an absolute folder "
                        "present on every executor")
    args = p.parse_args(argv)
    if args.partitions is not None and args.partitions < 1:
        p.error("--partitions must be at least 1")
    if args.threads is not None and args.threads < 1:
        p.error("--threads must be at least 1")
    return args


# ---------------------------------------------------------------------------------------------- executor side

def resolve_bundle(name):
    """The unpacked bundle folder on this executor.

    `--archives x.tar.gz#NAME` unpacks into the container's working directory on YARN, and into the SparkFiles
    root in local, standalone and Kubernetes modes (Spark 3.1+); look in both."""
    if os.path.isabs(name):
        candidates = [name]
    else:
        candidates = [os.path.join(SparkFiles.getRootDirectory(), name), os.path.join(os.getcwd(), name)]
    for folder in candidates:
        for root in (folder, *sorted(os.path.join(folder, d) for d in _subdirs(folder))):
            if os.path.isfile(os.path.join(root, "kindred")) and os.path.isdir(os.path.join(root, "model")):
                return root
    raise KindredProjectError(
        f"{FAILURE_MARKER}: no bundle (kindred binary + model/) in {' or '.join(candidates)}; "
        f"ship it with --archives kindred-bundle.tar.gz#{name}")


def _subdirs(folder):
    try:
        return [d for d in os.listdir(folder) if os.path.isdir(os.path.join(folder, d)) and d != "model"]
    except OSError:
        return []


def kindred_command(bundle, opts):
    binary = os.path.join(bundle, "kindred")
    if not os.access(binary, os.X_OK):
        try:  # some unpackers drop the mode bits
            os.chmod(binary, 0o755)
        except OSError as e:
            raise KindredProjectError(f"{FAILURE_MARKER}: {binary} is not executable ({e})") from None
    cmd = [binary, "project", "--model", os.path.join(bundle, "model"), "-", "--output", "-", "--no-header",
           "--bad-records", "fail"]
    if opts["method"]:
        cmd += ["--method", opts["method"]]
    if opts["demo_key"]:
        cmd.append("--demo-key")
    elif opts["key_file"]:
        key = opts["key_file"]
        if not os.path.isabs(key):
            key = SparkFiles.get(key)
        cmd += ["--key-file", key]
    threads = opts["threads"]
    if threads is None:
        ctx = TaskContext.get()
        threads = ctx.cpus() if ctx is not None and ctx.cpus() > 0 else 1
    cmd += ["--threads", str(threads)]
    if opts["chunk_size"]:
        cmd += ["--chunk-size", str(opts["chunk_size"])]
    return cmd


def make_partition_runner(opts):
    """The function for mapPartitionsWithIndex: streams the partition into `kindred project` and yields its rows."""

    def run(index, lines):
        lines = iter(lines)
        # Kindred skips blank lines (no row) and rejects an input with no record at all ("the file is empty"), so
        # a partition with no record gets an empty part file and no process. Leading blank lines are still sent,
        # so that Kindred's line numbers stay those of the partition.
        leading = []
        for line in lines:
            leading.append(line)
            if not _blank(line):
                break
        else:
            return
        bundle = resolve_bundle(opts["bundle"])
        cmd = kindred_command(bundle, opts)
        env = dict(os.environ)
        libdir = os.path.join(bundle, "lib")
        if os.path.isdir(libdir):  # shared libraries shipped in the bundle (Swift runtime, OpenBLAS, ...)
            env["LD_LIBRARY_PATH"] = libdir + (":" + env["LD_LIBRARY_PATH"] if env.get("LD_LIBRARY_PATH") else "")
        if opts["demo_key"] or opts["key_file"]:
            env.pop("KINDRED_KEY", None)  # the explicit choice wins; no ambiguity inside Kindred
        proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                env=env, cwd=bundle)
        sent = [0]
        writer_error = []
        stderr_chunks = []

        def feed():
            try:
                with proc.stdin as sink:
                    for line in _chain(leading, lines):
                        sink.write(line.encode("utf-8") + b"\n")
                        if not _blank(line):
                            sent[0] += 1
            except BrokenPipeError:
                pass  # Kindred stopped reading (it failed); its exit status and stderr tell why
            except BaseException as e:  # reading the input failed on our side
                writer_error.append(e)
                proc.kill()

        def drain_stderr():
            stderr_chunks.append(proc.stderr.read())

        writer = threading.Thread(target=feed, name=f"kindred-stdin-{index}", daemon=True)
        reader = threading.Thread(target=drain_stderr, name=f"kindred-stderr-{index}", daemon=True)
        writer.start()
        reader.start()
        rows = 0
        finished = False
        try:
            for raw in proc.stdout:
                rows += 1
                yield raw.rstrip(b"\n").decode("utf-8")
            code = proc.wait()
            writer.join()
            reader.join()
            finished = True
        finally:
            if not finished:  # the consumer stopped early or something raised: do not leave Kindred running
                proc.kill()
                proc.wait()
        if writer_error:
            raise writer_error[0]
        stderr = b"".join(stderr_chunks).decode("utf-8", "replace").strip()
        if code != 0:
            # Kindred's messages carry no personal data; line numbers (-:N) count from this partition's first line.
            tail = "\n".join(stderr.splitlines()[-20:]) or "(no message on stderr)"
            raise KindredProjectError(
                f"{FAILURE_MARKER} on partition {index} (exit status {code}; its line numbers count from the "
                f"partition's first line):\n{tail}")
        if rows != sent[0]:
            raise KindredProjectError(
                f"{FAILURE_MARKER} on partition {index}: {sent[0]} records (non-blank lines) in, {rows} rows out "
                f"(exit status 0)"
                + (f"\n{stderr}" if stderr else ""))

    return run


def _chain(first, rest):
    yield from first
    yield from rest


def _blank(line):
    return not line.strip(" \t\r\n\f\v")


# ------------------------------------------------------------------------------------------------ driver side

def main(argv):
    args = parse_args(argv)
    spark = SparkSession.builder.appName("kindred-project").getOrCreate()
    sc = spark.sparkContext
    opts = {
        "bundle": args.bundle, "method": args.method, "demo_key": args.demo_key, "key_file": args.key_file,
        "threads": args.threads, "chunk_size": args.chunk_size,
    }
    try:
        if args.partitions is not None:
            lines = sc.textFile(args.input, minPartitions=args.partitions)
        else:
            lines = sc.textFile(args.input)
        # textFile splits are in file (and offset) order, and mapPartitionsWithIndex keeps partitions where they
        # are: part-i holds partition i's rows in input order. No shuffle anywhere (repartition would reorder).
        rows = lines.mapPartitionsWithIndex(make_partition_runner(opts), preservesPartitioning=True)
        rows.saveAsTextFile(args.output)
        parts = rows.getNumPartitions()
    except Exception as e:  # Py4JJavaError from the failed stage, or a local error
        code = report_failure(e, sc, lines if "lines" in locals() else None)
        spark.stop()
        return code
    print(f"kindred_project: wrote {parts} part files to {args.output} "
          f"(columns {OUTPUT_COLUMNS}, no header)", file=sys.stderr)
    spark.stop()
    return 0


def report_failure(error, sc, lines):
    """Print Kindred's message (taken from the task's Python traceback) and return an exit status for the job:
    Kindred's own status (e.g. 65 for a malformed record) when it is known, else 1. When the message names a line
    of the partition (`-:N:`), also say which line of the input that is (one more pass over the partitions before
    the failed one, counting lines)."""
    text = str(error)
    messages = []
    for m in re.finditer(re.escape(FAILURE_MARKER) + r"[^\n]*(?:\n(?!\s*at |\tat |Traceback|\S+Error|\S+Exception)"
                                                     r"[^\n]*)*", text):
        block = m.group(0).strip()
        if block not in messages:
            messages.append(block)
    if messages:
        print("kindred_project: error: the job failed:", file=sys.stderr)
        for block in messages[:3]:
            print("  " + block.replace("\n", "\n  "), file=sys.stderr)
        where = input_line(messages[0], sc, lines)
        if where:
            print(f"  that is line {where} of the input (counting lines across the input's files in Spark's "
                  f"partition order)", file=sys.stderr)
        status = re.search(r"exit status (\d+)", messages[0])
        if status and int(status.group(1)) != 0:
            return min(int(status.group(1)), 255)
        return 1
    print(f"kindred_project: error: the job failed: {text.splitlines()[0] if text else type(error).__name__}",
          file=sys.stderr)
    return 1


def input_line(message, sc, lines):
    partition = re.search(r"on partition (\d+) ", message)
    line = re.search(r"^kindred: error: -:(\d+):", message, re.M)
    if lines is None or not partition or not line:
        return None
    index = int(partition.group(1))
    try:
        before = sum(sc.runJob(lines, lambda it: [sum(1 for _ in it)], partitions=list(range(index)))) if index else 0
    except Exception:  # only a hint: never hide the real error behind a second one
        return None
    return before + int(line.group(1))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
