"""Alembic environment: the bot's engine when called from the bot, DATABASE_URL otherwise."""

from alembic import context
from sqlalchemy import Engine

from bot.store.models import Base

config = context.config
target_metadata = Base.metadata


def _engine() -> Engine:
    engine = config.attributes.get("engine")
    if engine is not None:
        return engine
    from bot.config import load_settings
    from bot.store.db import make_engine

    url = config.get_main_option("sqlalchemy.url") or load_settings().database_url
    return make_engine(url, bounded=False)


def run_migrations_offline() -> None:
    from bot.config import load_settings

    context.configure(
        url=config.get_main_option("sqlalchemy.url") or load_settings().database_url,
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    with _engine().connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
