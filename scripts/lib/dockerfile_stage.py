"""Prints the instructions of a Dockerfile's last stage (the runtime image), one per line, tab-separated, for
scripts/test-package to carry out in a chroot: joins continued lines, drops comments, substitutes ${ARG}s with
their defaults, and fails on an instruction it does not know, so the test cannot silently skip a step.

    python3 scripts/lib/dockerfile_stage.py scripts/deploy/Dockerfile
    RUN<TAB>/usr/local/sbin/kindred-container-setup && rm …
    COPY<TAB>scripts/deploy/container-setup<TAB>/usr/local/sbin/kindred-container-setup
    COPY-FROM<TAB>build<TAB>/opt/kindred<TAB>/opt/kindred
    ENV<TAB>PATH<TAB>/opt/kindred/bin:…
    USER<TAB>10001:10001 · WORKDIR<TAB>/data · HEALTHCHECK<TAB>["…"] · ENTRYPOINT<TAB>["…"] · CMD<TAB>["…"]
"""
import json
import re
import shlex
import sys


def logical_lines(text):
    """Instructions with their continuation lines joined; comments and blank lines dropped."""
    current = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not current and (not line or line.startswith("#")):
            continue
        if current and line.startswith("#"):
            continue  # a comment inside a continued instruction
        if line.endswith("\\"):
            current += line[:-1] + " "
            continue
        current += line
        yield current.strip()
        current = ""
    if current.strip():
        yield current.strip()


def main(path):
    with open(path) as f:
        lines = list(logical_lines(f.read()))
    args = {}
    stages = []
    for line in lines:
        keyword, _, rest = line.partition(" ")
        keyword = keyword.upper()
        if keyword == "ARG" and not stages:
            name, _, default = rest.partition("=")
            args[name.strip()] = default.strip()
        elif keyword == "FROM":
            stages.append([])
        elif stages:
            stages[-1].append((keyword, rest.strip()))
    if not stages:
        sys.exit(f"{path}: no FROM")

    def expand(value):
        return re.sub(r"\$\{(\w+)\}", lambda m: args.get(m.group(1), m.group(0)), value)

    for keyword, rest in stages[-1]:
        rest = expand(rest)
        if keyword == "ARG":
            name, _, default = rest.partition("=")
            args[name.strip()] = default.strip()
        elif keyword in ("LABEL", "VOLUME", "SHELL", "EXPOSE", "STOPSIGNAL"):
            continue  # metadata: nothing to carry out
        elif keyword == "RUN":
            print(f"RUN\t{rest}")
        elif keyword == "COPY":
            parts = shlex.split(rest)
            source = [p for p in parts if p.startswith("--from=")]
            parts = [p for p in parts if not p.startswith("--")]
            if len(parts) != 2:
                sys.exit(f"{path}: COPY with {len(parts)} paths is not supported by the chroot test: {rest}")
            if source:
                print(f"COPY-FROM\t{source[0][len('--from='):]}\t{parts[0]}\t{parts[1]}")
            else:
                print(f"COPY\t{parts[0]}\t{parts[1]}")
        elif keyword == "ENV":
            for assignment in shlex.split(rest):
                name, sep, value = assignment.partition("=")
                if not sep:
                    sys.exit(f"{path}: ENV without '=' is not supported: {rest}")
                print(f"ENV\t{name}\t{value}")
        elif keyword in ("USER", "WORKDIR"):
            print(f"{keyword}\t{rest}")
        elif keyword in ("ENTRYPOINT", "CMD"):
            print(f"{keyword}\t{json.dumps(json.loads(rest))}")
        elif keyword == "HEALTHCHECK":
            command = rest[rest.index("CMD") + 3:].strip()
            print(f"HEALTHCHECK\t{json.dumps(json.loads(command))}")
        else:
            sys.exit(f"{path}: instruction {keyword} is not known to the chroot test")


if __name__ == "__main__":
    main(sys.argv[1])
