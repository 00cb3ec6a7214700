# resend-otp: `python -m bot serve` as a non-root user. Build: docker build -t resend-otp .
FROM python:3.11-slim

WORKDIR /app
# Only what the bot runs from (.dockerignore keeps .env, .venv and databases out).
COPY pyproject.toml README.md alembic.ini manifest.yml ./
COPY scripts/ scripts/
COPY bot/ bot/
COPY migrations/ migrations/
# The install script CI runs (scripts/test calls it): /app/.venv with the bot. Installed as root, so
# the code stays read-only to the user that runs it.
RUN scripts/install \
    && useradd --system --no-create-home --home-dir /app bot \
    && mkdir /app/data && chown bot:bot /app/data

USER bot
# SQLite (when DATABASE_URL is unset) lives in /app/data: mount a volume there to keep it.
ENV PATH=/app/.venv/bin:$PATH \
    PORT=3000 \
    LOG_FORMAT=json \
    DATABASE_URL=sqlite:////app/data/resend_otp.db
VOLUME /app/data
EXPOSE 3000
HEALTHCHECK CMD python -c "import os, urllib.request; urllib.request.urlopen(f'http://127.0.0.1:{os.environ[\"PORT\"]}/healthz', timeout=2)"
CMD ["python", "-m", "bot", "serve"]
