import datetime as dt
import io
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# Hypothesis budgets: `ropa` keeps `make test` quick; HYPOTHESIS_PROFILE=ropa-deep runs 25 times as many examples.
settings.register_profile("ropa", max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("ropa-deep", max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ropa"))

ROOT = Path(__file__).resolve().parent.parent
TODAY = dt.date(2026, 11, 22)
SHARED = Path(os.environ.get("ROPA_SHARED") or ROOT.parent / "shared")  # ROPA_SHARED: a checkout elsewhere

HEADER = ("controller,controller_country,activity,purpose,legal_basis,special_condition,data_subjects,"
          "data_categories,retention,security_measures,recipient,recipient_role,engaged_by,recipient_country,"
          "processing_countries,mechanism,mechanism_date,tia,dpa,dpf_certified,evidence,source").split(",")
COMPLETE = {"controller": "Acme BV", "controller_country": "NL", "activity": "Payroll", "purpose": "Pay staff",
            "legal_basis": "contract", "data_subjects": "employees", "data_categories": "name;bank account",
            "retention": "7 years", "security_measures": "encryption", "dpa": "yes", "source": "fixture"}


def register_bytes(*rows: dict, extra_columns: tuple[str, ...] = ()) -> bytes:
    """A register CSV from partial rows; missing columns are empty."""
    import csv
    cols = HEADER + list(extra_columns)
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=cols, lineterminator="\n")
    w.writeheader()
    for r in rows:
        w.writerow({c: r.get(c, "") for c in cols})
    return buf.getvalue().encode("utf-8")


def row(**kw) -> dict:
    """A complete register row (an EEA processor with a DPA) with overrides."""
    return {**COMPLETE, **kw}


@pytest.fixture(autouse=True, scope="session")
def _never_the_users_store(tmp_path_factory):
    """No test reads or writes the user's own store (``.ropa/`` or a ``$ROPA_STORE`` they set): every test
    that does not choose a store itself gets a scratch one for the session, and so do the CLI processes
    the tests start (they inherit the environment)."""
    old = os.environ.get("ROPA_STORE")
    os.environ["ROPA_STORE"] = str(tmp_path_factory.mktemp("store") / "ropa.lbdb")
    yield
    if old is None:
        os.environ.pop("ROPA_STORE", None)
    else:
        os.environ["ROPA_STORE"] = old


@pytest.fixture
def store():
    from ropa.backends.embedded import EmbeddedBackend
    s = EmbeddedBackend(None)
    yield s
    s.close()


def check_rows(*rows, as_of=TODAY, extra_columns=()):
    """Findings for a register given as rows, in a scratch store."""
    from ropa.backends.embedded import EmbeddedBackend
    from ropa.formats.register import read_register
    from ropa.rules import evaluate
    g = read_register(io.BytesIO(register_bytes(*rows, extra_columns=extra_columns)), "fixture.csv")
    with EmbeddedBackend(None) as s:
        s.replace(g)
        return evaluate(s, as_of)


def seeds_dir() -> Path | None:
    d = SHARED / "seeds"
    return d if d.is_dir() else None  # tests that need them skip with a reason


def explorer_on(path):
    """Point the explorer (ROPA_STORE) at ``path`` with empty Streamlit caches; a generator for a fixture
    to ``yield from``: the caller gets ``path``, and the environment and caches are restored after."""
    import streamlit as st
    old = os.environ.get("ROPA_STORE")
    os.environ["ROPA_STORE"] = str(path)
    st.cache_resource.clear()
    st.cache_data.clear()
    yield path
    st.cache_resource.clear()
    st.cache_data.clear()
    if old is None:
        os.environ.pop("ROPA_STORE", None)
    else:
        os.environ["ROPA_STORE"] = old


def single_file_store(tmp_path, graph, name="old.lbdb"):
    """A store as versions before the store directories wrote it: one LadybugDB file."""
    import shutil
    from ropa.backends.embedded import EmbeddedBackend
    staging = tmp_path / (name + ".staging")
    with EmbeddedBackend(staging) as s:
        s.replace(graph)
        data = s._dir.data_path(s._state)
    shutil.copyfile(data, tmp_path / name)
    shutil.rmtree(staging)
    return tmp_path / name
