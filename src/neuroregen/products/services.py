"""Writes of the products app. Each function is one transaction and leaves an audit record.

Capabilities: lab work (sources, lots, QC, custody in the lab, recall) needs ``lab_write`` at
the holding site; release needs ``release_lot``; bedside work (receipt at the clinic, custody
hand-offs on the ward, administration) needs ``administer_product`` at the participant's site.

This module is the products app's public write path: other apps, views and tests import the
services from here. Each concern lives in its own module: ``lots`` (donors, source material,
iPSC lines, lots, containers), ``qc_release`` (specifications, results, deviations, release),
``qc`` (out-of-specification investigations), ``custody`` (custody, shipments, excursions),
``administration`` (the bedside), ``compatibility`` (HLA and antibody screens) and ``recall``.
"""

from __future__ import annotations

from neuroregen.products.administration import (
    administration_blockers,
    administration_record,
    current_arm,
    planned_volume_ml,
)
from neuroregen.products.compatibility import (
    antibody_screen_record,
    hla_typing_record,
    mismatched_antigens_for,
)
from neuroregen.products.custody import (
    CUSTODY_CAPABILITIES,
    custody_record,
    excursion_assess,
    excursion_blockers,
    shipment_dispatch,
    shipment_receive,
)
from neuroregen.products.lots import (
    IPSC_PRODUCTS,
    containers_fill,
    donor_eligibility_determine,
    donor_register,
    ipsc_line_derive,
    lot_complete_manufacture,
    lot_create,
    lot_status_change,
    source_collect,
)
from neuroregen.products.qc import (
    oos_investigation_conclude,
    oos_investigation_open,
)
from neuroregen.products.qc_release import (
    RELEASE_MEANING,
    active_specification,
    deviation_close,
    deviation_record,
    lot_qc_conclude,
    lot_release,
    qc_result_record,
    qc_specification_activate,
    qc_specification_create,
)
from neuroregen.products.recall import (
    RECALL_MEANING,
    lot_recall,
    recall_notice_acknowledge,
)

__all__ = [
    "CUSTODY_CAPABILITIES",
    "IPSC_PRODUCTS",
    "RECALL_MEANING",
    "RELEASE_MEANING",
    "active_specification",
    "administration_blockers",
    "administration_record",
    "antibody_screen_record",
    "containers_fill",
    "current_arm",
    "custody_record",
    "deviation_close",
    "deviation_record",
    "donor_eligibility_determine",
    "donor_register",
    "excursion_assess",
    "excursion_blockers",
    "hla_typing_record",
    "ipsc_line_derive",
    "lot_complete_manufacture",
    "lot_create",
    "lot_qc_conclude",
    "lot_recall",
    "lot_release",
    "lot_status_change",
    "mismatched_antigens_for",
    "oos_investigation_conclude",
    "oos_investigation_open",
    "planned_volume_ml",
    "qc_result_record",
    "qc_specification_activate",
    "qc_specification_create",
    "recall_notice_acknowledge",
    "shipment_dispatch",
    "shipment_receive",
    "source_collect",
]
