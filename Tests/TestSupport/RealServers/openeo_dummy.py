"""openeo-driver's dummy backend, served for tilefleet's contract tests.

Usage: python openeo_dummy.py PORT [RUN_SECONDS]

The plug-in: the dummy backend keeps a started job "running" forever and ignores a cancel. Here a
started job ends "finished" RUN_SECONDS after its start (a job whose title contains "[fail]" ends
"error" with an error-level log line), and a cancel ends it "canceled", as a real backend does.
Everything else (routes, basic auth, job listing, results, logs) is openeo-driver's own code.
"""

import os
import sys
import time

import openeo_driver.dummy

os.environ.setdefault(
    "OPENEO_BACKEND_CONFIG", os.path.join(os.path.dirname(openeo_driver.dummy.__file__), "dummy_config.py")
)

from openeo_driver.backend import JOB_STATUS  # noqa: E402
from openeo_driver.dummy import dummy_backend  # noqa: E402
from openeo_driver.dummy.dummy_backend import DummyBackendImplementation, DummyBatchJobs  # noqa: E402
from openeo_driver.views import build_app  # noqa: E402

RUN_SECONDS = float(sys.argv[2]) if len(sys.argv) > 2 else 1.0
_started = {}


def _start_job(self, job_id, user):
    self._update_status(job_id=job_id, user_id=user.user_id, status=JOB_STATUS.RUNNING)
    _started[job_id] = time.monotonic()


def _settle(job_id, user_id):
    """Moves a running job past its run time to its final status."""
    key = (user_id, job_id)
    job = DummyBatchJobs._job_registry.get(key)
    if job is None or job.status != JOB_STATUS.RUNNING or job_id not in _started:
        return
    if time.monotonic() - _started[job_id] < RUN_SECONDS:
        return
    if "[fail]" in (job.title or ""):
        DummyBatchJobs._custom_job_logs[job_id] = [
            {"id": "1", "level": "info", "message": "processing started"},
            {"id": "2", "level": "error", "message": "Simulated failure: the process raised an error."},
        ]
        DummyBatchJobs._update_status(job_id, user_id, JOB_STATUS.ERROR)
    else:
        DummyBatchJobs._update_status(job_id, user_id, JOB_STATUS.FINISHED)


_original_get_job_info = DummyBatchJobs._get_job_info
_original_get_user_jobs = DummyBatchJobs.get_user_jobs


def _get_job_info(self, job_id, user_id):
    _settle(job_id, user_id)
    return _original_get_job_info(self, job_id=job_id, user_id=user_id)


def _get_user_jobs(self, user_id, limit=None, request_parameters=None):
    for (owner, job_id) in list(DummyBatchJobs._job_registry):
        if owner == user_id:
            _settle(job_id, user_id)
    return _original_get_user_jobs(self, user_id=user_id, limit=limit, request_parameters=request_parameters)


def _cancel_job(self, job_id, user_id):
    job = _original_get_job_info(self, job_id=job_id, user_id=user_id)
    if job.status in (JOB_STATUS.QUEUED, JOB_STATUS.RUNNING):
        DummyBatchJobs._update_status(job_id, user_id, JOB_STATUS.CANCELED)


DummyBatchJobs.start_job = _start_job
DummyBatchJobs._get_job_info = _get_job_info
DummyBatchJobs.get_user_jobs = _get_user_jobs
DummyBatchJobs.cancel_job = _cancel_job

if __name__ == "__main__":
    port = int(sys.argv[1])
    app = build_app(backend_implementation=DummyBackendImplementation())
    app.run(host="127.0.0.1", port=port, threaded=True, use_reloader=False)
