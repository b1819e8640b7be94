"""Kindred: weekly cluster refresh as an Airflow 2.x DAG (Airflow 2.4+ for `schedule=`).

Copy this file into the DAGs folder of a scheduler whose workers have `kindred` on PATH and
/etc/kindred/job.toml. The secret comes from the Airflow Variable `kindred_secret`:

    airflow variables set kindred_secret "$(cat kindred.key)"

Airflow masks it (as ***) in task logs and in the Rendered Template view because the Variable's
name contains "secret"; a name such as `kindred_key` would not be masked (the default sensitive
words are password, secret, token, api_key, private_key, ...).

Exit codes: Airflow cannot tell them apart, so every non-zero exit is retried (`retries`):
  1   failure or --max-runtime reached: the retry may help (same run key: idempotent)
  75  another run holds the lock: the retry after `retry_delay` usually succeeds
  2, 65 (config / input error), 3 (partial, --strict only): the retries fail the same way within
      seconds; the task ends failed and needs a fix, not a clear.
  99 is BashOperator's default `skip_on_exit_code` (task skipped); Kindred never exits 99.
"""

from datetime import timedelta

import pendulum
from airflow import DAG
from airflow.operators.bash import BashOperator

with DAG(
    dag_id="kindred_refresh",
    description="Weekly Kindred cluster refresh (Mondays 03:00 UTC)",
    schedule="0 3 * * 1",
    start_date=pendulum.datetime(2025, 1, 6, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    tags=["kindred"],
) as dag:
    BashOperator(
        task_id="kindred_run",
        # The run key is Airflow's logical date `{{ ds }}` instead of $(date -u +%F): a retry, a
        # cleared task or a backfill of a given DAG run always gets the same key, so it rewrites
        # the same OUTPUT/runs/KEY/ byte for byte instead of adding a new run. Note that for a
        # schedule the logical date is the start of the data interval, i.e. the previous Monday
        # for the run that starts this Monday; use `{{ data_interval_end | ds }}` if the keys
        # should match the cron/systemd/Kubernetes ones.
        bash_command='kindred run /etc/kindred/job.toml --run-key "{{ ds }}" --log-format json --lock-wait 0 --max-runtime 2h',  # noqa: E501
        # append_env=True keeps the worker's environment (PATH, ...) and adds KINDRED_KEY.
        env={"KINDRED_KEY": "{{ var.value.kindred_secret }}"},
        append_env=True,
        retries=3,
        retry_delay=timedelta(minutes=15),
        # Backstop above --max-runtime 2h (kindred stops itself then with exit 1). On timeout
        # Airflow sends SIGTERM to the process group; kindred keeps the previous outputs.
        execution_timeout=timedelta(hours=2, minutes=15),
    )
