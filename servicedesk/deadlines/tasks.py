from celery import shared_task


@shared_task(name="servicedesk.sweep_deadlines", ignore_result=True)
def sweep_deadlines_task() -> int:
    """Beat's every-minute sweep; returns how many rows the checks acted on."""
    from servicedesk.deadlines.sweep import run_sweep

    return sum(outcome.acted for outcome in run_sweep())
