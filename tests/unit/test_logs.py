"""Job logs: quiet libraries stay quiet, everything else reaches the rule's log."""

import logging
import sys

from graphprior.io.logs import setup_job_logging


def test_art_info_lines_are_dropped_and_its_warnings_kept(tmp_path):
    log_file = tmp_path / "job.log"
    stderr = sys.stderr
    try:
        setup_job_logging(log_file)
        logging.getLogger("art.estimators.classification").info("Inferred 1 hidden layers")
        logging.getLogger("art.attacks").warning("attack did not converge")
        logging.getLogger("graphprior.stages.attack").info("attacked 4 models")
        for handler in logging.getLogger().handlers:
            handler.flush()
    finally:
        sys.stderr = stderr
        logging.basicConfig(force=True)
        setup_job_logging(None)  # closes the job's log file, as the next job would
    text = log_file.read_text()
    assert "Inferred 1 hidden layers" not in text
    assert "attack did not converge" in text
    assert "attacked 4 models" in text
