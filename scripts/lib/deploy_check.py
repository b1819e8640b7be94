"""Checks of the cloud recipes in scripts/deploy, run by scripts/check-deploy inside its venv:

1. schema: the AWS Batch job definition and array-job submission against botocore's models of
   RegisterJobDefinition and SubmitJob (the AWS API's own input shapes); the Kubernetes Indexed Job with
   kubernetes-validate --strict at a given Kubernetes version;
2. consistency: the shard count in each command equals the array size / completions; the pseudonymisation key
   comes from a secret (Batch `secrets`, Kubernetes `secretKeyRef`) and no recipe or Dockerfile holds a value for it;
   the user is the image's (10001);
3. a local dry run of each recipe: its command, with /srv/kindred mapped to a temporary folder, run once per array
   index with the index variable that the platform sets (AWS_BATCH_JOB_ARRAY_INDEX, JOB_COMPLETION_INDEX), through the
   image's entry point, with the key in the environment as the secret puts it; then _SUCCESS, one part per index,
   and the parts' rows together equal to a single `kindred project` over the whole input;
4. the `kindred serve` Deployment and Service: kubernetes-validate --strict, the probes on /healthz at the
   container port the Service targets, the key and the bearer token from Secrets, a listen address reachable in
   the pod; then a dry run: its args through the entry point on a model in a read-only folder (--port 0 on the
   loopback), /healthz without the token, /clusters refused without it and answered with it, SIGTERM → exit 0.

    python3 scripts/lib/deploy_check.py ROOT KINDRED_BIN [--k8s-version 1.30.0]
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

import botocore.session
import botocore.validate
import yaml

PASSED = 0
FAILED = 0


def check(ok, message):
    global PASSED, FAILED
    if ok:
        PASSED += 1
        print(f"PASS: {message}")
    else:
        FAILED += 1
        print(f"FAIL: {message}")
    return ok


def botocore_errors(operation, params):
    model = botocore.session.get_session().get_service_model("batch")
    shape = model.operation_model(operation).input_shape
    report = botocore.validate.ParamValidator().validate(params, shape)
    return report.generate_report() if report.has_errors() else ""


def shard_count(args):
    return int(args[args.index("--shards") + 1]) if "--shards" in args else None


def make_model(tmp, root, kindred, key):
    """A temporary /srv/kindred holding the bundled people (in/) and a refresh's output folder (out/) made from
    them, with kindred on PATH; returns the folder and the environment the recipes run with."""
    srv = os.path.join(tmp, "srv", "kindred")
    os.makedirs(os.path.join(srv, "in"))
    shutil.copy(os.path.join(root, "datasets", "people.jsonl"), os.path.join(srv, "in", "people.jsonl"))
    bindir = os.path.join(tmp, "bin")
    os.makedirs(bindir)
    os.symlink(kindred, os.path.join(bindir, "kindred"))
    base_env = {"PATH": f"{bindir}:/usr/bin:/bin", "HOME": tmp, "KINDRED_KEY": key, "OPENBLAS_NUM_THREADS": "1"}
    job = os.path.join(tmp, "job.toml")
    with open(job, "w") as f:
        f.write(f'input = "{srv}/in/people.jsonl"\noutput = "{srv}/out"\nseed = 1\n')
    subprocess.run([kindred, "run", job, "--run-key", "dry-run"], env=base_env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return srv, base_env


def dry_run(name, root, kindred, args, index_variable, count, env, workdir, key):
    """Runs ARGS once per index through the entry point, in a temporary /srv/kindred; compares with one process."""
    with tempfile.TemporaryDirectory(prefix=f"kindred-dry-{name}-") as tmp:
        srv, base_env = make_model(tmp, root, kindred, key)
        mapped = [a.replace("/srv/kindred", srv) for a in args]
        cwd = workdir.replace("/srv/kindred", srv) if workdir.startswith("/srv/kindred") else os.path.join(tmp, workdir.lstrip("/"))
        os.makedirs(cwd, exist_ok=True)
        entrypoint = os.path.join(root, "scripts", "deploy", "container-entrypoint")
        statuses = []
        for i in range(count):
            run_env = dict(base_env, **env, **{index_variable: str(i)})
            done = subprocess.run([entrypoint] + mapped, env=run_env, cwd=cwd, capture_output=True, text=True)
            statuses.append(done.returncode)
            if done.returncode != 0:
                print(done.stderr[-2000:], file=sys.stderr)
        if not check(all(s == 0 for s in statuses),
                     f"{name}: dry run, {count} tasks with {index_variable}=0…{count - 1}: exit statuses {statuses}"):
            return
        output = mapped[mapped.index("--output") + 1]
        parts = sorted(p for p in os.listdir(output) if p.startswith("part-") and p.endswith(".csv"))
        check(os.path.exists(os.path.join(output, "_SUCCESS")) and len(parts) == count,
              f"{name}: dry run wrote _SUCCESS and {len(parts)} part files (expected {count}): {', '.join(parts[:3])}…")
        rows = []
        for part in parts:
            with open(os.path.join(output, part)) as f:
                lines = f.read().splitlines()
            rows += [line for line in lines[1:] if line] if lines and lines[0].startswith("id,") else lines
        single = os.path.join(tmp, "single.csv")
        whole = [a for a in mapped]
        at = whole.index("--shards")
        del whole[at:at + 2]
        whole[whole.index("--output") + 1] = single
        subprocess.run([kindred] + whole, env=base_env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        with open(single) as f:
            reference = [line for line in f.read().splitlines()[1:] if line]
        check(sorted(rows) == sorted(reference) and len(rows) == len(reference),
              f"{name}: the {count} parts hold {len(rows)} rows, the same rows as one `kindred project` over the whole input ({len(reference)})")
        leaked = []
        for folder, _, files in os.walk(srv):
            for file in files:
                with open(os.path.join(folder, file), "rb") as f:
                    if key.encode() in f.read():
                        leaked.append(file)
        check(not leaked, f"{name}: the key is in no file written ({len(leaked)} found)")


def serve_dry_run(root, kindred, args, env, workdir, key):
    """Starts the Deployment's `kindred serve` through the entry point on a model in a read-only folder."""
    name = "Kubernetes serve Deployment"
    token = "dry-run-token-" + os.urandom(8).hex()
    with tempfile.TemporaryDirectory(prefix="kindred-dry-serve-") as tmp:
        srv, base_env = make_model(tmp, root, kindred, key)
        # The pod mounts the data read-only: so does the dry run (for a non-root user; root ignores modes).
        for folder, dirs, files in os.walk(srv):
            for entry in dirs + files:
                path = os.path.join(folder, entry)
                os.chmod(path, os.stat(path).st_mode & ~0o222)
        os.chmod(srv, os.stat(srv).st_mode & ~0o222)
        mapped = [a.replace("/srv/kindred", srv) for a in args]
        mapped[mapped.index("--port") + 1] = "0"
        mapped[mapped.index("--host") + 1] = "127.0.0.1"
        cwd = workdir.replace("/srv/kindred", srv)
        run_env = dict(base_env, **env, KINDRED_SERVE_TOKEN=token)
        entrypoint = os.path.join(root, "scripts", "deploy", "container-entrypoint")
        server = subprocess.Popen([entrypoint] + mapped, env=run_env, cwd=cwd, stderr=subprocess.PIPE, text=True)
        address, log = None, []
        deadline = time.time() + 60
        while time.time() < deadline:
            line = server.stderr.readline()
            if not line:
                break
            log.append(line)
            match = re.search(r"listening on (http://\S+)", line)
            if match:
                address = match.group(1)
                break
        if not check(address is not None, f"{name}: dry run, the server listens ({''.join(log[-3:]).strip()})"):
            server.kill()
            return

        def status(path, bearer=None):
            request = urllib.request.Request(address + path)
            if bearer:
                request.add_header("Authorization", f"Bearer {bearer}")
            try:
                with urllib.request.urlopen(request, timeout=10) as response:
                    return response.status
            except urllib.error.HTTPError as error:
                return error.code

        check(status("/healthz") == 200, f"{name}: dry run, /healthz answers 200 without the token (probes)")
        check(status("/clusters") == 401 and status("/clusters", token) == 200,
              f"{name}: dry run, /clusters is 401 without the token and 200 with it")
        server.terminate()
        try:
            code = server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            code = None
        rest = server.stderr.read()
        check(code == 0, f"{name}: dry run, SIGTERM → exit {code}")
        check(key not in "".join(log) + rest and token not in "".join(log) + rest,
              f"{name}: dry run, neither the key nor the token is in the server's log")
        for folder, dirs, _ in os.walk(srv):
            for entry in dirs + [""]:
                path = os.path.join(folder, entry)
                os.chmod(path, os.stat(path).st_mode | 0o200)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("root")
    parser.add_argument("kindred")
    parser.add_argument("--k8s-version", default="1.30.0")
    options = parser.parse_args()
    root, kindred = options.root, os.path.abspath(options.kindred)
    deploy = os.path.join(root, "scripts", "deploy")
    key = "dry-run-key-" + os.urandom(8).hex()

    # ---- AWS Batch
    with open(os.path.join(deploy, "aws-batch", "job-definition.json")) as f:
        definition = json.load(f)
    with open(os.path.join(deploy, "aws-batch", "submit-array-job.json")) as f:
        submission = json.load(f)
    errors = botocore_errors("RegisterJobDefinition", definition)
    check(not errors, f"AWS Batch job-definition.json is a valid RegisterJobDefinition input (botocore model){errors and ': ' + errors}")
    errors = botocore_errors("SubmitJob", submission)
    check(not errors, f"AWS Batch submit-array-job.json is a valid SubmitJob input (botocore model){errors and ': ' + errors}")
    container = definition["containerProperties"]
    size = submission.get("arrayProperties", {}).get("size")
    check(shard_count(container["command"]) == size, f"AWS Batch: --shards {shard_count(container['command'])} = array size {size}")
    check(submission["jobDefinition"] == definition["jobDefinitionName"], "AWS Batch: the submission names the job definition")
    secrets = {s["name"] for s in container.get("secrets", [])}
    plain = {e["name"] for e in container.get("environment", [])}
    check("KINDRED_KEY" in secrets and "KINDRED_KEY" not in plain,
          "AWS Batch: KINDRED_KEY comes from Secrets Manager (secrets), not from the plain environment")
    check(container.get("user", "").split(":")[0] == "10001", "AWS Batch: runs as the image's user 10001")

    # ---- Kubernetes
    k8s_path = os.path.join(deploy, "kubernetes", "kindred-project-indexed-job.yaml")
    # The refresh CronJob (scripts/cron) is validated too: it is the other half of the Kubernetes recipe.
    cronjob_path = os.path.join(root, "scripts", "cron", "kindred-cronjob.yaml")
    serve_path = os.path.join(deploy, "kubernetes", "kindred-serve.yaml")
    validate = subprocess.run([os.path.join(os.path.dirname(sys.executable), "kubernetes-validate"), "--strict",
                               "--quiet", "-k", options.k8s_version, k8s_path, cronjob_path, serve_path],
                              capture_output=True, text=True)
    check(validate.returncode == 0,
          f"Kubernetes Indexed Job, refresh CronJob and serve Deployment/Service pass kubernetes-validate --strict for {options.k8s_version}"
          + (f": {validate.stdout.strip()} {validate.stderr.strip()}" if validate.returncode else ""))
    with open(k8s_path) as f:
        job = yaml.safe_load(f)
    spec = job["spec"]
    pod = spec["template"]["spec"]
    k8s_container = pod["containers"][0]
    check(spec.get("completionMode") == "Indexed", "Kubernetes: completionMode Indexed (JOB_COMPLETION_INDEX is set)")
    check(shard_count(k8s_container["args"]) == spec["completions"],
          f"Kubernetes: --shards {shard_count(k8s_container['args'])} = completions {spec['completions']}")
    key_env = [e for e in k8s_container.get("env", []) if e["name"] == "KINDRED_KEY"]
    check(len(key_env) == 1 and "secretKeyRef" in key_env[0].get("valueFrom", {}) and "value" not in key_env[0],
          "Kubernetes: KINDRED_KEY comes from a Secret (secretKeyRef)")
    check(pod["securityContext"].get("runAsUser") == 10001 and pod["securityContext"].get("runAsNonRoot") is True,
          "Kubernetes: runs as non-root user 10001")

    with open(serve_path) as f:
        documents = {d["kind"]: d for d in yaml.safe_load_all(f)}
    deployment, service = documents["Deployment"], documents["Service"]
    serve_pod = deployment["spec"]["template"]["spec"]
    serve = serve_pod["containers"][0]
    serve_args = serve["args"]
    port = int(serve_args[serve_args.index("--port") + 1])
    named = {p["name"]: p["containerPort"] for p in serve.get("ports", [])}
    check(serve_args[0] == "serve" and serve_args[serve_args.index("--host") + 1] == "0.0.0.0",
          "Kubernetes serve: `kindred serve --host 0.0.0.0` (the default 127.0.0.1 is unreachable from the Service)")
    check(named.get("http") == port and service["spec"]["ports"][0]["targetPort"] in ("http", port),
          f"Kubernetes serve: container port http = --port {port}, the Service targets it")
    probes = [serve.get("readinessProbe", {}), serve.get("livenessProbe", {})]
    check(all(p.get("httpGet", {}).get("path") == "/healthz" and p["httpGet"].get("port") in ("http", port) for p in probes),
          "Kubernetes serve: readiness and liveness probes on /healthz (no token needed)")
    check(service["spec"]["selector"] == deployment["spec"]["template"]["metadata"]["labels"],
          "Kubernetes serve: the Service selects the Deployment's pods")
    secret_env = {e["name"] for e in serve.get("env", []) if "secretKeyRef" in e.get("valueFrom", {})}
    check({"KINDRED_KEY", "KINDRED_SERVE_TOKEN"} <= secret_env,
          "Kubernetes serve: KINDRED_KEY and KINDRED_SERVE_TOKEN come from Secrets (secretKeyRef)")
    grace = int(serve_args[serve_args.index("--shutdown-grace") + 1])
    check(serve_pod["securityContext"].get("runAsNonRoot") is True and serve_pod.get("terminationGracePeriodSeconds", 30) > grace,
          f"Kubernetes serve: non-root, and terminationGracePeriodSeconds > --shutdown-grace {grace}")

    # ---- no key in any recipe or in the image
    for path in ["Dockerfile", "container-entrypoint", "container-setup", "ec2/user-data.sh"]:
        with open(os.path.join(deploy, path)) as f:
            text = f.read()
        literal = re.search(r'KINDRED_KEY=(?!"\$\(aws secretsmanager get-secret-value)', text)
        check(literal is None,
              f"{path}: sets no KINDRED_KEY value (the key comes from a secret at run time)")

    # ---- dry runs
    dry_run("AWS Batch array job", root, kindred, container["command"], "AWS_BATCH_JOB_ARRAY_INDEX", size,
            {e["name"]: e["value"] for e in container.get("environment", [])}, "/data", key)
    dry_run("Kubernetes Indexed Job", root, kindred, k8s_container["args"], "JOB_COMPLETION_INDEX", spec["completions"],
            {e["name"]: e["value"] for e in k8s_container.get("env", []) if "value" in e},
            k8s_container.get("workingDir", "/data"), key)

    serve_dry_run(root, kindred, serve_args, {e["name"]: e["value"] for e in serve.get("env", []) if "value" in e},
                  serve.get("workingDir", "/data"), key)

    print(f"deploy-check: {PASSED} passed, {FAILED} failed")
    sys.exit(1 if FAILED else 0)


if __name__ == "__main__":
    main()
