#!/bin/bash
# EC2 user data: a Debian 12 (or Ubuntu 22.04+) instance that refreshes Kindred's clusters on a schedule with a
# systemd timer. Paste it as the instance's user data (cloud-init runs it once, as root, at first boot) after
# editing the settings below. The instance profile's role needs s3:GetObject on the tarball and the input,
# s3:PutObject on the results prefix, and secretsmanager:GetSecretValue on the key's secret.
#
# What it does: installs OpenBLAS (and the AWS CLI when missing), the self-contained Kindred release made by
# scripts/package (checked against its .sha256), an unprivileged user kindred (uid 10001), /srv/kindred/{in,out},
# /etc/kindred/job.toml, and kindred-refresh.service + .timer. Each refresh: fetch the input, read the
# pseudonymisation key from Secrets Manager into the environment of that one run (never written to disk), run
# `kindred run` with the day as run key, copy the newest good run to S3. scripts/test-package runs this file in a
# bare Debian 12 root file system with a stand-in `aws` and runs one refresh.
set -euo pipefail

# ---- settings: edit these
KINDRED_RELEASE_URL="s3://example-bucket/kindred/kindred-0.1.0-linux-x86_64.tar.gz"  # with .sha256 beside it
KINDRED_SECRET_ID="kindred/pseudonym-key"            # Secrets Manager secret holding the key (SecretString)
KINDRED_INPUT_URL="s3://example-bucket/people/people.jsonl.gz"
KINDRED_RESULTS_URL="s3://example-bucket/kindred/results"
KINDRED_SCHEDULE="Mon *-*-* 03:00:00 UTC"            # systemd OnCalendar
KINDRED_MAX_RUNTIME="2h"
# ---- end of settings

export DEBIAN_FRONTEND=noninteractive
log() { echo "kindred user-data: $*"; }

log "installing OpenBLAS"
apt-get update -qq
apt-get install -y -qq --no-install-recommends libopenblas0 ca-certificates >/dev/null
if ! command -v aws >/dev/null 2>&1; then
  log "installing the AWS CLI"
  apt-get install -y -qq --no-install-recommends awscli >/dev/null
fi

log "installing Kindred from $KINDRED_RELEASE_URL"
download="$(mktemp -d)"
aws s3 cp --only-show-errors "$KINDRED_RELEASE_URL" "$download/"
aws s3 cp --only-show-errors "$KINDRED_RELEASE_URL.sha256" "$download/"
(cd "$download" && sha256sum --quiet -c ./*.sha256)
rm -rf /opt/kindred
mkdir -p /opt/kindred
tar -xzf "$download"/*.tar.gz -C /opt/kindred --strip-components=1 --no-same-owner
ln -sf /opt/kindred/bin/kindred /usr/local/bin/kindred
rm -rf "$download"
/opt/kindred/bin/kindred --version >/dev/null

id kindred >/dev/null 2>&1 || useradd --system --uid 10001 --user-group --home-dir /srv/kindred --no-create-home \
  --shell /usr/sbin/nologin kindred
install -d -o kindred -g kindred -m 0750 /srv/kindred /srv/kindred/in /srv/kindred/out
install -d -m 0755 /etc/kindred

cat >/etc/kindred/job.toml <<'EOF'
# Kindred's scheduled refresh (written by the EC2 user data). The key comes from KINDRED_KEY, set by
# kindred-scheduled-refresh for each run from Secrets Manager; it is never in this file.
input = "/srv/kindred/in/people.jsonl.gz"
output = "/srv/kindred/out"
seed = 1
EOF

cat >/etc/kindred/refresh.env <<EOF
KINDRED_SECRET_ID=$KINDRED_SECRET_ID
KINDRED_INPUT_URL=$KINDRED_INPUT_URL
KINDRED_RESULTS_URL=$KINDRED_RESULTS_URL
KINDRED_MAX_RUNTIME=$KINDRED_MAX_RUNTIME
OPENBLAS_NUM_THREADS=1
EOF

cat >/usr/local/bin/kindred-scheduled-refresh <<'EOF'
#!/bin/bash
# One scheduled refresh: input from S3, key from Secrets Manager (in this process's environment only), the run,
# the newest good run's files to S3 under the day's key. Exit status: kindred's (75: another run holds the lock).
set -euo pipefail
: "${KINDRED_SECRET_ID:?}" "${KINDRED_INPUT_URL:?}" "${KINDRED_RESULTS_URL:?}"
day="$(date -u +%F)"
aws s3 cp --only-show-errors "$KINDRED_INPUT_URL" /srv/kindred/in/people.jsonl.gz
KINDRED_KEY="$(aws secretsmanager get-secret-value --secret-id "$KINDRED_SECRET_ID" --query SecretString --output text)"
export KINDRED_KEY
kindred run /etc/kindred/job.toml --run-key "$day" --log-format json --lock-wait 0 --max-runtime "${KINDRED_MAX_RUNTIME:-2h}"
unset KINDRED_KEY
aws s3 cp --only-show-errors --recursive /srv/kindred/out/latest/ "$KINDRED_RESULTS_URL/$day/"
EOF
chmod 0755 /usr/local/bin/kindred-scheduled-refresh

cat >/etc/systemd/system/kindred-refresh.service <<'EOF'
[Unit]
Description=Kindred scheduled cluster refresh
Wants=network-online.target
After=network-online.target

[Service]
Type=oneshot
User=kindred
Group=kindred
EnvironmentFile=/etc/kindred/refresh.env
ExecStart=/usr/local/bin/kindred-scheduled-refresh
# kindred stops cleanly on SIGTERM and keeps the previous outputs.
TimeoutStopSec=300
NoNewPrivileges=yes
ProtectSystem=strict
ProtectHome=yes
PrivateTmp=yes
ReadWritePaths=/srv/kindred
EOF

cat >/etc/systemd/system/kindred-refresh.timer <<EOF
[Unit]
Description=Kindred scheduled cluster refresh

[Timer]
OnCalendar=$KINDRED_SCHEDULE
Persistent=true
RandomizedDelaySec=5min

[Install]
WantedBy=timers.target
EOF

if [ -d /run/systemd/system ]; then
  systemctl daemon-reload
  systemctl enable --now kindred-refresh.timer
  log "kindred-refresh.timer enabled: $(systemctl show -p NextElapseUSecRealtime --value kindred-refresh.timer 2>/dev/null || true)"
else
  log "systemd is not running here: units written, timer not started"
fi
log "done"
