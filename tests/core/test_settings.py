"""The embedded default's file-based email lands in var/mail/, wherever the process started."""

from pathlib import Path

from django.conf import settings


def test_embedded_email_is_written_under_var_mail():
    assert Path(settings.EMAIL_FILE_PATH).is_absolute()
    assert Path(settings.EMAIL_FILE_PATH) == Path(settings.VAR_DIR) / "mail"
