"""Schedules: the nightly full reconciliation (explicit timezone)."""


import dagster as dg

from assets.jobs import reconcile_job

nightly_reconciliation = dg.ScheduleDefinition(
    name="nightly_reconciliation",
    job=reconcile_job,
    cron_schedule="0 2 * * *",
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Every night at 02:00 UTC: remove index rows the manifest does not hold (duplicates, orphans) "
                "and queue the documents whose rows drifted again.",
)
