"""Nodes of the notify pipeline."""

import logging

logger = logging.getLogger(__name__)


def notify_run_finished(message: str) -> None:
    """Log ``message``, standing in for a real notification (chat, e-mail, ...)."""
    logger.info(message)
