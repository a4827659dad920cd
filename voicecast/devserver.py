"""`voicecast dev`: run Redis, migrations, the web app and RQ workers together, like foreman.

Every child runs in its own session, so a Ctrl-C in the terminal reaches only this supervisor,
which then stops the children in order: app processes first, Redis last (so it can save its RDB
after the workers are gone). Children also get PR_SET_PDEATHSIG, so killing the supervisor with
SIGKILL still takes them down, and the supervisor is a child subreaper, so grandchildren left
behind (an RQ work horse, the RQ scheduler process) come back to it and are killed at shutdown.
"""

from __future__ import annotations

import ctypes
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from urllib.parse import urlsplit, urlunsplit

from voicecast import embedded_redis
from voicecast.config import default_redis_url
from voicecast.devserver_banner import wait_and_print_banner  # noqa: F401  (placeholder)
