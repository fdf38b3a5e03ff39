"""What the tutor keeps inside a lab node, named once: where background jobs log, the shell prompt it sets."""

# Plain strings, no docker-py: the app reads them before its first frame.
from __future__ import annotations

import re

LOG_DIR = "/var/log/celery-tutor"
# The prompt of the tutor's shell sessions carries the last exit status, so a script sent to one can be judged.
PS1 = "[ct:$?]# "
PROMPT = re.compile(r"\[ct:(\d+)\]([#$]) ")
