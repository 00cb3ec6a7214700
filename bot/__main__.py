"""Entry point: `python -m bot COMMAND` and the `resend-otp-bot` console script."""

import sys

from bot.cli import main

if __name__ == "__main__":
    sys.exit(main())
