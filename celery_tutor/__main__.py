"""Lets `python -m celery_tutor` run the command line."""

from celery_tutor.cli import main

raise SystemExit(main())
