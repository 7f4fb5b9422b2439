"""Writes of the instruments app: dictionaries, responses, parent links and queries.

The import path other apps use. Each concern has its own module (``dictionaries``,
``responses``, ``links``, ``queries``, ``verification``); this one gathers their public
functions. Each function is one transaction, checks the capability at the record's site (parent
links check the link instead), and stamps the acting user and reason into the audit trail.
"""

from neuroregen.instruments.dictionaries import dictionary_export, dictionary_import, instrument_get
from neuroregen.instruments.links import (
    LINK_DAYS_DEFAULT,
    LINK_SALT,
    link_create,
    link_resolve,
    link_revoke,
    link_save,
)
from neuroregen.instruments.queries import (
    _birth_floor,
    _cohort_scores,
    quality_check_measurement,
    quality_check_response,
    quality_run_batch,
    query_act,
    query_open,
)
from neuroregen.instruments.responses import (
    response_file_store,
    response_mark_not_done,
    response_save,
    response_start,
)
from neuroregen.instruments.verification import response_verify

__all__ = [
    "LINK_DAYS_DEFAULT",
    "LINK_SALT",
    "_birth_floor",  # interop's new-form checks share the rules' birth floor and cohort
    "_cohort_scores",
    "dictionary_export",
    "dictionary_import",
    "instrument_get",
    "link_create",
    "link_resolve",
    "link_revoke",
    "link_save",
    "quality_check_measurement",
    "quality_check_response",
    "quality_run_batch",
    "query_act",
    "query_open",
    "response_file_store",
    "response_mark_not_done",
    "response_save",
    "response_start",
    "response_verify",
]
