from clinic_common.db.alembic_env import run_env
from billing.db import Base
from billing import models  # noqa: F401  (registers every table)

run_env(Base.metadata, url_env="BILLING_DATABASE_URL")
